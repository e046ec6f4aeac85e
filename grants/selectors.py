"""Reads. Every object a view shows is fetched through a *_for_user selector that
raises Http404 for anyone who may not see it, so another organisation's data is
unreachable by construction."""

import re
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from grants.models import Application, Call, FundYear, LedgerEntry, Organisation


def calls_open(*, at=None):
    at = at or timezone.now()
    return Call.objects.select_related("fund").filter(fund__is_active=True, opens_at__lte=at, closes_at__gt=at)


def call_get_public(*, pk: int) -> Call:
    call = Call.objects.select_related("fund").filter(pk=pk, fund__is_active=True).first()
    if call is None:
        raise Http404
    return call


def organisations_for_user(*, user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(membership__user=user).select_related("municipality")


def applications_for_applicant(*, user):
    """Applications of the organisations the user is a contact for."""
    if not user.is_authenticated:
        return Application.objects.none()
    return Application.objects.filter(organisation__membership__user=user).select_related(
        "organisation", "call", "call__fund"
    )


def application_get_for_applicant(*, user, pk: int) -> Application:
    application = applications_for_applicant(user=user).filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def applications_for_staff(*, user):
    if not user.is_authenticated or not user.has_perm("grants.view_all_applications"):
        return Application.objects.none()
    return Application.objects.exclude(status=Application.Status.DRAFT).select_related(
        "organisation", "call", "call__fund"
    )


def applications_matching(queryset, text: str):
    """The applications of `queryset` whose title, organisation or case number contains the text,
    case-insensitively (Unicode too).

    PostgreSQL: `~*` on the escaped text, answered by the trigram indexes of migration grants 0015 (pg_trgm
    indexes regular expressions); the organisation's name through its own index, in a UNION, so that each
    side uses its index. Elsewhere (SQLite): the same iregex as one filter, not LIKE, which folds only ASCII
    there ("öland" would miss "Ölands …"); SQLite's REGEXP is Python's re."""
    pattern = re.escape(text)
    if connection.vendor == "postgresql":
        return queryset.filter(pk__in=RawSQL(
            "SELECT a.id FROM grants_application a WHERE a.title ~* %s OR a.case_number ~* %s "
            "UNION SELECT a.id FROM grants_application a JOIN grants_organisation o ON o.id = a.organisation_id "
            "WHERE o.name ~* %s", [pattern, pattern, pattern]))
    return queryset.filter(
        Q(title__iregex=pattern) | Q(organisation__name__iregex=pattern) | Q(case_number__iregex=pattern))


def application_get_for_staff(*, user, pk: int) -> Application:
    application = applications_for_staff(user=user).filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def fund_year_balance(*, fund_year: FundYear) -> dict:
    """Budget, committed, paid and available for one fund year.

    Committed is granted but not yet paid; paid moves money from committed;
    a release returns unpaid committed money to the fund; a repayment (money paid out and
    received back from the organisation) returns paid money to the fund. "released" is all
    that came back to the fund: releases and repayments received.
    """
    sums = LedgerEntry.objects.filter(fund_year=fund_year).aggregate(
        committed=Sum("amount", filter=Q(kind=LedgerEntry.Kind.COMMITMENT), default=Decimal("0")),
        paid=Sum("amount", filter=Q(kind=LedgerEntry.Kind.PAYMENT), default=Decimal("0")),
        released=Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE), default=Decimal("0")),
        repaid=Sum("amount", filter=Q(kind=LedgerEntry.Kind.REPAYMENT), default=Decimal("0")),
    )
    committed = sums["committed"] - sums["paid"] - sums["released"]
    paid = sums["paid"] - sums["repaid"]
    return {
        "budget": fund_year.budget,
        "committed": committed,
        "paid": paid,
        "released": sums["released"] + sums["repaid"],
        "available": fund_year.budget - (committed + paid),
    }
