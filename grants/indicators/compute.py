"""Every indicator of any number of funds for a year, from the records (the definitions are in
`grants.indicators.definitions`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from grants.indicators.definitions import (
    DEFAULT_SUBMIT_RATE, PIPELINE_STAGES, S, SURVEY_TARGET, TARGET_FIELDS, TRANSITIONS, Period, cut_percent,
    month_ranges, share_of_year, today,
)
from grants.indicators.medians import _no_medians, median_days
from grants.indicators.records import (
    _in, _transition_q, collaboration_ids, decisions_in_force, ledger_dated, status_at, transitioned,
)
from grants.indicators.results import Indicators, ShareTarget, Target
from grants.models import Application, BudgetChange, Decision, Event, FinalReport, Fund, FundYear, LedgerEntry, Repayment
from grants.selectors import LEDGER_SUMS, money_figures


def compute_many(funds, year: int, *, as_of: date | None = None, fund_years: dict | None = None
                 ) -> dict[int, Indicators]:
    """Every indicator of each fund in `year`, as of the end of `as_of` (default today), keyed by fund id.

    A fixed number of queries (one GROUP BY per kind of record), however many funds and applications.
    """
    funds = list(funds)
    as_of = as_of or today()
    period = Period(year, as_of)
    start, cutoff, known_by = period.start, period.cutoff, period.known_by
    fund_ids = [f.pk for f in funds]
    if fund_years is None:
        fund_years = {fy.fund_id: fy for fy in FundYear.objects.filter(year=year, fund_id__in=fund_ids)}
    if not funds:
        return {}
    year_end = period.year_end
    months = month_ranges(year)
    upto_month = 0 if cutoff <= start else (12 if cutoff >= year_end else as_of.month)

    def grouped(queryset, key, **aggregates):
        return {row.pop(key): row for row in queryset.values(key).order_by(key).annotate(**aggregates)}

    # 1. Applications: received and requested, per month; the pipeline and the forecast's history. As of a
    #    past day the stages are rebuilt from the audit trail, and only the applications created by then count.
    now = min(timezone.now(), cutoff)  # "now" as of that day
    applications = Application.objects.filter(call__fund_id__in=fund_ids)
    if period.reconstructs:
        applications = applications.filter(created_at__lt=known_by).annotate(stage=status_at(known_by))
    else:
        applications = applications.annotate(stage=F("status"))
    open_granted = Q(stage__in=[S.GRANTED, S.REPORT_SUBMITTED])
    due_by = Q(report_due_on__lt=as_of) & Q(stage__in=[S.GRANTED, S.REPORT_SUBMITTED, S.CARRIED_OUT])
    collaboration = Q(pk__in=collaboration_ids())
    aggregates = {
        "received": Count("pk", filter=_in("submitted_at", start, cutoff)),
        "requested": Sum("requested_amount", filter=_in("submitted_at", start, cutoff), default=Decimal("0")),
        "drafts_open": Count("pk", filter=Q(stage=S.DRAFT, call__closes_at__gt=now, call__opens_at__lt=year_end)),
        "history_all": Count("pk", filter=Q(call__closes_at__lte=now)),
        "history_submitted": Count("pk", filter=Q(call__closes_at__lte=now, submitted_at__lt=known_by)),
        "granted_open_due": Count("pk", filter=open_granted & Q(report_due_on__lte=date(year, 12, 31))),
        "collaboration_open_due": Count("pk", filter=open_granted & Q(report_due_on__lte=date(year, 12, 31))
                                        & collaboration),
        "due_all": Count("pk", filter=due_by),
        "due_reported": Count("pk", filter=due_by & ~Q(stage=S.GRANTED)),
    }
    for m, (m_start, m_end) in enumerate(months, start=1):
        aggregates[f"received_{m}"] = Count("pk", filter=_in("submitted_at", m_start, min(m_end, cutoff)))
    for status in PIPELINE_STAGES:
        aggregates[f"stage_{status}"] = Count("pk", filter=Q(stage=status))
    apps = grouped(applications, "call__fund_id", **aggregates)

    # 2. The audit trail's status changes: the counts of the year and per month.
    received_in_year = Q(application__submitted_at__gte=start, application__submitted_at__lt=cutoff)
    aggregates = {key: Count("application", distinct=True, filter=_transition_q(key) & _in("created_at", start, cutoff))
                  for key in TRANSITIONS}
    aggregates["collaboration_projects"] = Count(
        "application", distinct=True, filter=_transition_q("carried_out") & _in("created_at", start, cutoff)
        & Q(application__in=collaboration_ids()))
    aggregates["eligible"] = Count("application", distinct=True,
                                   filter=Q(to_status=S.REVIEW, from_status=S.SUBMITTED) & received_in_year)
    for m, (m_start, m_end) in enumerate(months, start=1):
        for key in ("granted", "carried_out"):
            aggregates[f"{key}_{m}"] = Count("application", distinct=True,
                                             filter=_transition_q(key) & _in("created_at", m_start, min(m_end, cutoff)))
    events = Event.objects.filter(application__call__fund_id__in=fund_ids, created_at__lt=known_by).filter(
        Q(created_at__gte=start, created_at__lt=cutoff) | (Q(to_status=S.REVIEW) & received_in_year))
    counts = grouped(events.exclude(to_status=""), "application__call__fund_id", **aggregates)

    # 3. The grants in force as of the day, of the applications granted, carried out and ended in the year.
    # (not narrowed to the funds: the outer queries are)
    granted_in_year = {key: transitioned(key, start, cutoff) for key in ("granted", "carried_out", "ended")}
    # Today the grants in force are simply the effective ones (a correction supersedes the decision it corrects).
    in_force = (decisions_in_force(known_by) if period.reconstructs else Decision.objects.filter(
        outcome=Decision.Outcome.GRANTED, status=Decision.Status.EFFECTIVE))
    granted = grouped(
        in_force.filter(application__call__fund_id__in=fund_ids), "application__call__fund_id",
        granted=Sum("amount", filter=Q(application__in=granted_in_year["granted"]), default=Decimal("0")),
        granted_carried_out=Sum("amount", filter=Q(application__in=granted_in_year["carried_out"]),
                                default=Decimal("0")),
        granted_ended=Sum("amount", filter=Q(application__in=granted_in_year["ended"]), default=Decimal("0")),
    )

    # 4. The ledger: the year's paid and returned (each entry by its own date), the ended grants' released
    #    money, and the balance of the fund year (everything recorded by the as-of day).
    dated = ledger_dated(period)
    recorded = Q(created_at__lt=known_by)
    this_year = Q(fund_year__year=year)
    ledger = grouped(
        LedgerEntry.objects.filter(fund_year__fund_id__in=fund_ids, created_at__lt=known_by), "fund_year__fund_id",
        **{f"year_{kind}": LEDGER_SUMS[kind](dated[kind]) for kind in LEDGER_SUMS},
        **{f"budget_{kind}": LEDGER_SUMS[kind](this_year & recorded) for kind in LEDGER_SUMS},
        ended_released=Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE, note="close",
                                              application__in=granted_in_year["ended"]), default=Decimal("0")),
    )

    # 5. What was claimed back from the grants ended in the year, and how much of it came back by the day.
    claims = grouped(
        Repayment.objects.filter(application__call__fund_id__in=fund_ids, application__in=granted_in_year["ended"],
                                 claimed_at__lt=known_by), "application__call__fund_id",
        claimed_back=Sum("amount", default=Decimal("0")),
        paid_back=Sum("amount", filter=Q(received_on__lte=as_of), default=Decimal("0")),
    )

    # 6. The approved final reports of the projects carried out in the year.
    total = F("participants_women") + F("participants_men") + F("participants_other")
    reports = grouped(
        FinalReport.objects.filter(application__call__fund_id__in=fund_ids, outcome=FinalReport.Outcome.APPROVED,
                                   application__in=granted_in_year["carried_out"]),
        "application__call__fund_id",
        women=Sum("participants_women", default=0), men=Sum("participants_men", default=0),
        other=Sum("participants_other", default=0), newcomers=Sum("participants_newcomers", default=0),
        established=Sum("participants_established", default=0),
        trainers_women=Sum("trainers_women", default=0), trainers_men=Sum("trainers_men", default=0),
        reports=Count("pk"), meeting=Count("pk", filter=Q(survey_share__gte=SURVEY_TARGET)),
        weighted=Sum(F("survey_share") * total, default=0),
    )

    # 7. The budgets as of the day: a later change is undone with its "previous budget".
    budgets = {fy.pk: fy.budget for fy in fund_years.values()}
    if period.reconstructs and budgets:
        for change in (BudgetChange.objects.filter(fund_year_id__in=list(budgets), changed_at__gte=known_by)
                       .order_by("-changed_at", "-pk").values("fund_year_id", "previous_budget")):
            budgets[change["fund_year_id"]] = change["previous_budget"]  # the earliest one wins: written last

    # 8. Time per stage.
    medians = median_days(fund_ids, start, cutoff)

    share = share_of_year(year, as_of)
    empty_apps = dict.fromkeys(aggregates, 0)
    result = {}
    for fund in funds:
        a = apps.get(fund.pk) or {key: 0 for key in ["received", "drafts_open", "history_all", "history_submitted",
                                                      "granted_open_due", "collaboration_open_due", "due_all",
                                                      "due_reported"]
                                  + [f"received_{m}" for m in range(1, 13)]
                                  + [f"stage_{s}" for s in PIPELINE_STAGES]} | {"requested": Decimal("0")}
        c = counts.get(fund.pk) or empty_apps
        g = granted.get(fund.pk) or dict.fromkeys(("granted", "granted_carried_out", "granted_ended"), Decimal("0"))
        money = ledger.get(fund.pk) or {}
        sums = {kind: money.get(f"year_{kind}") or Decimal("0") for kind in LEDGER_SUMS}
        year_money = money_figures(budget=Decimal("0"), **sums)
        claim = claims.get(fund.pk) or {"claimed_back": Decimal("0"), "paid_back": Decimal("0")}
        r = reports.get(fund.pk) or {key: 0 for key in ("women", "men", "other", "newcomers", "established",
                                                          "trainers_women", "trainers_men", "reports", "meeting",
                                                          "weighted")}
        fund_year = fund_years.get(fund.pk)
        budget = None
        if fund_year is not None:
            budget = money_figures(budget=budgets[fund_year.pk],
                                   **{kind: money.get(f"budget_{kind}") or Decimal("0") for kind in LEDGER_SUMS})
        people = r["women"] + r["men"] + r["other"]
        survey_percent = cut_percent(r["weighted"], 100 * people)
        submit_rate = (a["history_submitted"] / a["history_all"]) if a["history_all"] else DEFAULT_SUBMIT_RATE
        completion_rate = (a["due_reported"] / a["due_all"]) if a["due_all"] else 1.0
        ind = Indicators(
            fund=fund, year=year, as_of=as_of, fund_year=fund_year,
            applications={"received": a["received"], "eligible": c["eligible"],
                          **{key: c[key] for key in TRANSITIONS if key != "ended"},
                          "collaboration_projects": c["collaboration_projects"], "ended": c["ended"]},
            amounts={"requested": a["requested"], "granted": g["granted"],
                     "granted_carried_out": g["granted_carried_out"], "granted_ended": g["granted_ended"],
                     "paid": year_money["paid"], "returned": year_money["returned"]},
            ended={"grants": c["ended"], "granted": g["granted_ended"],
                   "released": money.get("ended_released") or Decimal("0"), **claim},
            budget=budget,
            participants={"women": r["women"], "men": r["men"], "other": r["other"], "total": people,
                          "newcomers": r["newcomers"], "established": r["established"]},
            trainers={"women": r["trainers_women"], "men": r["trainers_men"]},
            survey={"reports": r["reports"], "participants": people, "percent": survey_percent,
                    "projects_meeting_target": r["meeting"],
                    "projects_percent": round(100 * r["meeting"] / r["reports"], 1) if r["reports"] else None},
            median_days=medians.get(fund.pk) or _no_medians(),
            per_month={
                "received": [a[f"received_{m}"] if m <= upto_month else None for m in range(1, 13)],
                "granted": [c[f"granted_{m}"] if m <= upto_month else None for m in range(1, 13)],
                "carried_out": [c[f"carried_out_{m}"] if m <= upto_month else None for m in range(1, 13)],
            },
            pipeline={status: a[f"stage_{status}"] for status in PIPELINE_STAGES},
        )

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
        result[fund.pk] = ind
    return result


def compute(fund: Fund, year: int, *, as_of: date | None = None, fund_year: FundYear | None = None,
            fund_year_known: bool = False) -> Indicators:
    """Every indicator of `fund` in `year`, counting what was recorded up to the end of `as_of` (default today)."""
    fund_years = ({fund.pk: fund_year} if fund_year is not None else {}) if fund_year_known else None
    return compute_many([fund], year, as_of=as_of, fund_years=fund_years)[fund.pk]


def compute_all(year: int, *, as_of: date | None = None, funds=None) -> list[Indicators]:
    """Indicators of every fund (or the given ones) that has a fund year in `year`, by fund name."""
    years = FundYear.objects.filter(year=year).select_related("fund").order_by("fund__name", "fund_id")
    if funds is not None:
        years = years.filter(fund__in=[f.pk for f in funds])
    fund_years = {fy.fund_id: fy for fy in years}
    ordered = [fy.fund for fy in fund_years.values()]
    if funds is not None:  # the given funds, also those without a fund year, in their order
        ordered = list(funds)
    computed = compute_many(ordered, year, as_of=as_of, fund_years=fund_years)
    return [computed[f.pk] for f in ordered]
