"""Erasure leaves no copy of a person anywhere (workflows/privacy): a person who has done everything a person can
do in Potten is erased, then every text column of every table, the append-only audit trails included, is
searched for their name and their addresses. The audit trails keep their facts, by reference to the
pseudonymised rows."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchQuery
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import PersonalDataErasure, User
from catalogue.models import Practice
from grants.models import Application, Event, FinalReportDraft, Invitation, Municipality, OrganisationEvent
from grants.services import memberships, organisations
from notifications.models import OutboxMessage
from notifications.services import notification_queue
from reviewers import services as review_services
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, org_number
from tests.flow_helpers import check_pass, grant, review, submit
from tests.test_personal_data import text_hits
from workflows.privacy import retention_run
from workflows.services import application_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

NAME = "Ylva Quodlibet"
EMAIL = "ylva.quodlibet@example.org"
SECOND_EMAIL = "ylva.privat@example.net"  # an address she added to her account but never confirmed
MARKERS = (NAME, EMAIL, SECOND_EMAIL)


def searchable(word: str) -> bool:
    """Whether a good practice's stored search vector holds the word (PostgreSQL; elsewhere nothing is stored)."""
    if connection.vendor != "postgresql":
        return False
    return Practice.objects.filter(search_vector=SearchQuery(word, config="swedish")).exists()


def audit_trails():
    """The facts of both append-only audit trails: what happened, by whom, about whom."""
    return (list(Event.objects.order_by("pk").values_list("pk", "application", "kind", "actor", "subject")),
            list(OrganisationEvent.objects.order_by("pk").values_list(
                "pk", "organisation", "kind", "actor", "person", "invitation")))


@pytest.fixture
def everything(client, call, organisation, case_officer, reviewer, secretary, password):
    """Ylva: signs up, registers an organisation, asks to join another and is let in, is removed and added again
    by staff, is invited by address twice (accepts once), applies (a draft, a withdrawn application), reviews a
    case that is then granted, gets mails and account mails, logs in, and the admin edits her account."""
    ylva = UserFactory(email=EMAIL, full_name=NAME, role=roles.APPLICANT)
    EmailAddress.objects.create(user=ylva, email=SECOND_EMAIL, verified=False, primary=False)
    ylva.groups.add(*ylva.groups.model.objects.filter(name=roles.REVIEWER))
    kalmar = Municipality.objects.get(name="Kalmar")
    # her own organisation, then a request to join `organisation`, answered by its contact
    organisations.organisation_register(user=ylva, name="Ylvas förening", org_number=org_number(70001),
                                        municipality=kalmar, kind="association")
    contact = organisation.membership_set.get().user
    organisations.organisation_register(user=ylva, name="Föreningen", org_number=organisation.org_number,
                                        municipality=kalmar, kind="association")
    request = organisations.join_requests_pending(organisation=organisation).get()
    organisations.join_request_decide(join_request_id=request.pk, user=contact, approve=True)
    # staff remove her and add her again by address, and invite her other address
    memberships.organisation_contacts_change(organisation_id=organisation.pk, user=case_officer,
                                             remove_ids=[ylva.pk], reason="Fel person")
    memberships.organisation_contacts_change(organisation_id=organisation.pk, user=case_officer,
                                             add_emails=[EMAIL, SECOND_EMAIL], reason="Rätt person ändå")
    # a third organisation's contact invites her, and she accepts
    third = MembershipFactory(organisation__name="Tredje föreningen")
    invitation = memberships.invitation_create(organisation_id=third.organisation_id, user=third.user, email=EMAIL)
    memberships.invitation_accept(token=invitation.token, user=ylva)
    # she applies: a draft that names her, and an application she withdrew
    ApplicationFactory(organisation=organisation, call=call, created_by=ylva, summary=f"Ring {NAME}, {EMAIL}",
                       signatory_name=NAME, signatory_email=EMAIL)
    withdrawn = ApplicationFactory(organisation=organisation, call=call, created_by=ylva, signatory_name=NAME,
                                   signatory_email=EMAIL)
    submit(withdrawn, ylva)
    # (what a person types into the append-only audit trail, such as this reason, is its record: not her name here)
    application_withdraw(application_id=withdrawn.pk, user=ylva, reason="Vi flyttar")
    # she reviews another organisation's case, which is granted (its legal record is kept)
    pool = review_services.settings_for_fund(call.fund)
    pool.reviewers.set([ylva])
    pool.reviewers_per_application = 1
    pool.save()
    other = MembershipFactory(organisation__name="Annan förening")
    decided = ApplicationFactory(organisation=other.organisation, call=call, created_by=other.user)
    submit(decided, other.user)
    check_pass(decided, case_officer)
    review(decided, ylva)
    grant(decided, secretary)
    FinalReportDraft.objects.create(application=decided, updated_by=other.user, data={"lessons": f"Tack {NAME}"})
    # the case's good practice, prepared for the public catalogue, names her (not part of the case's record)
    Practice.objects.create(application=decided, title="Samtalskvällar", lessons=f"Fråga {NAME}, {EMAIL}")
    # mails: one about her to someone else, one to her, an account mail (password reset) to her
    notification_queue(user=contact, kind="contact_added", stage="about-ylva", context={"name": NAME})
    client.post(reverse("account_reset_password"), {"email": EMAIL})
    # she logs in; the admin edits her account
    theirs = Client()
    theirs.post(reverse("account_login"), {"login": EMAIL, "password": password})
    admin = UserFactory(is_superuser=True, is_staff=True)
    LogEntry.objects.create(user=admin, content_type=ContentType.objects.get_for_model(User), object_id=ylva.pk,
                            object_repr=str(ylva), action_flag=CHANGE, change_message=f"Namn: {NAME}")
    return ylva


def test_erasure_leaves_no_copy_of_a_person_who_did_everything_in_any_table(client, everything, secretary):
    ylva = everything
    # given: she is in many tables, the audit trails and copies of her address included
    before = text_hits(MARKERS)
    tables = {table for table, _column, _pk in before}
    assert {"grants_invitation", "grants_application", "notifications_outboxmessage", "django_admin_log",
            "account_emailaddress", "accounts_user", "grants_finalreportdraft", "catalogue_practice"} <= tables
    assert OrganisationEvent.objects.filter(invitation__email__iexact=SECOND_EMAIL, kind="contact_invited").exists()
    assert Session.objects.count() >= 1
    assert searchable("Quodlibet") == (connection.vendor == "postgresql")
    trails = audit_trails()
    # when: the secretary erases her at her request (the reason names her)
    client.force_login(secretary)
    response = client.post(reverse("workflows:person_detail", args=[ylva.pk]), {
        "confirm_email": EMAIL, "reason": f"{NAME} bad om det per e-post 3 mars", "identifiers": ""})
    assert response.status_code == 302
    # then: her name and her addresses are in no text column of any table
    assert text_hits(MARKERS) == set()
    # and: not in the catalogue's stored search vector either (PostgreSQL's full-text search)
    assert not searchable("Quodlibet")
    # and: both audit trails keep every fact, by reference to her pseudonymised row and the invitations
    assert audit_trails() == trails
    ylva.refresh_from_db()
    assert ylva.full_name.startswith("Pseudonym ") and ylva.email.endswith("@pseudonym.invalid")
    invited = Invitation.objects.filter(organisation__events__kind="contact_invited").distinct().get()
    assert invited.email.endswith("@pseudonym.invalid") and invited.email != ylva.email
    # and: her sessions are gone, the erasure is recorded with the reason pseudonymised
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(ylva.pk)]
    erasure = PersonalDataErasure.objects.get()
    assert erasure.reason == f"{ylva.full_name} bad om det per e-post 3 mars"
    assert erasure.changes["deleted"]["sessions.session"] >= 1
    # and: no mail to any of her addresses is left to send
    assert not OutboxMessage.objects.filter(status__in=["pending", "held"], recipient__endswith="pseudonym.invalid",
                                            ).exists()
    assert Application.objects.filter(created_by=ylva).count() == 2


def test_the_migration_moves_invited_addresses_of_old_organisation_events_to_invitations(organisation, case_officer,
                                                                                            applicant):
    """grants/migrations/0022: organisation events written before it copied the invited address."""
    import importlib

    from django.db import IntegrityError, connection, transaction
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("grants.migrations.0022_organisationevent_invitation")
    # given: the table as it was between 0022's first step and its last (both the address and the reference)
    state = MigrationLoader(connection).project_state(("grants", "0021_application_indicator_as_of"))
    migration.Migration.operations[0].state_forwards("grants", state)
    historical = state.apps
    Event = historical.get_model("grants", "OrganisationEvent")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE grants_organisationevent ADD COLUMN email varchar(254) NOT NULL DEFAULT ''")
    expires = timezone.now() + timedelta(days=7)
    older, invited = (Invitation.objects.create(organisation=organisation, email="kim@example.org", token=token,
                                                invited_by=case_officer, expires_at=expires) for token in ("t1", "t2"))
    accepted = Invitation.objects.filter(pk=invited.pk)
    accepted.update(accepted_by=applicant, accepted_at=timezone.now())
    events = [Event.objects.create(organisation_id=organisation.pk, kind=kind, actor_id=actor.pk, person_id=person,
                                   email=email, created_at=timezone.now()) for kind, actor, person, email in [
        ("contact_invited", case_officer, None, "Kim@example.org"),
        ("invitation_accepted", applicant, applicant.pk, "kim@example.org"),
        ("contact_added", case_officer, applicant.pk, applicant.email),
        ("contact_invited", case_officer, None, "nobody@example.org"),
        ("verified", case_officer, None, "")]]

    class Editor:  # what the migration uses of its schema editor: the connection and execute()
        def __init__(self):
            self.connection = connection

        def execute(self, sql, params=None):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    # when
    migration.addresses_to_invitations(historical, Editor())
    # then: each address became its invitation (the latest one to that address; the one the person accepted)
    rows = list(Event.objects.filter(pk__in=[e.pk for e in events]).order_by("pk").values_list("invitation", "email"))
    assert rows == [(invited.pk, ""), (invited.pk, ""), (None, ""), (None, ""), (None, "")]
    assert older.pk != invited.pk
    # and: the append-only trigger is back
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE grants_organisationevent SET message = 'x' WHERE id = %s", [events[0].pk])
    # when: reversed, the addresses come back from the invitations and the people
    migration.invitations_to_addresses(historical, Editor())
    rows = list(Event.objects.filter(pk__in=[e.pk for e in events]).order_by("pk").values_list("email", flat=True))
    assert rows == ["kim@example.org", "kim@example.org", applicant.email, "", ""]


def test_retention_removes_every_address_of_the_cases_people_from_its_text(call, organisation, applicant):
    # given: a case withdrawn eleven years ago whose text gives the applicant's other address
    EmailAddress.objects.create(user=applicant, email=SECOND_EMAIL, verified=False, primary=False)
    case = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                              summary=f"Skriv till {SECOND_EMAIL} eller {applicant.email}")
    Application.objects.filter(pk=case.pk).update(status=Application.Status.WITHDRAWN, submitted_at=timezone.now(),
                                                  status_changed_at=timezone.now() - timedelta(days=365 * 11))
    # when
    assert retention_run() == 1
    # then: both addresses became pseudonyms of their own
    case.refresh_from_db()
    assert SECOND_EMAIL not in case.summary and applicant.email not in case.summary
    assert case.summary.count("@pseudonym.invalid") == 2
