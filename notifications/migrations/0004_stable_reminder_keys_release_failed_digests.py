"""Data only: reminder stages without the configured number of days, and the mails of failed digests freed.

1. Reminder keys used to name the lead time ("due-3d", "waiting-7d"); they are now "due" and "waiting"
   (notifications/reminders.py), so a changed lead time does not send a reminder again. Rows written
   before are renamed to the new stages, or the sweep would send each open reminder once more. Where
   two old rows would get the same key (the old bug: the lead time changed after one was sent), the
   later row keeps its old key but takes the new occurrence, which is what the sweep looks up.
2. A digest that failed for good left its bundled mails held forever. They go out on their own now
   (notifications/delivery.py); the rows already stuck are made pending, so the sweeper sends them.
"""

import re

from django.db import migrations

REMINDER_KINDS = (
    "reminder_draft", "reminder_completion_due", "reminder_completion_overdue", "reminder_review_due",
    "reminder_review_overdue", "reminder_check_waiting", "reminder_decision_waiting", "reminder_report_due",
    "reminder_report_overdue",
)
OLD_STAGE = re.compile(r"\|(due|waiting)-\d+d(?=\||$)")


def stable_stage(key: str) -> str:
    return OLD_STAGE.sub(r"|\1", key)


def stable_reminder_keys(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    rows = OutboxMessage.objects.filter(kind__in=REMINDER_KINDS).filter(
        occurrence__regex=r"\|(due|waiting)-[0-9]+d").order_by("pk")
    for row in rows.iterator():
        occurrence, key = stable_stage(row.occurrence), stable_stage(row.dedupe_key)
        if OutboxMessage.objects.filter(dedupe_key=key).exclude(pk=row.pk).exists():
            key = row.dedupe_key
        OutboxMessage.objects.filter(pk=row.pk).update(occurrence=occurrence, dedupe_key=key)


def release_failed_digests(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    OutboxMessage.objects.filter(status="held", digest__kind="digest", digest__status="failed").update(
        status="pending", next_attempt_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_digest_reminders_resend"),
    ]

    operations = [
        migrations.RunPython(stable_reminder_keys, migrations.RunPython.noop),
        migrations.RunPython(release_failed_digests, migrations.RunPython.noop),
    ]
