"""Mails queued before the escaping fix carry an HTML part with the user's text unescaped. Every
row not sent yet gets its HTML part built again from its text part (which was always plain text),
now escaped; rows already sent keep what was sent, as the record of it."""

from django.db import migrations
from django.template.loader import render_to_string
from django.utils import translation

UNSENT = ("pending", "held", "sending", "failed")


def rerender(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    rows = OutboxMessage.objects.filter(status__in=UNSENT, rendered=True).exclude(body_html="")
    for row in rows.only("pk", "subject", "body_text", "language").iterator(chunk_size=500):
        with translation.override(row.language or "sv"):
            html = render_to_string("notifications/email/base.html", {
                "body_text": str.__str__(row.body_text), "subject": " ".join(row.subject.split()),
                "LANGUAGE_CODE": row.language or "sv"})
        OutboxMessage.objects.filter(pk=row.pk).update(body_html=html)


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0007_scale'),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop),
    ]
