from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from grants.models import Application, Call, Fund, FundYear, Membership, Municipality, Organisation
from grants.validators import luhn_ok

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()
        # The address is verified, as after allauth's e-mail confirmation.
        EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def org_number(n: int) -> str:
    """A valid organisationsnummer built from a counter: 80xxxx-xxxC."""
    body = f"80{n:07d}"
    for check in range(10):
        if luhn_ok(body + str(check)):
            digits = body + str(check)
            return f"{digits[:6]}-{digits[6:]}"
    raise AssertionError


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    name = factory.Sequence(lambda n: f"Fund {n}")
    slug = factory.Sequence(lambda n: f"fund-{n}")
    kind = Fund.Kind.DIALOGPOTT
    max_amount = Decimal("30000")


class FundYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundYear

    fund = factory.SubFactory(FundFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    budget = Decimal("100000")
    target_applications = 10
    target_carried_out = 5


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    fund = factory.SubFactory(FundFactory)
    title = factory.Sequence(lambda n: f"Call {n}")
    budget_year = factory.LazyFunction(lambda: timezone.localdate().year)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Förening {n}")
    org_number = factory.Sequence(org_number)
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(name="Kalmar"))
    kind = Organisation.Kind.ASSOCIATION


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


COMPLETE_CONTENT = {
    "title": "Språkcafé",
    "summary": "Träffar varje vecka.",
    "problem": "Nyanlända och etablerade möts sällan.",
    "goals": "60 % anger ökad kunskap.",
    "target_group": "Nyanlända och etablerade invånare.",
    "planned_women": 10,
    "planned_men": 8,
    "planned_other": 1,
    "requested_amount": Decimal("20000"),
}


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft, ready to submit."""

    class Meta:
        model = Application

    organisation = factory.SubFactory(OrganisationFactory)
    call = factory.SubFactory(CallFactory)
    created_by = factory.SubFactory(UserFactory)
    title = COMPLETE_CONTENT["title"]
    summary = COMPLETE_CONTENT["summary"]
    problem = COMPLETE_CONTENT["problem"]
    goals = COMPLETE_CONTENT["goals"]
    target_group = COMPLETE_CONTENT["target_group"]
    planned_women = 10
    planned_men = 8
    planned_other = 1
    requested_amount = Decimal("20000")
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=80))
