"""Organisation contacts invite colleagues by e-mail; the colleague accepts through the link."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from grants.services import memberships
from allauth.account.models import EmailAddress

from grants.models import Invitation, Membership, OrganisationEvent
from common.errors import NotAllowed
from notifications.models import OutboxMessage
from tests.auth_helpers import confirmation_link, link_in, logged_in_user_id
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_client(client, applicant):
    client.force_login(applicant)
    return client


def invite(client, organisation, email):
    return client.post(reverse("grants:organisation_detail", args=[organisation.pk]), {"email": email})


def accept_url(invitation) -> str:
    return reverse("grants:invitation_accept", args=[invitation.token])


def test_a_colleague_is_invited_registers_accepts_and_sees_the_applications(
    client, applicant, organisation, call, password, django_capture_on_commit_callbacks,
):
    ApplicationFactory(organisation=organisation, call=call, created_by=applicant, title="Läxhjälp på lördagar")
    applicant.full_name, applicant.language = "Amina Sökande", "en"
    applicant.save()
    client.force_login(applicant)

    # given: the organisation page lists the contact and offers the invitation form
    page = client.get(reverse("grants:organisation_detail", args=[organisation.pk]))
    assert page.status_code == 200
    assert organisation.org_number in page.content.decode()
    assert applicant.email in page.content.decode()

    # when: the contact invites a colleague (the address is normalised)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, organisation, "  Kim.Kollega@Example.ORG ")

    # then: one invitation, one outbox row of kind "invitation" and one mail with the link
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:organisation_detail", args=[organisation.pk])
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organisation, invitation.invited_by) == (
        "kim.kollega@example.org", organisation, applicant)
    assert len(invitation.token) >= 43
    assert timedelta(days=13, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=14)
    row = OutboxMessage.objects.get()
    assert (row.kind, row.recipient, row.user, row.application) == ("invitation", "kim.kollega@example.org",
                                                                   None, None)
    assert row.dedupe_key == f"kim.kollega@example.org|invitation|-|invitation:{invitation.pk}"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kim.kollega@example.org"]
    assert organisation.name in message.subject
    # no account yet: the mail is in the inviter's language
    assert row.language == "en"
    assert "Amina Sökande has invited you" in message.body
    assert timezone.localtime(invitation.expires_at).strftime("%Y") in message.body
    link = link_in(message, "/organisation/inbjudan/")
    assert link == accept_url(invitation)
    # and: the organisation page lists the open invitation
    assert "kim.kollega@example.org" in client.get(reverse("grants:organisation_detail",
                                                           args=[organisation.pk])).content.decode()
    client.post(reverse("account_logout"))

    # when: the colleague opens the link without an account
    page = client.get(link)

    # then: the page explains the invitation and links to login and sign-up, both returning here
    assert page.status_code == 200
    html = page.content.decode()
    assert organisation.name in html and "kim.kollega@example.org" in html
    assert page.context["login_url"] == f"{reverse('account_login')}?next={link.replace('/', '%2F')}"
    assert page.context["signup_url"] == f"{reverse('account_signup')}?next={link.replace('/', '%2F')}"
    assert 'method="post"' not in html.split("<main", 1)[1]  # nothing to accept before logging in
    # and: a POST without login changes nothing and asks for a login
    response = client.post(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert Invitation.objects.get().accepted_at is None

    # when: she registers through the sign-up link and confirms her address
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page.context["signup_url"], {
            "full_name": "Kim Kollega", "language": "sv", "email": "kim.kollega@example.org",
            "password1": password, "password2": password,
        })
    assert response.status_code == 302
    response = client.post(confirmation_link("kim.kollega@example.org"))

    # then: she is logged in and back on the invitation, which asks her to confirm
    assert response.status_code == 302
    assert response["Location"] == link
    assert logged_in_user_id(client) is not None
    page = client.get(link)
    assert page.status_code == 200
    assert 'type="submit" class="button"' in page.content.decode()
    assert not page.context["other_address"]
    colleague = page.context["user"]
    assert colleague.email == "kim.kollega@example.org"
    assert not Membership.objects.filter(user=colleague).exists()

    # when: she accepts
    response = client.post(link)

    # then: she is a contact and sees the organisation's applications
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:organisation_detail", args=[organisation.pk])
    assert Membership.objects.filter(user=colleague, organisation=organisation).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == colleague and invitation.accepted_at is not None
    mine = client.get(reverse("grants:my_applications"))
    assert "Läxhjälp på lördagar" in mine.content.decode()
    assert reverse("grants:organisation_detail", args=[organisation.pk]) in mine.content.decode()
    page = client.get(reverse("grants:organisation_detail", args=[organisation.pk]))
    assert page.status_code == 200
    assert list(page.context["contacts"]) == sorted([applicant, colleague], key=lambda u: u.full_name)
    assert list(page.context["invitations"]) == []

    # and: a second accept is harmless
    accepted_at = invitation.accepted_at
    response = client.post(link)
    assert response.status_code == 302
    assert Membership.objects.filter(user=colleague, organisation=organisation).count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at == accepted_at
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["used_by_me"]
    assert "You have accepted this invitation." in page.content.decode()


def test_the_mail_is_in_the_invitees_language_when_they_already_have_an_account(contact_client, organisation):
    UserFactory(email="befintlig@example.org", language="sv")

    invite(contact_client, organisation, "befintlig@example.org")

    row = OutboxMessage.objects.get(kind="invitation")
    assert row.language == "sv"
    assert organisation.name in row.subject and row.body_text.strip()


def test_an_expired_invitation_is_refused_and_nothing_changes(contact_client, organisation, other_applicant):
    invite(contact_client, organisation, other_applicant.email)
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = contact_client
    client.force_login(other_applicant)

    page = client.get(accept_url(invitation))
    assert page.status_code == 200
    assert page.context["expired"]
    response = client.post(accept_url(invitation), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.context["error"].startswith("This invitation expired on ")
    assert not Membership.objects.filter(user=other_applicant, organisation=organisation).exists()
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.accepted_by) == (None, None)


def test_an_invitation_used_by_someone_else_is_refused(contact_client, organisation, other_applicant):
    invite(contact_client, organisation, "delad@example.org")
    invitation = Invitation.objects.get()
    first = UserFactory(email="delad@example.org")
    contact_client.force_login(first)
    assert contact_client.post(accept_url(invitation)).status_code == 302

    contact_client.force_login(other_applicant)
    assert contact_client.get(accept_url(invitation)).context["used_by_other"]
    response = contact_client.post(accept_url(invitation), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.context["error"].startswith("This invitation has already been used.")
    assert not Membership.objects.filter(user=other_applicant, organisation=organisation).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == first


def invitation_state(invitation):
    invitation.refresh_from_db()
    return (invitation.accepted_at, invitation.accepted_by_id, Membership.objects.count(),
            OrganisationEvent.objects.count(), OutboxMessage.objects.count())


@pytest.mark.parametrize("language, refusal", [
    ("en", "This invitation was sent to inbjuden@example.org, but you are logged in as {me}. Log in with the "
           "invited address (and confirm it), or ask a contact of {org} to invite {me}."),
    ("sv", "Inbjudan skickades till inbjuden@example.org, men du är inloggad som {me}. Logga in med den "
           "inbjudna adressen (och bekräfta den), eller be en kontaktperson för {org} att bjuda in {me}."),
])
def test_accepting_with_another_address_is_refused_and_changes_nothing(
    contact_client, organisation, other_applicant, language, refusal,
):
    # given: an invitation to inbjuden@example.org, opened by someone logged in with another address
    invite(contact_client, organisation, "inbjuden@example.org")
    invitation = Invitation.objects.get()
    contact_client.force_login(other_applicant)
    before = invitation_state(invitation)

    # when: they look at it
    page = contact_client.get(accept_url(invitation), HTTP_ACCEPT_LANGUAGE=language)

    # then: the page says why they cannot accept, and offers no button
    assert page.status_code == 200
    assert page.context["other_address"]
    html = page.content.decode()
    assert "inbjuden@example.org" in html and other_applicant.email in html
    assert 'method="post"' not in html.split("<main", 1)[1].split('action="/konto/logout/"')[0]

    # when: they post the accept anyway
    response = contact_client.post(accept_url(invitation), HTTP_ACCEPT_LANGUAGE=language)

    # then: refused with a clear, translated message, and nothing changed
    assert response.status_code == 400
    assert response.context["error"] == refusal.format(me=other_applicant.email, org=organisation.name)
    assert invitation_state(invitation) == before
    assert not Membership.objects.filter(user=other_applicant, organisation=organisation).exists()


def test_the_invited_address_accepts_in_any_case(contact_client, organisation):
    invite(contact_client, organisation, "Kim.Kollega@Example.org")
    invitation = Invitation.objects.get()
    kim = UserFactory(email="KIM.KOLLEGA@example.ORG")
    contact_client.force_login(kim)

    assert not contact_client.get(accept_url(invitation)).context["other_address"]
    assert contact_client.post(accept_url(invitation)).status_code == 302

    assert Membership.objects.filter(user=kim, organisation=organisation).exists()
    event = OrganisationEvent.objects.get(kind="invitation_accepted")
    assert (event.organisation, event.actor, event.person, event.invitation) == (organisation, kim, kim, invitation)
    assert event.invitation.email == "kim.kollega@example.org"


def test_an_unconfirmed_invited_address_cannot_accept(contact_client, organisation):
    # given: an account whose invited address is listed but not confirmed
    invite(contact_client, organisation, "kim@example.org")
    invitation = Invitation.objects.get()
    kim = UserFactory(email="kim@example.org")
    EmailAddress.objects.filter(user=kim).update(verified=False)
    contact_client.force_login(kim)
    before = invitation_state(invitation)

    response = contact_client.post(accept_url(invitation), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.context["error"].startswith("This invitation was sent to kim@example.org, but you are")
    assert invitation_state(invitation) == before


def test_a_second_confirmed_address_of_the_account_may_accept(contact_client, organisation):
    invite(contact_client, organisation, "jobb@example.org")
    invitation = Invitation.objects.get()
    kim = UserFactory(email="privat@example.org")
    EmailAddress.objects.create(user=kim, email="jobb@example.org", verified=True, primary=False)
    contact_client.force_login(kim)

    assert contact_client.post(accept_url(invitation)).status_code == 302
    assert Membership.objects.filter(user=kim, organisation=organisation).exists()


def test_an_unknown_token_is_404(client, applicant):
    assert client.get(reverse("grants:invitation_accept", args=["no-such-token"])).status_code == 404
    client.force_login(applicant)
    assert client.post(reverse("grants:invitation_accept", args=["no-such-token"])).status_code == 404


def test_a_non_contact_cannot_invite_and_nothing_is_queued(client, organisation, other_applicant, case_officer):
    for outsider in (other_applicant, case_officer):
        client.force_login(outsider)
        assert invite(client, organisation, "someone@example.org").status_code == 404
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()
    # and: the service refuses too, whatever the view does
    with pytest.raises(PermissionDenied):
        memberships.invitation_create(organisation_id=organisation.pk, user=other_applicant,
                                        email="someone@example.org")
    assert not Invitation.objects.exists()


def test_another_organisations_user_gets_404_on_the_organisation_page(client, organisation, other_applicant):
    url = reverse("grants:organisation_detail", args=[organisation.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404
    assert client.get(reverse("grants:organisation_detail", args=[organisation.pk + 1000])).status_code == 404


def test_a_second_open_invitation_to_the_same_address_is_refused(contact_client, organisation):
    assert invite(contact_client, organisation, "kim@example.org").status_code == 302

    response = contact_client.post(reverse("grants:organisation_detail", args=[organisation.pk]),
                                   {"email": "KIM@example.org"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "kim@example.org has already been invited and the invitation is still valid. "
        "Ask them to look for the e-mail, also in the spam folder."]
    assert 'class="error-summary"' in response.content.decode()
    assert Invitation.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="invitation").count() == 1

    # when: the first one has expired, a new invitation is allowed and sends a new mail
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert invite(contact_client, organisation, "kim@example.org").status_code == 302
    assert Invitation.objects.count() == 2
    assert OutboxMessage.objects.filter(kind="invitation", recipient="kim@example.org").count() == 2


def test_an_existing_contact_cannot_be_invited(contact_client, applicant, organisation):
    colleague = UserFactory(email="redan@example.org")
    Membership.objects.create(user=colleague, organisation=organisation)

    for email in (applicant.email, "Redan@Example.org"):
        response = invite(contact_client, organisation, email)
        assert response.status_code == 400
        assert response.context["form"].errors["email"]
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_an_organisation_sends_at_most_20_invitations_a_day(contact_client, applicant, organisation):
    for n in range(20):
        memberships.invitation_create(organisation_id=organisation.pk, user=applicant, email=f"k{n}@example.org")

    response = invite(contact_client, organisation, "k20@example.org")

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert Invitation.objects.count() == 20
    # older invitations no longer count
    Invitation.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert invite(contact_client, organisation, "k20@example.org").status_code == 302


def test_the_service_refuses_with_a_clear_message(applicant, organisation):
    memberships.invitation_create(organisation_id=organisation.pk, user=applicant, email="kim@example.org")
    with pytest.raises(NotAllowed) as refused:
        memberships.invitation_create(organisation_id=organisation.pk, user=applicant, email="Kim@Example.org")
    assert "kim@example.org" in refused.value.message
    with pytest.raises(NotAllowed):
        memberships.invitation_create(organisation_id=organisation.pk, user=applicant, email="not an address")
