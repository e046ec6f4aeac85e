"""Every indicator of any number of funds for a year, from the records (the definitions are in
`grants.indicators.definitions`)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum

from grants.indicators.counts import (
    application_counts, carried_out_counts, empty_application_counts, empty_status_changes, received_counts,
    status_changes,
)
from grants.indicators.definitions import (
    DEFAULT_SUBMIT_RATE, TARGET_FIELDS, TRANSITIONS, Period, cut_percent, share_of_year, today,
)
from grants.indicators.medians import _no_medians, median_days
from grants.indicators.records import ledger_dated, transitioned
from grants.indicators.results import Indicators, ShareTarget, Target
from grants.indicators.summaries import enabled as summaries_enabled, summarised
from grants.models import Application, BudgetChange, Call, Fund, FundYear, LedgerEntry, Payment, Repayment
from grants.selectors import LEDGER_SUMS, money_figures


def compute_many(funds, year: int, *, as_of: date | None = None, fund_years: dict | None = None,
                 detail: bool = True, comparison: bool = False) -> dict[int, Indicators]:
    """Every indicator of each fund in `year`, as of the end of `as_of` (default today), keyed by fund id.

    A fixed number of queries (one GROUP BY per kind of record), however many funds and applications. With
    `detail=False` only what the targets need (the dashboard's overview of every fund, three queries): the
    received, carried out and collaboration counts, the forecast's inputs and the final reports; the other
    figures are left empty and `as_json` refuses such a result. The targets are the same either way (tested).
    With `comparison=True` every figure the tables show (`exports.sections`: the comparison column of the
    year before on the dashboard and in the PDF) and the per-month figures, but no targets and no pipeline,
    so no stage is rebuilt from the audit trail; `as_json` refuses such a result too. The figures are the
    same as in full (tested).

    On PostgreSQL the result is stored (`grants.indicators.summaries`) and read back while no record it counts
    has changed, so a page asked again costs one query; it is always what a computation now would give.
    """
    funds = list(funds)
    today_now = today()
    as_of = as_of or today_now
    if summaries_enabled():
        # What is computed is stored with the snapshot taken just before (grants.indicators.summaries), so it must
        # read every record after it: the fund years the caller read earlier could predate a change that snapshot
        # already holds, and are read again.
        fund_years = None
    with planner_settings():
        # A stored summary while it still holds (grants.indicators.summaries: exact, checked against every change).
        return summarised(funds, year, as_of=as_of, today=today_now, detail=detail, comparison=comparison,
                          compute=lambda missing: _compute_many(missing, year, as_of=as_of, fund_years=fund_years,
                                                                detail=detail, comparison=comparison))


# What PostgreSQL's planner is told while the indicators are computed. Its default cost of a random read (4,
# from spinning disks) makes it scan whole tables where the indicators read a few ranges of indexes whose pages
# are in memory; more work_mem lets the GROUP BYs hash in memory instead of sorting on disk; JIT compilation
# costs more than these queries take. A query run often is prepared (DB_SERVER_SIDE_BINDING, config/settings.py),
# and PostgreSQL could then keep a generic plan, made without the dates, funds and stages it counts: 10-15 times
# slower for the ledger sums of one fund-year (116 ms against 8), so these are always planned with their values.
PLANNER_SETTINGS = {"random_page_cost": "1.1", "work_mem": "32MB", "jit": "off", "plan_cache_mode": "force_custom_plan"}


@contextmanager
def planner_settings():
    """PLANNER_SETTINGS for the queries inside the block, on PostgreSQL: one query, SET LOCAL in a transaction
    (no savepoint), so they end with it; inside an outer transaction they last until that one ends.

    When the block is the transaction (no outer one), its commit does not wait for the disk either
    (synchronous_commit off): it writes nothing but the summaries stored (`summaries._store`), and a summary lost in
    a crash is computed again. Inside an outer transaction, whose writes are not ours to risk, the commit waits."""
    if connection.vendor != "postgresql":
        yield
        return
    settings = dict(PLANNER_SETTINGS)
    if not connection.in_atomic_block:
        settings["synchronous_commit"] = "off"
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _name in settings),
                           [item for pair in settings.items() for item in pair])
        yield


def _compute_many(funds: list, year: int, *, as_of, fund_years, detail: bool,
                  comparison: bool) -> dict[int, Indicators]:
    as_of = as_of or today()
    period = Period(year, as_of)
    start, cutoff = period.start, period.cutoff
    fund_ids = [f.pk for f in funds]
    if fund_years is None:
        fund_years = {fy.fund_id: fy for fy in FundYear.objects.filter(year=year, fund_id__in=fund_ids)}
    if not funds:
        return {}
    upto_month = 0 if cutoff <= start else (12 if cutoff >= period.year_end else as_of.month)

    # 1. Applications: received and requested, per month; the pipeline and the forecast's history.
    apps = received_counts(fund_ids, period) if comparison else application_counts(fund_ids, period, detail=detail)
    # 2. The audit trail's status changes: the counts of the year and per month, the amounts granted, and the
    #    approved final reports of the projects carried out in the year.
    counts = status_changes(fund_ids, period) if detail else carried_out_counts(fund_ids, period)
    # 3.–5. The money: the ledger, the repayments and the budget changes.
    money = _money(funds, fund_ids, fund_years, period, counts) if detail else {}
    # 6. Time per stage.
    medians = median_days(fund_ids, start, cutoff) if detail else {}

    share = share_of_year(year, as_of)
    result = {}
    for fund in funds:
        a = apps.get(fund.pk) or empty_application_counts()
        c = counts.get(fund.pk) or empty_status_changes()
        r = c["reports"]
        fund_year = fund_years.get(fund.pk)
        people = r["women"] + r["men"] + r["other"]
        survey_percent = cut_percent(r["weighted"], 100 * people)
        submit_rate = (a["history_submitted"] / a["history_all"]) if a["history_all"] else DEFAULT_SUBMIT_RATE
        completion_rate = (a["due_reported"] / a["due_all"]) if a["due_all"] else 1.0
        ind = Indicators(
            fund=fund, year=year, as_of=as_of, fund_year=fund_year,
            applications={"received": a["received"], "eligible": a["eligible"],
                          **{key: c[key] for key in TRANSITIONS if key != "ended"},
                          "collaboration_projects": c["collaboration_projects"], "ended": c["ended"]},
            amounts={}, ended={}, budget=None,
            participants={"women": r["women"], "men": r["men"], "other": r["other"], "total": people,
                          "newcomers": r["newcomers"], "established": r["established"]},
            trainers={"women": r["trainers_women"], "men": r["trainers_men"]},
            survey={"reports": r["reports"], "participants": people, "percent": survey_percent,
                    "projects_meeting_target": r["meeting"],
                    "projects_percent": round(100 * r["meeting"] / r["reports"], 1) if r["reports"] else None},
            median_days=medians.get(fund.pk) or _no_medians(),
            per_month={
                "received": [n if m <= upto_month else None for m, n in enumerate(a["received_per_month"], 1)],
                "granted": [n if m <= upto_month else None for m, n in enumerate(c["granted_per_month"], 1)],
                "carried_out": [n if m <= upto_month else None
                                for m, n in enumerate(c["carried_out_per_month"], 1)],
            },
            pipeline={} if comparison else dict(a["pipeline"]),
            detail=detail, comparison=comparison,
        )
        if detail:
            ind.amounts = {"requested": a["requested"], **money[fund.pk]["amounts"]}
            ind.ended = {"grants": c["ended"], **money[fund.pk]["ended"]}
            ind.budget = money[fund.pk]["budget"]
        result[fund.pk] = ind
        if comparison:
            continue

        def target(key):
            return getattr(fund_year, TARGET_FIELDS[key]) if fund_year else 0

        pb, tb = ind.participant_balance, ind.trainer_balance
        survey_met = None if not people else r["weighted"] >= target("survey_participants") * people
        ind.targets = {
            "applications": Target(
                key="applications", target=target("applications"), actual=ind.applications["received"],
                share=share, pipeline=a["drafts_open"] * submit_rate, rate=submit_rate),
            "carried_out": Target(
                key="carried_out", target=target("carried_out"), actual=ind.applications["carried_out"],
                share=share, pipeline=a["granted_open_due"] * completion_rate, rate=completion_rate),
            "collaboration_projects": Target(
                key="collaboration_projects", target=target("collaboration_projects"),
                actual=ind.applications["collaboration_projects"], share=share,
                pipeline=a["collaboration_open_due"] * completion_rate, rate=completion_rate),
            "participants_balance": ShareTarget(key="participants_balance", target=target("participants_balance"),
                                                actual=pb.smaller_percent, actual_met=pb.met),
            "trainers_balance": ShareTarget(key="trainers_balance", target=target("trainers_balance"),
                                            actual=tb.smaller_percent, actual_met=tb.met),
            "survey_participants": ShareTarget(key="survey_participants", target=target("survey_participants"),
                                               actual=survey_percent, actual_met=survey_met),
        }
    return result


def _money(funds, fund_ids, fund_years, period: Period, counts) -> dict[int, dict]:
    """Per fund: the amounts granted (in force as of the day; from `counts`), the year's paid and returned, the
    ended grants' money and the fund year's budget block."""
    known_by = period.known_by
    # The grants ended in the year (a subquery over every fund, read through the index on the status changes;
    # the outer queries keep the funds asked for).
    ended = transitioned("ended", period.start, period.cutoff)

    # 3. The ledger: the year's paid and returned (each entry by its own date), the ended grants' released
    #    money, and the balance of the fund year (everything recorded by the as-of day).
    ledger = (_ledger_sql if connection.vendor == "postgresql" else _ledger_orm)(fund_ids, period, ended)

    # 4. What was claimed back from the grants ended in the year, and how much of it came back by the day.
    claims = (_claims_sql if connection.vendor == "postgresql" else _claims_orm)(fund_ids, period, ended)

    # 5. The budgets as of the day: a later change is undone with its "previous budget".
    budgets = {fy.pk: fy.budget for fy in fund_years.values()}
    if period.reconstructs and budgets:
        for change in (BudgetChange.objects.filter(fund_year_id__in=list(budgets), changed_at__gte=known_by)
                       .order_by("-changed_at", "-pk").values("fund_year_id", "previous_budget")):
            budgets[change["fund_year_id"]] = change["previous_budget"]  # the earliest one wins: written last

    result = {}
    for fund in funds:
        c = counts.get(fund.pk) or empty_status_changes()
        g = {"granted": c["amount_granted"], "granted_carried_out": c["amount_granted_carried_out"],
             "granted_ended": c["amount_granted_ended"]}
        entries = ledger.get(fund.pk) or {}
        year_money = money_figures(budget=Decimal("0"), **{kind: entries.get(f"year_{kind}") or Decimal("0")
                                                           for kind in LEDGER_SUMS})
        fund_year = fund_years.get(fund.pk)
        budget = None
        if fund_year is not None:
            budget = money_figures(budget=budgets[fund_year.pk],
                                   **{kind: entries.get(f"budget_{kind}") or Decimal("0") for kind in LEDGER_SUMS})
        result[fund.pk] = {
            "amounts": {"granted": g["granted"], "granted_carried_out": g["granted_carried_out"],
                        "granted_ended": g["granted_ended"], "paid": year_money["paid"],
                        "returned": year_money["returned"]},
            "ended": {"granted": g["granted_ended"], "released": entries.get("ended_released") or Decimal("0"),
                      **(claims.get(fund.pk) or {"claimed_back": Decimal("0"), "paid_back": Decimal("0")})},
            "budget": budget,
        }
    return result


# PostgreSQL: the ledger's sums of `_money` written out (the same figures as the ORM's query, tested): each kind in
# the calendar year by its own date (`records.ledger_dated`: a payment by the day paid, a repayment by the day
# received, looked up only for those entries) and in the fund year's budget, recorded by the as-of day.
LEDGER_SQL = """
SELECT fy.fund_id, {sums},
  COALESCE(SUM(l.amount) FILTER (WHERE l.kind = %s AND l.note = 'close' AND l.application_id IN ({ended})), 0)
FROM {fund_year} fy JOIN {ledger} l ON l.fund_year_id = fy.id
WHERE fy.fund_id IN ({funds}) AND l.created_at < %s
GROUP BY fy.fund_id
"""


def _ledger_orm(fund_ids, period: Period, ended) -> dict[int, dict]:
    """The same as `_ledger_sql` with the ORM (SQLite)."""
    dated = ledger_dated(period)
    recorded = Q(created_at__lt=period.known_by)
    this_year = Q(fund_year__year=period.year)
    rows = (LedgerEntry.objects.filter(fund_year__fund_id__in=fund_ids, created_at__lt=period.known_by)
            .values("fund_year__fund_id").order_by("fund_year__fund_id").annotate(
                **{f"year_{kind}": LEDGER_SUMS[kind](dated[kind]) for kind in LEDGER_SUMS},
                **{f"budget_{kind}": LEDGER_SUMS[kind](this_year & recorded) for kind in LEDGER_SUMS},
                ended_released=Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE, note="close",
                                                      application__in=ended), default=Decimal("0"))))
    return {row.pop("fund_year__fund_id"): row for row in rows}


def _ledger_sql(fund_ids, period: Period, ended) -> dict[int, dict]:
    """{fund id: {"year_<kind>", "budget_<kind>", "ended_released": Decimal}} (LEDGER_SQL)."""
    dated = {  # (condition, its parameters)
        "commitment": ("l.created_at >= %s AND l.created_at < %s", [period.start, period.year_end]),
        "payment": (f"EXISTS (SELECT 1 FROM {Payment._meta.db_table} p WHERE p.id = l.payment_id "
                    "AND p.paid_on BETWEEN %s AND %s)", [period.first_day, period.last_day]),
        "release": ("l.created_at >= %s AND l.created_at < %s", [period.start, period.cutoff]),
        "repayment": (f"EXISTS (SELECT 1 FROM {Repayment._meta.db_table} r WHERE r.id = l.repayment_id "
                      "AND r.received_on BETWEEN %s AND %s)", [period.first_day, period.last_day]),
    }
    sums, params, names = [], [], []
    for kind in LEDGER_SUMS:
        condition, condition_params = dated[kind]
        sums += [f"COALESCE(SUM(l.amount) FILTER (WHERE l.kind = %s AND {condition}), 0)",
                 "COALESCE(SUM(l.amount) FILTER (WHERE l.kind = %s AND fy.year = %s), 0)"]
        params += [kind, *condition_params, kind, period.year]
        names += [f"year_{kind}", f"budget_{kind}"]
    ended_sql, ended_params = ended.order_by().query.sql_with_params()
    sql = LEDGER_SQL.format(sums=", ".join(sums), ended=ended_sql, fund_year=FundYear._meta.db_table,
                            ledger=LedgerEntry._meta.db_table, funds=", ".join(["%s"] * len(fund_ids)))
    params += [LedgerEntry.Kind.RELEASE.value, *ended_params, *fund_ids, period.known_by]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {fund_id: dict(zip([*names, "ended_released"], figures)) for fund_id, *figures in cursor.fetchall()}


# PostgreSQL: what was claimed back from the grants ended in the year and how much of it came back by the day, per
# fund, written out (the same figures as `_claims_orm`, tested).
CLAIMS_SQL = """
SELECT c.fund_id, COALESCE(SUM(r.amount), 0), COALESCE(SUM(r.amount) FILTER (WHERE r.received_on <= %s), 0)
FROM {repayment} r JOIN {application} a ON a.id = r.application_id JOIN {call} c ON c.id = a.call_id
WHERE c.fund_id IN ({funds}) AND r.claimed_at < %s AND r.application_id IN ({ended})
GROUP BY c.fund_id
"""


def _claims_sql(fund_ids, period: Period, ended) -> dict[int, dict]:
    """{fund id: {"claimed_back", "paid_back": Decimal}} (CLAIMS_SQL)."""
    ended_sql, ended_params = ended.order_by().query.sql_with_params()
    sql = CLAIMS_SQL.format(repayment=Repayment._meta.db_table, application=Application._meta.db_table,
                            call=Call._meta.db_table, funds=", ".join(["%s"] * len(fund_ids)), ended=ended_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.as_of, *fund_ids, period.known_by, *ended_params])
        return {fund_id: {"claimed_back": claimed, "paid_back": paid} for fund_id, claimed, paid in cursor.fetchall()}


def _claims_orm(fund_ids, period: Period, ended) -> dict[int, dict]:
    """The same as `_claims_sql` with the ORM (SQLite)."""
    rows = (Repayment.objects.filter(application__call__fund_id__in=fund_ids, application__in=ended,
                                     claimed_at__lt=period.known_by)
            .values("application__call__fund_id").order_by("application__call__fund_id").annotate(
                claimed_back=Sum("amount", default=Decimal("0")),
                paid_back=Sum("amount", filter=Q(received_on__lte=period.as_of), default=Decimal("0"))))
    return {row.pop("application__call__fund_id"): row for row in rows}


def compute(fund: Fund, year: int, *, as_of: date | None = None) -> Indicators:
    """Every indicator of `fund` in `year`, counting what was recorded up to the end of `as_of` (default today)."""
    return compute_many([fund], year, as_of=as_of)[fund.pk]


def compute_all(year: int, *, as_of: date | None = None, funds=None, detail: bool = True,
                comparison: bool = False) -> list[Indicators]:
    """Indicators of every fund (or the given ones) that has a fund year in `year`, by fund name (`detail`,
    `comparison`: see `compute_many`)."""
    years = FundYear.objects.filter(year=year).select_related("fund").order_by("fund__name", "fund_id")
    if funds is not None:
        years = years.filter(fund__in=[f.pk for f in funds])
    fund_years = {fy.fund_id: fy for fy in years}
    ordered = [fy.fund for fy in fund_years.values()]
    if funds is not None:  # the given funds, also those without a fund year, in their order
        ordered = list(funds)
    computed = compute_many(ordered, year, as_of=as_of, fund_years=fund_years, detail=detail, comparison=comparison)
    return [computed[f.pk] for f in ordered]


def summaries_refresh() -> int:
    """What the dashboard reads first, computed where a record has changed (the rest is served from its stored
    summary): the overview of every fund this year, each fund's year in full and its year before (the
    comparison column, as the dashboard and the exports ask for them). Returns the number of funds."""
    as_of = today()
    year = as_of.year
    overview = compute_all(year, detail=False)
    for ind in overview:
        compute_many([ind.fund], year)
        compute_many([ind.fund], year - 1, as_of=date(year - 1, 12, 31), comparison=True)
    return len(overview)
