"""Invitation races against PostgreSQL (SQLite has no row locks, so these run only there)."""

import pytest
from django.db import connection

from grants.services import memberships, organisations
from grants.models import Invitation, Membership
from common.errors import NotAllowed
from notifications.models import OutboxMessage
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"),
]


def test_concurrent_invitations_to_one_address_make_one_invitation_and_one_mail(applicant, organisation):
    results = run_together(10, lambda i: memberships.invitation_create(
        organisation_id=organisation.pk, user=applicant, email="Kim@Example.org" if i % 2 else "kim@example.org"))

    assert sum(isinstance(r, Invitation) for r in results) == 1
    assert all(isinstance(r, (Invitation, NotAllowed)) for r in results)
    assert Invitation.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="invitation").count() == 1


def test_concurrent_invitations_never_pass_the_daily_limit(applicant, organisation):
    results = run_together(25, lambda i: memberships.invitation_create(
        organisation_id=organisation.pk, user=applicant, email=f"k{i}@example.org"))

    assert sum(isinstance(r, Invitation) for r in results) == organisations.INVITATIONS_PER_DAY
    assert all(isinstance(r, (Invitation, NotAllowed)) for r in results)
    assert Invitation.objects.count() == OutboxMessage.objects.count() == organisations.INVITATIONS_PER_DAY


def test_one_invitation_accepted_at_once_by_many_makes_only_the_invited_person_a_contact(applicant, organisation):
    invitation = memberships.invitation_create(organisation_id=organisation.pk, user=applicant,
                                                 email="kim@example.org")
    kim = UserFactory(email="Kim@Example.org")
    people = [UserFactory() for _ in range(6)] + [kim, kim]

    results = run_together(8, lambda i: memberships.invitation_accept(token=invitation.token, user=people[i]))

    winners = [r for r in results if isinstance(r, Membership)]
    assert len(winners) == 2 and {w.user for w in winners} == {kim}  # the double click is harmless
    assert sum(isinstance(r, NotAllowed) for r in results) == 6
    assert Membership.objects.filter(organisation=organisation).count() == 2  # the inviter and Kim
    invitation.refresh_from_db()
    assert invitation.accepted_by == kim


def test_a_double_click_on_accept_is_harmless(applicant, organisation):
    invitation = memberships.invitation_create(organisation_id=organisation.pk, user=applicant,
                                                 email="kim@example.org")
    colleague = UserFactory(email="kim@example.org")

    results = run_together(6, lambda i: memberships.invitation_accept(token=invitation.token, user=colleague))

    assert all(isinstance(r, Membership) for r in results), results
    assert Membership.objects.filter(user=colleague, organisation=organisation).count() == 1
