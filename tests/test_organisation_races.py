"""Registration and join-request races against PostgreSQL (SQLite has no row locks, so these run only there)."""

import pytest
from django.db import connection

from grants.services import organisations
from grants.models import JoinRequest, Membership, Municipality, Organisation, OrganisationEvent
from common.errors import NotAllowed
from tests.factories import UserFactory
from tests.test_organisations import org_number
from tests.threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"),
]


def register(user, number):
    return organisations.organisation_register(user=user, name="Föreningen", org_number=number,
                                               municipality=Municipality.objects.get(name="Kalmar"),
                                               kind="association")


def test_many_registering_one_new_number_at_once_make_one_organisation_and_requests_to_join():
    people = [UserFactory() for _ in range(6)]
    number = org_number(1)

    results = run_together(6, lambda i: register(people[i], number))

    assert sorted(results) == ["registered"] + ["requested"] * 5
    organisation = Organisation.objects.get(org_number=number)
    assert Membership.objects.filter(organisation=organisation).count() == 1
    assert JoinRequest.objects.filter(organisation=organisation, status="pending").count() == 5


def test_a_request_answered_at_once_by_two_is_answered_once():
    contact, requester = UserFactory(), UserFactory()
    register(contact, org_number(2))
    register(requester, org_number(2))
    join_request = JoinRequest.objects.get()

    results = run_together(4, lambda i: organisations.join_request_decide(
        join_request_id=join_request.pk, user=contact, approve=i % 2 == 0))

    assert sum(isinstance(r, JoinRequest) for r in results) == 1
    assert sum(isinstance(r, NotAllowed) for r in results) == 3
    assert OrganisationEvent.objects.filter(kind__in=["join_approved", "join_declined"]).count() == 1


def test_one_person_cannot_pass_the_daily_limit_by_registering_in_parallel():
    person = UserFactory()

    results = run_together(8, lambda i: register(person, org_number(10 + i)))

    assert sum(r == "registered" for r in results) == organisations.REGISTRATIONS_PER_DAY
    assert sum(isinstance(r, NotAllowed) for r in results) == 8 - organisations.REGISTRATIONS_PER_DAY
    assert Organisation.objects.count() == organisations.REGISTRATIONS_PER_DAY
