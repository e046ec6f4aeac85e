"""Organisations cannot be squatted: a registered number becomes a request to join, a first registration is
unverified until a case officer confirms it, staff move an organisation to its rightful contacts. The
registration answers the same way whether or not the number is registered. All over HTTP."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grants.services import memberships, organisations
from grants.models import Invitation, JoinRequest, Membership, Municipality, Organisation, OrganisationEvent
from notifications.models import OutboxMessage
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, luhn_org_number
from tests.flow_helpers import open_task, submit

pytestmark = pytest.mark.django_db

REGISTER = reverse("grants:organisation_create")
ANSWER_EN = ("Thank you. If {number} was not registered in Potten, the organisation is now registered with you as "
             "its contact and can apply; a case officer will verify it. If it was already registered, we have "
             "asked its contacts to let you in, and you get an e-mail when they answer.")
ANSWER_SV = ("Tack. Om {number} inte var registrerat i Potten är organisationen nu registrerad med dig som "
             "kontaktperson och kan söka; en handläggare kommer att verifiera den. Om det redan var registrerat har "
             "vi bett dess kontaktpersoner att släppa in dig, och du får besked via e-post när de svarar.")


def org_number(n: int) -> str:
    """A valid organisationsnummer outside the factories' range (8029…), for numbers registered here."""
    return luhn_org_number(f"8025{n:05d}")


def registered_organisation(n: int, **kwargs):
    return MembershipFactory(organisation__org_number=org_number(n), **kwargs).organisation


def form(number, name="Föreningen Mötesplats"):
    return {"name": name, "org_number": number, "municipality": Municipality.objects.get(name="Nybro").pk,
            "kind": "association"}


def register(client, number, language="en", **kwargs):
    response = client.post(REGISTER, form(number, **kwargs), HTTP_ACCEPT_LANGUAGE=language)
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def snapshot():
    return (Organisation.objects.count(), Membership.objects.count(), JoinRequest.objects.count(),
            OrganisationEvent.objects.count(), Invitation.objects.count(), OutboxMessage.objects.count(),
            list(Organisation.objects.values_list("pk", "verified_at").order_by("pk")),
            list(JoinRequest.objects.values_list("pk", "status").order_by("pk")))


ORGANISATION_MAILS = ["join_request", "join_approved", "join_declined", "contact_added", "contact_removed",
                      "invitation"]


def kinds_to(email):
    return sorted(OutboxMessage.objects.filter(recipient=email, kind__in=ORGANISATION_MAILS)
                  .values_list("kind", flat=True))


@pytest.fixture
def officers(case_officer):
    return [case_officer, UserFactory(role="case_officer", full_name="Hanna Handläggare")]


@pytest.mark.parametrize("language, answer", [("en", ANSWER_EN), ("sv", ANSWER_SV)])
def test_the_answer_is_the_same_whether_or_not_the_number_is_registered(client, organisation, language, answer):
    # given: one registered number and one that is not
    new_number = org_number(90001)
    first, second = UserFactory(), UserFactory()

    # when: one person registers the new number, another the registered one
    client.force_login(first)
    new_response, new_messages = register(client, new_number, language)
    client = Client()
    client.force_login(second)
    old_response, old_messages = register(client, organisation.org_number, language)

    # then: the same status, the same redirect and the same words (but the number)
    assert (new_response.status_code, new_response["Location"]) == (302, reverse("grants:my_applications"))
    assert (old_response.status_code, old_response["Location"]) == (302, reverse("grants:my_applications"))
    assert new_messages == [answer.format(number=new_number)]
    assert old_messages == [answer.format(number=organisation.org_number)]
    # and: the new number is registered, unverified, with its registrant as contact
    created = Organisation.objects.get(org_number=new_number)
    assert (created.is_verified, list(created.members.all())) == (False, [first])
    assert list(created.events.values_list("kind", "actor", "person")) == [("registered", first.pk, first.pk)]
    # and: the registered one is unchanged, with a request to join from the second person
    assert not Membership.objects.filter(user=second, organisation=organisation).exists()
    join_request = JoinRequest.objects.get()
    assert (join_request.organisation, join_request.user, join_request.status, join_request.name_given) == (
        organisation, second, "pending", "Föreningen Mötesplats")
    assert organisation.name != "Föreningen Mötesplats"  # what they typed changed nothing


def test_the_registration_form_never_says_a_number_is_registered(client, organisation, applicant):
    client.force_login(UserFactory())
    response, _messages = register(client, organisation.org_number.replace("-", ""))
    assert response.status_code == 302
    assert JoinRequest.objects.get().user_id == int(client.session["_auth_user_id"])
    # and: someone who is a contact already is simply told so (they know the organisation)
    client = Client()
    client.force_login(applicant)
    before = snapshot()
    response, messages = register(client, organisation.org_number)
    assert response.status_code == 302
    assert messages == ["You are already a contact for this organisation."]
    assert snapshot() == before


def test_anonymous_cannot_register(client, organisation):
    before = snapshot()
    response = client.post(REGISTER, form(organisation.org_number))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert snapshot() == before


def test_squatting_is_undone_a_contact_declines_and_a_case_officer_moves_the_organisation(
    client, officers, call, django_capture_on_commit_callbacks,
):
    # given: a squatter registered the real organisation's number first and started an application
    number = org_number(90002)
    squatter = UserFactory(full_name="Sven Squatter", email="sven@example.org")
    client.force_login(squatter)
    register(client, number, name="Riktiga föreningen")
    organisation = Organisation.objects.get(org_number=number)
    squatted = ApplicationFactory(organisation=organisation, call=call, created_by=squatter)
    submit(squatted, squatter)

    # when: the real chair registers the same number
    chair = UserFactory(full_name="Ordförande Olsson", email="ordforande@example.org")
    client.force_login(chair)
    response, _messages = register(client, number, name="Riktiga föreningen")

    # then: a request to join, mailed to the squatter (the only contact) and, as the organisation is not
    # verified, to every case officer; the chair gets no access
    assert response.status_code == 302
    join_request = JoinRequest.objects.get(organisation=organisation)
    assert join_request.user == chair
    assert kinds_to("sven@example.org") == ["join_request"]
    for officer in officers:
        row = OutboxMessage.objects.get(recipient=officer.email, kind="join_request")
        assert row.link.endswith(reverse("grants:organisation_staff", args=[organisation.pk]))
        assert "ordforande@example.org" in row.body_text
    assert client.get(reverse("grants:organisation_detail", args=[organisation.pk])).status_code == 404

    # when: the squatter declines it from the organisation page
    client.force_login(squatter)
    page = client.get(reverse("grants:organisation_detail", args=[organisation.pk]))
    assert list(page.context["join_requests"]) == [join_request]
    response = client.post(reverse("grants:join_request_decide", args=[join_request.pk]), {"decision": "decline"})

    # then: declined, audited, and the chair is told to turn to the case officers (never a dead end)
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by) == ("declined", squatter)
    declined = OutboxMessage.objects.get(recipient="ordforande@example.org")
    assert declined.kind == "join_declined"
    assert ("Om du företräder organisationen, kontakta fondens handläggare: de kan kontrollera registreringen och "
            "göra dig till kontaktperson.") in declined.body_text

    # when: a case officer sees the unverified organisation and moves it to the chair, with a reason
    officer = officers[0]
    client.force_login(officer)
    listing = client.get(reverse("grants:organisation_staff_list"), {"show": "unverified"})
    assert [o.pk for o in listing.context["organisations"]] == [organisation.pk]
    staff_page = reverse("grants:organisation_staff", args=[organisation.pk])
    assert client.get(staff_page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:organisation_contacts_change", args=[organisation.pk]), {
            "remove": [str(squatter.pk)], "add": "Ordforande@Example.org",
            "reason": "Registrerad av obehörig; ordföranden visade registreringsbeviset.",
        })

    # then: the chair is the contact, the squatter is out and both were told; everything is in the trail
    assert response.status_code == 302 and response["Location"] == staff_page
    assert list(organisation.members.all()) == [chair]
    assert kinds_to("ordforande@example.org") == ["contact_added", "join_declined"]
    assert kinds_to("sven@example.org") == ["contact_removed", "join_request"]
    trail = list(organisation.events.values_list("kind", "actor", "person", "message"))
    assert trail == [
        ("registered", squatter.pk, squatter.pk, ""),
        ("join_requested", chair.pk, chair.pk, ""),
        ("join_declined", squatter.pk, chair.pk, ""),
        ("contact_removed", officer.pk, squatter.pk,
         "Registrerad av obehörig; ordföranden visade registreringsbeviset."),
        ("contact_added", officer.pk, chair.pk, "Registrerad av obehörig; ordföranden visade registreringsbeviset."),
    ]
    # and: the squatter no longer reaches the organisation or its application; the chair does
    client.force_login(squatter)
    assert client.get(reverse("grants:organisation_detail", args=[organisation.pk])).status_code == 404
    assert client.get(reverse("grants:application_detail", args=[squatted.pk])).status_code == 404
    client.force_login(chair)
    assert client.get(reverse("grants:application_detail", args=[squatted.pk])).status_code == 200


@pytest.mark.parametrize("answer", ["approve", "decline"])
def test_a_contact_answers_a_request_to_join(client, applicant, organisation, answer, officers):
    # given: a verified organisation and a colleague who registered its number
    organisations.organisation_verify(organisation_id=organisation.pk, user=officers[0])
    colleague = UserFactory(email="kollega@example.org")
    client.force_login(colleague)
    register(client, organisation.org_number)
    join_request = JoinRequest.objects.get()
    # a verified organisation with contacts: only its contacts are asked, not the case officers
    assert kinds_to(applicant.email) == ["join_request"]
    assert not OutboxMessage.objects.filter(recipient__in=[o.email for o in officers]).exists()

    # when: the contact answers
    client.force_login(applicant)
    response = client.post(reverse("grants:join_request_decide", args=[join_request.pk]), {"decision": answer},
                           HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:organisation_detail", args=[organisation.pk])
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by) == (
        "approved" if answer == "approve" else "declined", applicant)
    assert Membership.objects.filter(user=colleague, organisation=organisation).exists() == (answer == "approve")
    assert kinds_to("kollega@example.org") == ["join_approved" if answer == "approve" else "join_declined"]
    assert organisation.events.last().kind == ("join_approved" if answer == "approve" else "join_declined")

    # and: a second answer is refused and changes nothing
    before = snapshot()
    other = "decline" if answer == "approve" else "approve"
    response = client.post(reverse("grants:join_request_decide", args=[join_request.pk]), {"decision": other},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "This request has already been answered."
    assert snapshot() == before


@pytest.mark.parametrize("answer", ["approve", "decline"])
def test_a_case_officer_answers_a_request_to_join(client, applicant, organisation, case_officer, answer):
    requester = UserFactory(email="ny@example.org")
    client.force_login(requester)
    register(client, organisation.org_number)
    join_request = JoinRequest.objects.get()

    client.force_login(case_officer)
    page = client.get(reverse("grants:organisation_staff", args=[organisation.pk]))
    assert list(page.context["join_requests"]) == [join_request]
    response = client.post(reverse("grants:join_request_decide", args=[join_request.pk]), {"decision": answer})

    assert response.status_code == 302
    assert response["Location"] == reverse("grants:organisation_staff", args=[organisation.pk])
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by) == (
        "approved" if answer == "approve" else "declined", case_officer)
    assert Membership.objects.filter(user=requester, organisation=organisation).exists() == (answer == "approve")
    event = organisation.events.last()
    assert (event.kind, event.actor, event.person) == (f"join_{answer}d", case_officer, requester)


@pytest.mark.parametrize("persona", ["anonymous", "requester", "other_applicant", "reviewer", "secretary", "steering"])
def test_no_one_else_can_answer_a_request_to_join(client, applicant, organisation, other_applicant, reviewer,
                                                  secretary, steering, persona):
    requester = UserFactory()
    client.force_login(requester)
    register(client, organisation.org_number)
    join_request = JoinRequest.objects.get()
    client.logout()
    people = {"anonymous": None, "requester": requester, "other_applicant": other_applicant, "reviewer": reviewer,
              "secretary": secretary, "steering": steering}
    if people[persona] is not None:
        client.force_login(people[persona])
    before = snapshot()

    response = client.post(reverse("grants:join_request_decide", args=[join_request.pk]), {"decision": "approve"})

    assert response.status_code == (302 if persona == "anonymous" else 404)
    assert snapshot() == before


def test_asking_again_sends_no_second_mail(client, applicant, organisation):
    requester = UserFactory()
    client.force_login(requester)
    register(client, organisation.org_number)
    register(client, organisation.org_number)

    assert JoinRequest.objects.count() == 1
    assert kinds_to(applicant.email) == ["join_request"]
    assert list(organisation.events.values_list("kind", flat=True)) == ["join_requested", "join_requested"]


def test_a_person_registers_at_most_five_numbers_a_day_whether_or_not_they_exist(client, organisation):
    # given: five registrations in the last 24 hours, one of them a request to join
    person = UserFactory()
    client.force_login(person)
    register(client, organisation.org_number)
    for n in range(4):
        assert register(client, org_number(90100 + n))[0].status_code == 302

    # when: a sixth, of a new and of a registered number
    answers = []
    for number in (org_number(90200), registered_organisation(90300).org_number):
        before = snapshot()
        response = client.post(REGISTER, form(number), HTTP_ACCEPT_LANGUAGE="en")
        answers.append((response.status_code, response.context["form"].non_field_errors()))
        assert snapshot() == before

    # then: refused alike, nothing written
    assert answers[0] == answers[1]
    assert answers[0] == (400, ["You have registered 5 organisations in the last 24 hours. Try again tomorrow, or "
                                "ask the fund's case officers for help."])
    # and: a day later it works again
    tomorrow = SimpleNamespace(now=lambda: timezone.now() + timedelta(hours=25), localtime=timezone.localtime)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(organisations, "timezone", tomorrow)
        assert register(client, org_number(90200))[0].status_code == 302
    assert Organisation.objects.filter(org_number=org_number(90200)).exists()


def test_a_case_officer_verifies_from_the_case_page_and_the_check(client, draft, applicant, organisation,
                                                                  case_officer, secretary):
    submit(draft, applicant)
    case_url = reverse("workflows:case_detail", args=[draft.pk])
    task_url = reverse("workflows:task", args=[open_task(draft).pk])
    verify_url = reverse("grants:organisation_verify", args=[organisation.pk])

    # given: the case page and the ex-ante check show that the organisation is not verified
    client.force_login(case_officer)
    for url in (case_url, task_url):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "The organisation is not yet verified" in html
        assert f'action="{verify_url}"' in html
    # and: the secretary sees the warning but cannot confirm, not even by posting
    client.force_login(secretary)
    html = client.get(case_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The organisation is not yet verified" in html and f'action="{verify_url}"' not in html
    before = snapshot()
    assert client.post(verify_url, {"note": "x"}).status_code == 404
    assert snapshot() == before

    # when: the case officer confirms it from the check page
    client.force_login(case_officer)
    response = client.post(verify_url, {"note": "Registreringsbeviset stämmer.", "next": task_url})

    # then: verified, audited, and back on the check page, which no longer warns
    assert response.status_code == 302 and response["Location"] == task_url
    organisation.refresh_from_db()
    assert organisation.verified_by == case_officer and organisation.is_verified
    event = organisation.events.get()
    assert (event.kind, event.actor, event.message) == ("verified", case_officer, "Registreringsbeviset stämmer.")
    html = client.get(task_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The organisation is not yet verified" not in html
    assert "The organisation was verified on" in client.get(case_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # and: a second confirmation is refused and changes nothing; an outside `next` is not followed
    before = snapshot()
    response = client.post(verify_url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("grants:organisation_staff", args=[organisation.pk])
    assert snapshot() == before


def test_the_applicant_sees_whether_the_organisation_is_verified(client, applicant, organisation, case_officer):
    client.force_login(applicant)
    url = reverse("grants:organisation_detail", args=[organisation.pk])
    assert "Not yet: a case officer" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    organisations.organisation_verify(organisation_id=organisation.pk, user=case_officer)
    assert "Yes, by a case officer on" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_moving_an_organisation_invites_an_address_without_account_and_only_it_can_accept(
    client, applicant, organisation, case_officer, other_applicant,
):
    # given: the contact had invited an accomplice
    memberships.invitation_create(organisation_id=organisation.pk, user=applicant, email="medhjalpare@example.org")
    client.force_login(case_officer)

    # when: the case officer removes the contact and adds an address that has no account yet
    response = client.post(reverse("grants:organisation_contacts_change", args=[organisation.pk]), {
        "remove": [str(applicant.pk)], "add": "ratt@example.org", "reason": "Fel kontaktperson.",
    })

    # then: no contacts for now, the accomplice's invitation is withdrawn, the right person is invited
    assert response.status_code == 302
    assert not Membership.objects.filter(organisation=organisation).exists()
    assert list(memberships.invitations_open(organisation=organisation).values_list("email", flat=True)) == [
        "ratt@example.org"]
    invitation = Invitation.objects.get(email="ratt@example.org")
    assert invitation.invited_by == case_officer
    removed = organisation.events.get(kind="contact_removed")
    assert removed.message == "Fel kontaktperson.\nÖppna inbjudningar återkallade: 1"
    invited = organisation.events.get(kind="contact_invited")
    assert (invited.invitation, invited.message) == (invitation, "Fel kontaktperson.")
    # and: someone else holding the link cannot take it; the invited address can
    url = reverse("grants:invitation_accept", args=[invitation.token])
    client.force_login(other_applicant)
    assert client.post(url).status_code == 400
    right = UserFactory(email="ratt@example.org")
    client.force_login(right)
    assert client.post(url).status_code == 302
    assert list(organisation.members.all()) == [right]


def test_moving_needs_a_reason_and_a_change_and_refuses_everyone_but_case_officers(
    client, applicant, organisation, case_officer, secretary, other_applicant,
):
    url = reverse("grants:organisation_contacts_change", args=[organisation.pk])
    client.force_login(case_officer)
    before = snapshot()
    for data, field in (({"remove": [str(applicant.pk)], "reason": ""}, "reason"),
                        ({"reason": "x"}, None),
                        ({"add": "inte en adress", "reason": "x"}, "add"),
                        ({"remove": [str(other_applicant.pk)], "reason": "x"}, "remove")):
        response = client.post(url, data)
        assert response.status_code == 400
        assert field in response.context["contacts_form"].errors if field else response.context[
            "contacts_form"].non_field_errors()
        assert snapshot() == before
    for person in (applicant, secretary, other_applicant):
        client.force_login(person)
        assert client.post(url, {"remove": [str(applicant.pk)], "reason": "x"}).status_code == 404
        assert client.get(reverse("grants:organisation_staff", args=[organisation.pk])).status_code == 404
        assert client.get(reverse("grants:organisation_staff_list")).status_code == 404
        assert snapshot() == before


def test_the_staff_list_searches_and_filters(client, case_officer, organisation):
    other = registered_organisation(90400, organisation__name="Kulturföreningen Ljus")
    organisations.organisation_verify(organisation_id=other.pk, user=case_officer)
    requester = UserFactory()
    client.force_login(requester)
    register(client, other.org_number)
    client.force_login(case_officer)
    url = reverse("grants:organisation_staff_list")

    def names(**params):
        return [o.name for o in client.get(url, params).context["organisations"]]

    assert names() == sorted([organisation.name, other.name])
    assert names(q="ljus") == [other.name]
    assert names(q=organisation.org_number.replace("-", "")) == [organisation.name]
    assert names(q=organisation.org_number[:6]) == [organisation.name]
    assert names(show="unverified") == [organisation.name]
    assert names(show="requests") == [other.name]


def test_the_organisations_audit_trail_is_append_only(organisation, case_officer):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, connection, transaction

    organisations.organisation_verify(organisation_id=organisation.pk, user=case_officer, note="Kontrollerat.")
    event = organisation.events.get()
    event.message = "ändrad"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        OrganisationEvent.objects.update(message="ändrad")
    with pytest.raises(ValidationError):
        OrganisationEvent.objects.all().delete()
    statements = ["UPDATE grants_organisationevent SET message = 'ändrad'"]
    if connection.vendor == "postgresql":  # SQLite's flush deletes rows, so only an UPDATE trigger there
        statements.append("DELETE FROM grants_organisationevent")
    for statement in statements:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert list(OrganisationEvent.objects.values_list("kind", "message")) == [("verified", "Kontrollerat.")]
