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

from accounts.models import User
from grants.models import (
    ActivityLine, Application, Attachment, BudgetLine, Call, ExAnteCheck, FinalReport, FundYear, LedgerEntry,
    Membership, Organisation, Partner, Payment, Repayment, StageCount, Theme,
)


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


def applications_for_applicant(*, user, organisations=None):
    """Applications of the organisations the user is a contact for. `organisations`: those organisations as
    organisations_for_user read them, when the caller has them already: the applications are then filtered by
    their ids (no join through the memberships)."""
    if not user.is_authenticated:
        return Application.objects.none()
    if organisations is not None:
        mine = Application.objects.filter(organisation_id__in=[organisation.pk for organisation in organisations])
    else:
        mine = Application.objects.filter(organisation__membership__user=user)
    return mine.select_related("organisation", "call", "call__fund")


def application_get_for_applicant(*, user, pk: int) -> Application:
    # The organisation's municipality with it: the application page shows it (one join, not a query of its own).
    application = applications_for_applicant(user=user).select_related("organisation__municipality").filter(
        pk=pk).first()
    if application is None:
        raise Http404
    return application


def applications_for_staff(*, user):
    if not user.is_authenticated or not user.has_perm("grants.view_all_applications"):
        return Application.objects.none()
    return Application.objects.exclude(status=Application.Status.DRAFT).select_related(
        "organisation", "call", "call__fund"
    )


def stage_counts_kept(*, fund=None, call=None) -> dict | None:
    """{status: number of applications} of every application, or of a fund's or a call's (both: the call's if it
    is of the fund), from the counts PostgreSQL keeps in the same transactions as the applications change
    (`StageCount`, migration grants 0024): exact at the reader's snapshot, one query over a few rows per call.
    None where no counts are kept (SQLite): count the applications there."""
    if connection.vendor != "postgresql":
        return None
    rows = StageCount.objects.all()
    if call is not None:
        rows = rows.filter(call_id=call.pk)
    if fund is not None:
        rows = rows.filter(call_id__in=Call.objects.filter(fund_id=fund.pk).values("pk"))
    return {status: total for status, total in rows.values_list("status").annotate(total=Sum("n")).order_by()
            if total}


def applications_matching(queryset, text: str):
    """The applications of `queryset` whose title, organisation or case number contains the text,
    case-insensitively (Unicode too).

    PostgreSQL: `~*` on the escaped text, answered by the trigram indexes of migration grants 0015 (pg_trgm
    indexes regular expressions): the title's and the case number's, and the organisation's name through its own
    (the matching organisations' ids, once, then the applications' organisation index); the three are bitmaps
    ORed before any row is read. Elsewhere (SQLite): the same iregex as one filter, not LIKE, which folds only
    ASCII there ("öland" would miss "Ölands …"); SQLite's REGEXP is Python's re."""
    return _matching(queryset, [text])


# PostgreSQL: the applications in which every word (one condition each) is found in the title, the case number
# or the organisation's name. Each condition is three index scans ORed as bitmaps (the organisations whose name
# matches are found first, ARRAY(…) runs once), and the words' bitmaps are ANDed before a row is read: a common
# word ("Ronneby", in 1,100 of 10,000 applications) costs its index entries, never its rows.
MATCHING_SQL = "SELECT a.id FROM grants_application a WHERE {every}"
MATCHING_WORD_SQL = ("(a.title ~* %s OR a.case_number ~* %s OR a.organisation_id = ANY(ARRAY("
                     "SELECT o.id FROM grants_organisation o WHERE o.name ~* %s)))")


def _matching(queryset, texts: list[str]):
    """The applications of `queryset` in which each of `texts` is found (`applications_matching`)."""
    patterns = [re.escape(text) for text in texts]
    if connection.vendor == "postgresql":
        sql = MATCHING_SQL.format(every=" AND ".join([MATCHING_WORD_SQL] * len(patterns)))
        params = [pattern for pattern in patterns for _column in range(3)]
        # The patterns written into the SQL as quoted literals by psycopg (as every parameter was before
        # server-side binding, config/settings.py), not sent apart: how many rows `~*` keeps depends on the
        # text (a rare name: a few through the trigram index; "a": most of the table), so each text must be
        # planned with its own value. Sent apart, a query run often on a connection is prepared, and after five
        # searches for common words PostgreSQL may keep one generic plan for every text (75 ms instead of
        # 1.3 ms for a name at 100,000 applications). A % of the text is doubled: the outer query's parameters
        # are still %s.
        return queryset.filter(pk__in=RawSQL(connection.ops.compose_sql(sql, params).replace("%", "%%"), ()))
    for pattern in patterns:
        queryset = queryset.filter(
            Q(title__iregex=pattern) | Q(organisation__name__iregex=pattern) | Q(case_number__iregex=pattern))
    return queryset


def applications_matching_every_word(queryset, text: str):
    """The applications of `queryset` in which every word of the text is found (each in the title, the
    organisation or the case number, as `applications_matching`)."""
    words = sorted(set(text.split()))
    if not words:
        return queryset
    return _matching(queryset, words)


def application_get_for_staff(*, user, pk: int) -> Application:
    # The organisation's municipality with it: the case page shows it (one join, not a query of its own).
    application = applications_for_staff(user=user).select_related("organisation__municipality").filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


# -- the money: one definition for every page and export --------------------------------------------------

def _ledger_sum(kind):
    def total(condition=None):
        condition = Q(kind=kind) if condition is None else Q(kind=kind) & condition
        return Sum("amount", filter=condition, default=Decimal("0"))
    return total


# The sum of each kind of ledger entry, optionally narrowed (aggregate expressions over LedgerEntry).
LEDGER_SUMS = {
    "commitment": _ledger_sum(LedgerEntry.Kind.COMMITMENT),
    "payment": _ledger_sum(LedgerEntry.Kind.PAYMENT),
    "release": _ledger_sum(LedgerEntry.Kind.RELEASE),
    "repayment": _ledger_sum(LedgerEntry.Kind.REPAYMENT),
}


def money_figures(*, budget: Decimal, commitment: Decimal, payment: Decimal, release: Decimal,
                  repayment: Decimal) -> dict:
    """The money figures from the sums of the ledger entries, written once (README, "Indicators"):

    committed = commitments − payments − releases (granted, not yet paid, not returned);
    paid = payments − repayments received (money paid out and paid back is no longer paid);
    returned = releases (unspent money of a closed case, a grant lowered by a correction, a reserved raise
    not approved) + repayments received: all that came back to the fund;
    available = budget − (committed + paid).
    """
    committed = commitment - payment - release
    paid = payment - repayment
    return {"budget": budget, "committed": committed, "paid": paid, "returned": release + repayment,
            "available": budget - (committed + paid)}


def fund_year_balances(fund_years) -> dict:
    """{fund year id: its balance (budget, committed, paid, returned, available)} in one query."""
    fund_years = list(fund_years)
    sums = {row.pop("fund_year_id"): row for row in LedgerEntry.objects.filter(
        fund_year__in=[fy.pk for fy in fund_years]).values("fund_year_id").order_by("fund_year_id").annotate(
        **{kind: total() for kind, total in LEDGER_SUMS.items()})}
    zero = dict.fromkeys(LEDGER_SUMS, Decimal("0"))
    return {fy.pk: money_figures(budget=fy.budget, **sums.get(fy.pk, zero)) for fy in fund_years}


def fund_year_balance(*, fund_year: FundYear) -> dict:
    """Budget, committed, paid and available for one fund year (`money_figures`); "released" is the
    figure named "returned" everywhere else: all that came back to the fund."""
    sums = LedgerEntry.objects.filter(fund_year=fund_year).aggregate(
        **{kind: total() for kind, total in LEDGER_SUMS.items()})
    return _balance(fund_year.budget, sums)


def _balance(budget, sums) -> dict:
    figures = money_figures(budget=budget, **sums)
    return {"budget": figures["budget"], "committed": figures["committed"], "paid": figures["paid"],
            "released": figures["returned"], "available": figures["available"]}


def fund_year_with_balance(*, fund_id: int, year: int) -> tuple[FundYear | None, dict | None]:
    """A fund's year and its balance (`fund_year_balance`, the same sums of LEDGER_SUMS) in one query; (None, None)
    when the fund has no such year."""
    kinds = {"commitment": LedgerEntry.Kind.COMMITMENT, "payment": LedgerEntry.Kind.PAYMENT,
             "release": LedgerEntry.Kind.RELEASE, "repayment": LedgerEntry.Kind.REPAYMENT}
    fund_year = FundYear.objects.filter(fund_id=fund_id, year=year).annotate(**{
        f"ledger_{name}": Sum("ledger__amount", filter=Q(ledger__kind=kind), default=Decimal("0"))
        for name, kind in kinds.items()}).order_by("pk").first()
    if fund_year is None:
        return None, None
    return fund_year, _balance(fund_year.budget, {name: getattr(fund_year, f"ledger_{name}") for name in kinds})


# -- contacts (the one answer to "is this user a contact of this organisation") -------------------------------

def user_is_contact(user, *, organisation_id: int) -> bool:
    """Whether `user` is a contact (a member) of the organisation: the applicant side of every permission.
    Anonymous visitors are no one's contact."""
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, organisation_id=organisation_id).exists()


def application_contacts(application):
    """The active contacts of the application's organisation: whom the applicant side's mail goes to."""
    return User.objects.filter(membership__organisation=application.organisation, is_active=True).distinct()


# -- the application's parts, for the pages that show the whole application --------------------------------

# Each part a page shows with the application, read together in one statement (`application_parts_read`): its
# relation, its model, and what a row holds in the statement's columns after (kind, id): position, four texts,
# two dates, an amount, a size and a moment (also the order within the kind, after the position and the id).
_SLOTS = ("position", "text1", "text2", "text3", "text4", "date1", "date2", "amount", "size", "moment")
_PARTS = {
    "themes": (Theme, {"position": "position", "text1": "name_sv", "text2": "name_en"}),
    "activities": (ActivityLine, {"position": "position", "text1": "description", "date1": "starts_on",
                                  "date2": "ends_on"}),
    "budget_lines": (BudgetLine, {"position": "position", "text1": "description", "amount": "amount"}),
    "partners": (Partner, {"position": "position", "text1": "name", "text2": "kind", "text3": "role"}),
    "attachments": (Attachment, {"text1": "original_name", "text2": "description", "text3": "content_type",
                                 "text4": "stage", "size": "size", "moment": "uploaded_at"}),
    "payments": (Payment, {"text1": "kind", "text2": "status", "date1": "paid_on", "amount": "amount",
                           "moment": "created_at"}),
    "repayments": (Repayment, {"text1": "reason", "text2": "status", "date1": "due_on", "date2": "received_on",
                               "amount": "amount", "moment": "claimed_at"}),
    "ledger": (LedgerEntry, {"text1": "kind", "amount": "amount", "moment": "created_at"}),
    "final_reports": (FinalReport, {"moment": "submitted_at"}),  # which there are (a page reads the latest itself)
    "checks": (ExAnteCheck, {"text1": "outcome", "text2": "comment", "moment": "checked_at"}),
}
APPLICATION_PARTS = ("themes", "activities", "budget_lines", "partners", "attachments")
FOLLOW_UP_PARTS = ("payments", "repayments", "ledger", "final_reports")


def _parts_sql(relations) -> str:
    """One statement for the parts `relations` of one application (a parameter per part), in each one's order."""
    q = connection.ops.quote_name
    # Empty columns typed (PostgreSQL types a UNION's columns from its first rows).
    typed = {slot: f"CAST(NULL AS {field.cast_db_type(connection)})" for slot, field in (
        ("date1", ActivityLine._meta.get_field("starts_on")), ("date2", ActivityLine._meta.get_field("starts_on")),
        ("amount", BudgetLine._meta.get_field("amount")), ("size", Attachment._meta.get_field("size")),
        ("moment", Attachment._meta.get_field("uploaded_at")))}
    selects = []
    for kind, relation in enumerate(relations, start=1):
        model, columns = _PARTS[relation]
        if relation == "themes":
            through = Application.themes.through._meta
            source = (f"{q(Theme._meta.db_table)} t INNER JOIN {q(through.db_table)} m "
                      f"ON m.{q(through.get_field('theme').column)} = t.id "
                      f"WHERE m.{q(through.get_field('application').column)} = %s")
            prefix = "t."
        else:
            source, prefix = f"{q(model._meta.db_table)} WHERE application_id = %s", ""
        cells = [f"{prefix}{q(model._meta.get_field(columns[slot]).column)}" if slot in columns
                 else typed.get(slot, "NULL") for slot in _SLOTS]
        selects.append(f"SELECT {kind}, {prefix}id, {', '.join(cells)} FROM {source}")
    return " UNION ALL ".join(selects) + " ORDER BY 1, 3, 12, 2"


def _loaded(model, values: dict):
    """An instance of `model` as the database gives it (Model.from_db) with the fields in `values` loaded, the
    others deferred."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _from_sqlite(slot: str, value):
    """SQLite answers a raw statement's dates and moments as text and its amounts as numbers."""
    if value is None:
        return None
    if slot in ("date1", "date2") and isinstance(value, str):
        return connection.ops.convert_datefield_value(value, None, connection)
    if slot == "moment" and isinstance(value, str):
        return connection.ops.convert_datetimefield_value(value, None, connection)
    if slot == "amount" and not isinstance(value, Decimal):
        places = BudgetLine._meta.get_field("amount").decimal_places
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    return value


def application_parts_read(application, *, also=()) -> None:
    """Read the application's themes, activities, budget lines, partners and attachments, and the relations named
    in `also` (FOLLOW_UP_PARTS: payments, repayments, ledger entries and final reports; "checks": the ex-ante
    checks), in one query instead of one each, and keep them as its prefetched relations, as prefetch_related
    would: `application.themes.all`, `.attachments.all`, `.payments.all` and so on then run no query (a filter on
    them still does). Each part holds only what the pages show of it (its other fields are deferred: reading one
    runs a query)."""
    relations = APPLICATION_PARTS + tuple(also)
    with connection.cursor() as cursor:
        cursor.execute(_parts_sql(relations), [application.pk] * len(relations))
        rows = cursor.fetchall()
    parts = {relation: [] for relation in relations}
    for kind, pk, *cells in rows:
        relation = relations[kind - 1]
        model, columns = _PARTS[relation]
        values = {"id": pk} if relation == "themes" else {"id": pk, "application_id": application.pk}
        for slot, value in zip(_SLOTS, cells):
            if slot in columns:
                values[columns[slot]] = _from_sqlite(slot, value)
        parts[relation].append(_loaded(model, values))
    cache = application.__dict__.setdefault("_prefetched_objects_cache", {})
    for relation in relations:
        queryset = getattr(application, relation).all()
        queryset._result_cache, queryset._prefetch_done = parts[relation], True
        cache[relation] = queryset
