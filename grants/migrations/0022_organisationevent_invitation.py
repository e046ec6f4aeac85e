"""OrganisationEvent.invitation, the invitation an event is about, referenced instead of the copied address.

OrganisationEvent.email copied the invited address into the organisation's append-only audit trail, where it
outlived the person's erasure (which pseudonymises the user and invitation rows, not this table). Each event
that held an address now refers to its invitation (a contact invited: the organisation's invitation to that
address made at or before the event; an invitation accepted: the one the event's person accepted), and the
column goes. A contact added by staff names the person already; an address that matches no invitation is not
kept. The append-only trigger (0013) is lifted for these updates inside the migration's transaction and put
back at once. Reversed, the addresses are copied back from the invitations and people.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

ORGANISATION_AUDIT = importlib.import_module("grants.migrations.0013_organisation_verification")
TABLE = "grants_organisationevent"


def _lift_trigger(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # deferred foreign-key checks of rows written earlier in this transaction must run first
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE;")
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER grants_organisationevent_append_only;")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS grants_organisationevent_no_update;")


def _restore_trigger(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER grants_organisationevent_append_only;")
    elif vendor == "sqlite":
        # also after SQLite rebuilt the table to drop a column, which drops its triggers
        schema_editor.execute("DROP TRIGGER IF EXISTS grants_organisationevent_no_update;")
        for statement in ORGANISATION_AUDIT.SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def addresses_to_invitations(apps, schema_editor):
    OrganisationEvent = apps.get_model("grants", "OrganisationEvent")
    Invitation = apps.get_model("grants", "Invitation")
    updates = []
    for event in OrganisationEvent.objects.exclude(email="").order_by("pk"):
        invitations = Invitation.objects.filter(organisation_id=event.organisation_id, email__iexact=event.email)
        if event.kind == "contact_invited":
            invitation = invitations.filter(created_at__lte=event.created_at).order_by("-created_at", "-pk").first()
        elif event.kind == "invitation_accepted":
            invitation = (invitations.filter(accepted_by_id=event.person_id).order_by("-accepted_at", "-pk").first()
                          or invitations.filter(created_at__lte=event.created_at).order_by("-created_at", "-pk").first())
        else:
            invitation = None
        updates.append((event.pk, invitation.pk if invitation else None))
    if not updates:
        return
    _lift_trigger(schema_editor)
    try:
        for pk, invitation_pk in updates:
            OrganisationEvent.objects.filter(pk=pk).update(invitation_id=invitation_pk, email="")
    finally:
        _restore_trigger(schema_editor)


def invitations_to_addresses(apps, schema_editor):
    OrganisationEvent = apps.get_model("grants", "OrganisationEvent")
    updates = []
    for event in OrganisationEvent.objects.filter(
            kind__in=["contact_invited", "invitation_accepted", "contact_added"]).select_related("invitation", "person"):
        address = event.invitation.email if event.invitation else (event.person.email if event.person else "")
        if address:
            updates.append((event.pk, address))
    if not updates:
        return
    _lift_trigger(schema_editor)
    try:
        for pk, address in updates:
            OrganisationEvent.objects.filter(pk=pk).update(email=address)
    finally:
        _restore_trigger(schema_editor)


def triggers_restore(apps, schema_editor):
    _restore_trigger(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0021_application_indicator_as_of'),
    ]

    operations = [
        migrations.AddField(
            model_name='organisationevent',
            name='invitation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grants.invitation', verbose_name='invitation'),
        ),
        migrations.RunPython(addresses_to_invitations, invitations_to_addresses, elidable=False),
        migrations.RemoveField(
            model_name='organisationevent',
            name='email',
        ),
        migrations.RunPython(triggers_restore, triggers_restore, elidable=False),
    ]
