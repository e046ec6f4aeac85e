from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from grants.models import (
    ActivityLine, Application, BudgetLine, Call, Fund, FundYear, Membership, Municipality, Organisation, Theme,
)
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


def luhn_org_number(body: str) -> str:
    """The organisationsnummer NNNNNN-NNNC made of nine digits and their Luhn check digit C."""
    digits = next(body + str(check) for check in range(10) if luhn_ok(body + str(check)))
    return f"{digits[:6]}-{digits[6:]}"


def org_number(n: int) -> str:
    """A valid organisationsnummer built from a counter, as the app's validator wants it: 8029xx-xxxC (the
    third digit at least 2, the last a Luhn check digit). Other tests take their own numbers from 8025…"""
    return luhn_org_number(f"8029{n % 100_000:05d}")


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Fund {n}")
    slug = factory.Sequence(lambda n: f"fund-{n}")
    case_prefix = factory.Sequence(lambda n: f"F{n}")
    kind = Fund.Kind.DIALOGPOTT
    max_amount = Decimal("30000")

    @factory.post_generation
    def checklist(self, create, extracted, **kwargs):
        if create:
            from grants.services.checklist import checklist_ensure_default

            checklist_ensure_default(self)


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


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft, ready to submit: every field, a theme, two activities and a budget that adds up."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    call = factory.SubFactory(CallFactory)
    created_by = factory.SubFactory(UserFactory)
    title = "Språkcafé"
    summary = "Träffar varje vecka."
    problem = "Nyanlända och etablerade möts sällan."
    motivation = "Ett projekt ger en fast mötesplats."
    similar_projects = "Biblioteket har språkcafé; vi samarbetar."
    anchoring = "Styrelsen har beslutat om projektet."
    goals = "Fler möten mellan nyanlända och etablerade."
    indicators = "60 % anger ökad kunskap i en enkät."
    target_group = "Nyanlända och etablerade invånare."
    planned_women = 10
    planned_men = 8
    planned_other = 1
    planned_newcomers = 10
    planned_established = 9
    accessibility_plan = "Lokalen har ramp; vi tolkar vid behov."
    equal_treatment_plan = "Vi bjuder in brett och följer upp könsfördelningen."
    signatory_name = "Karin Ordförande"
    signatory_role = "Ordförande"
    signatory_email = "ordforande@example.org"
    requested_amount = Decimal("20000")
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=80))

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        self.themes.set(Theme.objects.filter(code__in=["participation", "languages"]))
        ActivityLine.objects.create(application=self, position=0, description="Språkcafé varje tisdag",
                                    starts_on=self.start_date, ends_on=self.start_date + timedelta(days=40))
        ActivityLine.objects.create(application=self, position=1, description="Avslutningsfest",
                                    starts_on=self.end_date)
        rent = (self.requested_amount * Decimal("0.4")).quantize(Decimal("1"))
        BudgetLine.objects.create(application=self, position=0, description="Lokalhyra", amount=rent)
        BudgetLine.objects.create(application=self, position=1, description="Arvoden",
                                  amount=self.requested_amount - rent)


def application_post_data(application, **overrides) -> dict:
    """The edit form as a browser would post it for `application` (fields and list parts)."""
    data = {}
    for name in Application.CONTENT_FIELDS:
        value = getattr(application, name)
        data[name] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    data["version"] = str(application.version)
    data["themes"] = [str(pk) for pk in application.themes.values_list("pk", flat=True)]
    parts = {
        "activities": [(a.description, a.starts_on, a.ends_on) for a in application.activities.all()],
        "budget": [(b.description, b.amount) for b in application.budget_lines.all()],
        "partners": [(p.name, p.kind, p.role) for p in application.partners.all()],
    }
    names = {"activities": ("description", "starts_on", "ends_on"), "budget": ("description", "amount"),
             "partners": ("name", "kind", "role")}
    for prefix, rows in parts.items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows) + 2)
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(rows):
            for name, value in zip(names[prefix], row):
                data[f"{prefix}-{index}-{name}"] = "" if value is None else (
                    value.isoformat() if hasattr(value, "isoformat") else str(value))
    data.update(overrides)
    return data
