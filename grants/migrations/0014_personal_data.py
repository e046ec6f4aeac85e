"""Personal data (GDPR): a fund's retention period, the mark on a case whose personal data were removed, and
Event.subject, the person an event is about, referenced instead of copied.

Events written before this migration copied a reviewer's name into the message (reviewer asked, review
deadline changed, open review requests ended). Such a name would outlive the person's erasure in this
append-only table, so those messages are moved to `subject` here, once: the append-only trigger of 0010 is
lifted for this one statement inside the migration's transaction and put back at once. Messages naming
several reviewers, or a name that matches no single account, are left as they are.
"""

import importlib

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

AUDIT = importlib.import_module("grants.migrations.0010_audit_append_only")


def _lift_trigger(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # deferred foreign-key checks of rows written earlier in this transaction must run first
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE;")
        schema_editor.execute("ALTER TABLE grants_event DISABLE TRIGGER grants_event_append_only;")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS grants_event_no_update;")


def _restore_trigger(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE grants_event ENABLE TRIGGER grants_event_append_only;")
    elif vendor == "sqlite":
        statement = next(s for s in AUDIT.SQLITE_FORWARD if s.startswith("CREATE TRIGGER grants_event_no_update"))
        schema_editor.execute(statement, params=None)


def names_to_subjects(apps, schema_editor):
    Event = apps.get_model("grants", "Event")
    User = apps.get_model("accounts", "User")
    kinds = ("reviewer_assigned", "review_deadline", "reviews_ended")
    legacy = list(Event.objects.filter(kind__in=kinds, subject__isnull=True).exclude(message="")
                  .values_list("pk", "kind", "message"))
    if not legacy:
        return
    by_label: dict[str, set[int]] = {}
    for pk, full_name, email in User.objects.values_list("pk", "full_name", "email"):
        for label in {full_name, email} - {""}:
            by_label.setdefault(label, set()).add(pk)
    updates = []
    for pk, kind, message in legacy:
        name, rest = message, ""
        if kind == "review_deadline":
            name, sep, rest = message.partition(": ")
            if not sep:
                continue
        users = by_label.get(name, set())
        if len(users) == 1:
            updates.append((pk, next(iter(users)), rest))
    if not updates:
        return
    _lift_trigger(schema_editor)
    try:
        for pk, user_pk, rest in updates:
            Event.objects.filter(pk=pk).update(subject_id=user_pk, message=rest)
    finally:
        _restore_trigger(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0013_organisation_verification'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='personal_data_removed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='personal data removed'),
        ),
        migrations.AddField(
            model_name='event',
            name='subject',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='concerns'),
        ),
        migrations.AddField(
            model_name='fund',
            name='retention_years',
            field=models.PositiveSmallIntegerField(default=10, help_text='After this many years the personal data of a closed case are pseudonymised. Ten years is the default for EU-funded projects.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)], verbose_name='keep personal data (years after a case closes)'),
        ),
        migrations.RunPython(names_to_subjects, migrations.RunPython.noop, elidable=False),
    ]
