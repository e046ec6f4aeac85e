"""Personal data (docs/privacy.md): My data (page and JSON), the staff's erasure, the retention task and the
outbox purge, over HTTP where a person would do it."""

import json
import secrets
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import PersonalDataErasure, User
from grants.services import attachments
from grants.models import Application, Event, FinalReportDraft, Invitation, Membership
from workflows.services import application_withdraw
from grants.tasks import privacy_retention
from notifications.models import OutboxMessage
from notifications.tasks import outbox_bodies_purge
from reviewers import services as review_services
from tests.attachment_files import pdf_bytes
from tests.factories import PASSWORD, ApplicationFactory, MembershipFactory, UserFactory
from tests.flow_helpers import check_pass, grant, review, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

NAME = "Zelda Quuxington"
EMAIL = "zelda.quux@example.org"
PHONE = "070-555 12 34"
MARKERS = (NAME, EMAIL, PHONE)
OTHER_NAME, OTHER_EMAIL, OTHER_TITLE = "Otto Othersson", "otto.other@example.org", "Ottos hemliga projekt"


@pytest.fixture
def person(organisation):
    """The person whose data are asked for: an applicant, contact of `organisation`."""
    zelda = UserFactory(email=EMAIL, full_name=NAME, role="applicant")
    MembershipFactory(user=zelda, organisation=organisation)
    return zelda


@pytest.fixture
def other(call):
    """Another applicant with an application of their own: none of it may reach the person's export."""
    otto = UserFactory(email=OTHER_EMAIL, full_name=OTHER_NAME, role="applicant")
    membership = MembershipFactory(user=otto)
    ApplicationFactory(organisation=membership.organisation, call=call, created_by=otto, title=OTHER_TITLE,
                       summary=f"Ring {OTHER_NAME}", signatory_name=OTHER_NAME, signatory_email=OTHER_EMAIL)
    return otto


@pytest.fixture
def reviewer_pool(call, reviewer):
    settings = review_services.settings_for_fund(call.fund)
    settings.reviewers.set([reviewer])
    settings.reviewers_per_application = 1
    settings.save()
    return settings


def text_hits(markers) -> set[tuple[str, str, int]]:
    """Every (table, column, row) in the whole database whose text contains a marker: every char, text and
    JSON column of every installed model (JSON also searched as its escaped text)."""
    found = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                continue
            condition = Q()
            for marker in markers:
                condition |= Q(**{f"{field.name}__icontains": marker})
            for pk in model._base_manager.filter(condition).values_list("pk", flat=True):
                found.add((model._meta.db_table, field.column, pk))
    return found


def decided_case(person, organisation, call, case_officer, reviewer, secretary):
    """A case the person applied for, decided (granted): its text is the legal record and stays."""
    application = ApplicationFactory(organisation=organisation, call=call, created_by=person,
                                     title="Beviljat språkcafé", summary=f"Kontakt: {NAME}, {PHONE}",
                                     signatory_name=NAME, signatory_email=EMAIL)
    submit(application, person)
    check_pass(application, case_officer)
    review(application, reviewer)
    grant(application, secretary)
    return application


def open_draft(person, organisation, call):
    """A draft nobody decided on: the person's markers in it are not a legal record."""
    draft = ApplicationFactory(organisation=organisation, call=call, created_by=person, title="Utkast",
                               summary=f"Ring {NAME} på {PHONE} eller skriv till {EMAIL.upper()}.",
                               signatory_name=NAME, signatory_email=EMAIL)
    line = draft.activities.first()
    type(line).objects.filter(pk=line.pk).update(description=f"Träff hos {NAME}")
    attachments.attachment_add(application_id=draft.pk, user=person, description=f"Nås på {PHONE}",
                               upload=SimpleUploadedFile(f"CV {NAME}.pdf", pdf_bytes(), "application/pdf"))
    return draft


# -- My data ---------------------------------------------------------------------------------------------------

def test_my_data_json_has_the_persons_data_and_none_of_another_persons(client, person, other, organisation, call,
                                                                         case_officer, reviewer, secretary,
                                                                         reviewer_pool):
    # given: a decided case and a draft of the person's, a case of another person's, mails to both
    decided = decided_case(person, organisation, call, case_officer, reviewer, secretary)
    draft = open_draft(person, organisation, call)
    mails_to_person = OutboxMessage.objects.filter(user=person).count()
    assert mails_to_person > 0 and OutboxMessage.objects.filter(user=other).count() == 0
    # when: the person downloads their data
    client.force_login(person)
    response = client.get(reverse("workflows:my_data_json"))
    # then: a JSON file with their account, organisation, applications, mails and audit events
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mina-uppgifter.json"'
    data = json.loads(response.content)
    assert (data["account"]["email"], data["account"]["name"], data["account"]["roles"]) == (EMAIL, NAME,
                                                                                           ["Sökande"])
    assert [m["org_number"] for m in data["memberships"]] == [organisation.org_number]
    assert sorted(a["id"] for a in data["applications"]) == sorted([decided.pk, draft.pk])
    by_id = {a["id"]: a for a in data["applications"]}
    assert by_id[draft.pk]["content"]["summary"] == f"Ring {NAME} på {PHONE} eller skriv till {EMAIL.upper()}."
    assert [a["name"] for a in data["attachments"]] == [f"CV {NAME}.pdf"]
    assert len(data["mails"]) == mails_to_person
    assert {m["recipient"] for m in data["mails"]} == {EMAIL}
    assert sorted(e["event"] for e in data["events"]) == sorted(
        str(e.get_kind_display()) for e in Event.objects.filter(actor=person))
    assert data["reviews"] == [] and data["decisions"] == [] and data["checks"] == []
    # and: nothing of the other person's
    text = response.content.decode()
    for marker in (OTHER_NAME, OTHER_EMAIL, OTHER_TITLE, other.organisations.get().name):
        assert marker not in text


def test_a_reviewers_export_has_their_declarations_and_reviews_and_the_events_about_them(client, person,
                                                                                         organisation, call,
                                                                                         case_officer, reviewer,
                                                                                         secretary, reviewer_pool):
    decided = decided_case(person, organisation, call, case_officer, reviewer, secretary)
    client.force_login(reviewer)
    data = json.loads(client.get(reverse("workflows:my_data_json")).content)
    assert [(d["application"]["id"], d["status"]) for d in data["declarations"]] == [(decided.pk,
                                                                                       "Bedömning inskickad")]
    assert [(r["application"]["id"], r["recommendation"]) for r in data["reviews"]] == [(decided.pk, "Bevilja")]
    assert len(data["reviews"][0]["scores"]) == decided.assignments.get().rubric.criteria.count()
    about = [e for e in data["events"] if not e["by_this_person"]]
    assert [e["event"] for e in about] == ["Bedömare tillfrågad"]
    assert data["applications"] == [] and data["memberships"] == []
    assert NAME not in json.dumps(data) and EMAIL not in json.dumps(data)


def test_my_data_page_shows_the_persons_data_readably_and_escaped_and_is_never_cached(client, person, other,
                                                                                      organisation, call, settings):
    settings.PRIVACY_CONTROLLER = "Region Kalmar län <dataskydd@example.se>"
    draft = ApplicationFactory(organisation=organisation, call=call, created_by=person,
                               title='<img src=x onerror=alert(1)>')
    client.force_login(person)
    response = client.get(reverse("workflows:my_data"))
    assert response.status_code == 200
    page = response.content.decode()
    assert NAME in page and EMAIL in page and organisation.org_number in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "Personuppgiftsansvarig: Region Kalmar län &lt;dataskydd@example.se&gt;" in page
    assert f'"id": {draft.pk}' not in page  # a readable page, not JSON
    for marker in (OTHER_NAME, OTHER_EMAIL, OTHER_TITLE):
        assert marker not in page
    assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}


def test_my_data_needs_a_login(client):
    for name in ("workflows:my_data", "workflows:my_data_json"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_my_data_sections_are_paginated(client, person, organisation, call):
    ApplicationFactory.create_batch(27, organisation=organisation, call=call, created_by=person)
    client.force_login(person)

    def applications(response):
        return next(s for s in response.context["sections"] if s["key"] == "applications")

    first = client.get(reverse("workflows:my_data"))
    assert [len(applications(first)["items"]), applications(first)["next_url"]] == [
        25, "?applications_page=2#h-applications"]
    assert "?applications_page=2#h-applications" in first.content.decode()
    second = client.get(reverse("workflows:my_data"), {"applications_page": 2})
    assert len(applications(second)["items"]) == 2
    assert '<ol class="data-items" start="26">' in second.content.decode()


# -- Erasure ---------------------------------------------------------------------------------------------------

@pytest.fixture
def world(person, other, organisation, call, case_officer, reviewer, secretary, reviewer_pool):
    """The person everywhere Potten keeps people: a decided case, a draft with a file, an invitation to their
    address, mails, a final report draft, the admin's log, the audit trail."""
    decided = decided_case(person, organisation, call, case_officer, reviewer, secretary)
    draft = open_draft(person, organisation, call)
    colleague = MembershipFactory(organisation=organisation).user
    Invitation.objects.create(organisation=organisation, email="Zelda.Quux@example.org", token=secrets.token_hex(16),
                              invited_by=colleague, expires_at=timezone.now() + timedelta(days=7))
    FinalReportDraft.objects.create(application=decided, updated_by=person,
                                    data={"lessons": f"Fråga {NAME} ({PHONE})"})
    admin = UserFactory(is_superuser=True, is_staff=True)
    LogEntry.objects.create(user=admin, content_type=ContentType.objects.get_for_model(User), object_id=person.pk,
                            object_repr=str(person), action_flag=CHANGE, change_message="")
    return {"decided": decided, "draft": draft, "admin": admin}


def erase(client, staff, person, **overrides):
    client.force_login(staff)
    data = {"confirm_email": EMAIL, "reason": "Begäran per e-post 3 mars", "identifiers": f"{PHONE}\n"}
    return client.post(reverse("workflows:person_detail", args=[person.pk]), {**data, **overrides})


def test_erasure_leaves_no_marker_of_the_person_outside_the_decided_cases_legal_record(client, world, person,
                                                                                       secretary):
    decided = world["decided"]
    events_before = list(Event.objects.order_by("pk").values_list("pk", "kind", "actor_id", "message"))
    by_person = Event.objects.filter(actor=person).count()
    assert by_person > 0
    assert len(text_hits(MARKERS)) > 10  # the person is all over the database before
    # when: the secretary erases the person at their request, naming their phone number
    response = erase(client, secretary, person)
    # then
    assert response.status_code == 302
    # then: the only rows left with a marker are the decided case's application (its legal record) and the
    # append-only audit trail's note of the file name the person typed (what was typed is the record there;
    # Potten itself never copies a name or an address into it)
    file_added = Event.objects.get(application=world["draft"], kind="attachment_added")
    assert text_hits(MARKERS) == {
        ("grants_application", "summary", decided.pk), ("grants_application", "signatory_name", decided.pk),
        ("grants_application", "signatory_email", decided.pk), ("grants_event", "message", file_added.pk)}
    # and: the audit trail kept its shape; the person's events now show the pseudonym
    assert list(Event.objects.order_by("pk").values_list("pk", "kind", "actor_id", "message")) == events_before
    person.refresh_from_db()
    assert person.full_name.startswith("Pseudonym ") and person.email.endswith("@pseudonym.invalid")
    assert (person.is_active, person.has_usable_password(), person.erased_at is not None) == (False, False, True)
    assert not Membership.objects.filter(user=person).exists()
    assert person.groups.count() == 0
    client.force_login(secretary)
    case_page = client.get(reverse("workflows:case_detail", args=[decided.pk])).content.decode()
    # the case page's tasks and audit trail: what the person did is the pseudonym's
    from viewflow.workflow.models import Task

    tasks = Task.objects.filter(process__applicationprocess__application=decided, owner=person).count()
    events = Event.objects.filter(application=decided, actor=person).count()
    assert events > 0
    assert case_page.count(f"<td>{person.full_name}</td>") == tasks + events
    # and: the mails to the person keep who, what and when, not their text
    mails = OutboxMessage.objects.filter(user=person)
    assert mails.count() > 0
    assert set(mails.values_list("recipient", "body_text", "body_html")) == {(person.email, "", "")}
    assert mails.filter(body_purged_at__isnull=True).count() == 0
    # and: recorded
    erasure = PersonalDataErasure.objects.get()
    assert (erasure.user, erasure.erased_by, erasure.reason) == (person, secretary, "Begäran per e-post 3 mars")


def test_an_erased_person_can_no_longer_log_in_and_their_session_ends(client, world, person, secretary):
    from django.test import Client

    theirs = Client()
    theirs.force_login(person)
    assert theirs.get(reverse("workflows:my_data")).status_code == 200
    erase(client, secretary, person)
    response = theirs.get(reverse("workflows:my_data"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    login = Client().post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session


def test_erasing_a_reviewer_keeps_the_events_about_them_by_reference(client, world, person, reviewer, secretary):
    decided = world["decided"]
    asked = Event.objects.get(application=decided, kind="reviewer_assigned")
    assert (asked.subject, asked.message) == (reviewer, "")
    reviewer_markers = (reviewer.full_name, reviewer.email)
    client.force_login(secretary)
    response = client.post(reverse("workflows:person_detail", args=[reviewer.pk]),
                           {"confirm_email": reviewer.email, "reason": "Begäran", "identifiers": ""})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.subject_id == reviewer.pk
    reviewer.refresh_from_db()
    assert reviewer.full_name.startswith("Pseudonym ")
    # the review is part of the decided case's record (by reference); no copy of the name is left anywhere
    assert text_hits(reviewer_markers) == set()


def test_erasure_replaces_whole_words_only(client, person, organisation, call, secretary):
    # given: a draft that names the person and, in other words, someone else with a longer name and number
    text = (f"{NAME} ({PHONE}, {EMAIL}) och {NAME}sson (070-555 12 345, x{EMAIL}) leder projektet.")
    draft = ApplicationFactory(organisation=organisation, call=call, created_by=person, summary=text)
    # when
    assert erase(client, secretary, person).status_code == 302
    # then: only the person's own name, number and address became the pseudonym
    person.refresh_from_db()
    draft.refresh_from_db()
    assert draft.summary == (f"{person.full_name} ({person.full_name}, {person.email}) och {NAME}sson "
                             f"(070-555 12 345, x{EMAIL}) leder projektet.")


@pytest.mark.parametrize("case", ["wrong_address", "no_reason"])
def test_an_erasure_without_confirmation_or_reason_changes_nothing(case, client, world, person, secretary):
    before = text_hits(MARKERS)
    overrides = {"confirm_email": "someone@example.org"} if case == "wrong_address" else {"reason": " "}
    response = erase(client, secretary, person, **overrides)
    assert response.status_code == 400
    person.refresh_from_db()
    assert (person.email, person.full_name, person.is_active, person.erased_at) == (EMAIL, NAME, True, None)
    assert text_hits(MARKERS) == before
    assert PersonalDataErasure.objects.count() == 0


@pytest.mark.parametrize("who", ["applicant", "case_officer", "reviewer"])
def test_only_the_secretary_or_the_administrator_may_erase(who, client, world, person, applicant, case_officer,
                                                           reviewer):
    staff = {"applicant": applicant, "case_officer": case_officer, "reviewer": reviewer}[who]
    before = text_hits(MARKERS)
    client.force_login(staff)
    assert client.get(reverse("workflows:people")).status_code == 404
    assert client.get(reverse("workflows:person_json", args=[person.pk])).status_code == 404
    response = erase(client, staff, person)
    assert response.status_code == 404
    person.refresh_from_db()
    assert (person.email, person.is_active) == (EMAIL, True)
    assert text_hits(MARKERS) == before and PersonalDataErasure.objects.count() == 0


def test_the_administrator_erases_and_the_second_erasure_is_refused(client, world, person):
    assert erase(client, world["admin"], person).status_code == 302
    person.refresh_from_db()
    response = erase(client, world["admin"], person, confirm_email=person.email)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Personens uppgifter är redan raderade." in page
    assert 'name="confirm_email"' not in page  # no form: nothing left to erase
    assert PersonalDataErasure.objects.count() == 1


def test_staff_find_a_person_and_download_their_data(client, world, person, secretary):
    client.force_login(secretary)
    page = client.get(reverse("workflows:people"), {"q": "quux"}).content.decode()
    assert reverse("workflows:person_detail", args=[person.pk]) in page
    data = json.loads(client.get(reverse("workflows:person_json", args=[person.pk])).content)
    assert data["account"]["email"] == EMAIL
    assert OTHER_EMAIL not in json.dumps(data)


# -- Retention -------------------------------------------------------------------------------------------------

def _close(application, years_ago: float):
    Application.objects.filter(pk=application.pk).update(
        status_changed_at=timezone.now() - timedelta(days=int(365.25 * years_ago)))


def test_the_retention_task_pseudonymises_closed_cases_past_the_funds_period_once(world, person, media, call,
                                                                                  django_capture_on_commit_callbacks):
    decided, draft = world["decided"], world["draft"]
    # given: the fund keeps personal data 2 years; the draft was withdrawn 3 years ago, the decided case closed
    # (ended) 3 years ago too, and a third case was withdrawn 1 year ago
    call.fund.retention_years = 2
    call.fund.save()
    submit(draft, person)
    application_withdraw(application_id=draft.pk, user=person, reason="Vi flyttar")
    Application.objects.filter(pk=decided.pk).update(status=Application.Status.ENDED)
    recent = ApplicationFactory(organisation=draft.organisation, call=call, created_by=person,
                                signatory_name=NAME, signatory_email=EMAIL, summary=f"Ring {PHONE}")
    submit(recent, person)
    application_withdraw(application_id=recent.pk, user=person)
    _close(draft, 3)
    _close(decided, 3)
    _close(recent, 1)
    stored = draft.attachments.get().file.name
    assert (media / stored).exists()
    # when (the stored files go after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy_retention() == 2
    # then: the two old cases carry no name or address of the person in their own rows, their files are gone
    for application in (decided, draft):
        application.refresh_from_db()
        assert (application.signatory_name, application.signatory_email) == ("", "")
        assert application.personal_data_removed_at is not None
        assert NAME not in application.summary and EMAIL not in application.summary.lower()
        assert set(application.outbox.values_list("body_text", "body_html")) <= {("", "")}
    assert draft.attachments.get().original_name == "CV [person].pdf"
    assert draft.attachments.get().file.name == ""
    assert not (media / stored).exists()
    assert not FinalReportDraft.objects.filter(application=decided).exists()
    # and: the recent case and the person's account are untouched
    recent.refresh_from_db()
    assert (recent.signatory_name, recent.personal_data_removed_at) == (NAME, None)
    person.refresh_from_db()
    assert (person.full_name, person.is_active) == (NAME, True)
    # and: idempotent
    assert privacy_retention() == 0


def test_the_retention_task_works_in_batches(settings, person, organisation, call):
    settings.PRIVACY_RETENTION_BATCH = 2
    cases = ApplicationFactory.create_batch(5, organisation=organisation, call=call, created_by=person,
                                            signatory_name=NAME)
    Application.objects.filter(pk__in=[c.pk for c in cases]).update(
        status=Application.Status.WITHDRAWN, submitted_at=timezone.now(),
        status_changed_at=timezone.now() - timedelta(days=365 * 11))
    from workflows.privacy import retention_run

    assert [retention_run(batch=2), retention_run(batch=2), retention_run(batch=2), retention_run(batch=2)] == [
        2, 2, 1, 0]
    assert Application.objects.filter(signatory_name=NAME).count() == 0


def test_the_default_retention_is_ten_years(call):
    assert call.fund.retention_years == 10


# -- Outbox purge ----------------------------------------------------------------------------------------------

def test_outbox_texts_are_purged_after_the_configured_days_keeping_who_what_and_when(settings, client, draft,
                                                                                    applicant, secretary):
    settings.OUTBOX_BODY_RETENTION_DAYS = 30
    rows = {}
    for name, status, age in [("old_sent", "sent", 31), ("old_failed", "failed", 40), ("old_pending", "pending", 60),
                              ("new_sent", "sent", 29)]:
        message = OutboxMessage.objects.create(
            dedupe_key=name, recipient=applicant.email, user=applicant, kind="submitted", application=draft,
            language="sv", subject=f"Ämne {name}", body_text=f"Hej {name}", body_html=f"<p>Hej {name}</p>",
            status=status, sent_at=timezone.now() if status == "sent" else None)
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=age))
        rows[name] = message.pk
    assert outbox_bodies_purge() == 2
    kept = {m.dedupe_key: m for m in OutboxMessage.objects.all()}
    for name in ("old_sent", "old_failed"):
        message = kept[name]
        assert (message.body_text, message.body_html, message.context) == ("", "", {})
        assert (message.recipient, message.subject, message.kind) == (applicant.email, f"Ämne {name}", "submitted")
        assert message.body_purged_at is not None and not message.can_resend
    for name in ("old_pending", "new_sent"):
        assert kept[name].body_text == f"Hej {name}" and kept[name].body_purged_at is None
    assert outbox_bodies_purge() == 0
    # and: sending a purged mail again is refused
    client.force_login(secretary)
    submit(draft, applicant)
    before = OutboxMessage.objects.count()
    client.post(reverse("notifications:resend", args=[draft.pk, rows["old_sent"]]))
    assert OutboxMessage.objects.count() == before


def test_the_outbox_purge_works_in_bounded_batches(settings, applicant):
    from notifications.services import outbox_bodies_purge as purge

    for n in range(5):
        message = OutboxMessage.objects.create(dedupe_key=f"k{n}", recipient=applicant.email, user=applicant,
                                               kind="invitation", language="sv", subject="Inbjudan",
                                               body_text="Text", body_html="<p>Text</p>", status="sent")
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert [purge(batch=2, max_rows=2) for _ in range(4)] == [2, 2, 1, 0]
    assert OutboxMessage.objects.filter(body_text="").count() == 5


def test_the_migration_moves_reviewer_names_of_old_events_to_references_and_keeps_the_trigger(draft, reviewer):
    """grants/migrations/0014: events written before it copied a reviewer's name into the message."""
    import importlib

    from django.db import IntegrityError, connection, transaction

    migration = importlib.import_module("grants.migrations.0014_personal_data")
    name = reviewer.full_name
    old = [Event.objects.create(application=draft, kind=kind, message=message) for kind, message in [
        ("reviewer_assigned", name), ("review_deadline", f"{name}: 2026-01-01 → 2026-02-01"),
        ("reviews_ended", f"{name}, Someone Else"), ("reviewer_assigned", "Nobody Known")]]

    class Editor:  # what the migration uses of its schema editor: the connection and execute()
        def __init__(self):
            self.connection = connection

        def execute(self, sql, params=None):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    from django.db.migrations.loader import MigrationLoader

    historical = MigrationLoader(connection).project_state(("grants", "0014_personal_data")).apps
    migration.names_to_subjects(historical, Editor())
    assert [(e.subject_id, e.message) for e in Event.objects.filter(pk__in=[e.pk for e in old]).order_by("pk")] == [
        (reviewer.pk, ""), (reviewer.pk, "2026-01-01 → 2026-02-01"), (None, f"{name}, Someone Else"),
        (None, "Nobody Known")]
    # and: the append-only trigger is back
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE grants_event SET message = 'x' WHERE id = %s", [old[0].pk])
