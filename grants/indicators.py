"""Indicators per fund and calendar year, computed from the records (never from hand-kept counters).

Counting rules (the README's "Indicators" section says the same):

- A year is a calendar year in Europe/Stockholm time. Every figure counts in the year of the event it
  measures; a case can therefore count as received in one year, granted in the next and carried out in
  the one after.
- received, amount requested: the application's first submission (`Application.submitted_at`).
- sent back, ineligible, reviewed, granted, rejected, withdrawn, carried out: the audit trail's status
  changes (`Event.from_status` → `Event.to_status`), counted once per application and year: sent back =
  to "completion"; reviewed = "review" → "decision"; granted = "decision" → "granted" (the decision
  taking effect, after a second approval when one is needed; a final report sent back for completion
  does not count again); carried out = to "carried_out" (the final report approved).
- amount granted: the grant in effect today (after any corrections) of the applications counted as
  granted in the year.
- amount paid: payments by their payment date (`Payment.paid_on`, from the fund's ledger).
- amount returned: unspent money returned to the fund when a case closed (ledger returns with note
  "close"), by the date it was recorded, plus money paid out and paid back by the organisation (ledger
  repayments), by the date it was received (`Repayment.received_on`).
- participants, trainers, survey: the approved final reports of the applications carried out in the year.
- 40/60 balance: women and men must each be at least 40 % of the participants who are women or men;
  "other or not stated" is reported but left out of the base. No women or men at all: not assessable (None).
- survey indicator: a carried-out project meets it when its report's survey share is at least 60 %.
- median days per stage: for every stay in a stage that ended in the year, the time from the status change
  into the stage to the next status change, in days.
- "as of" a date: only what happened up to the end of that day counts. The pipeline behind the forecast
  is always today's.

Targets (FundYear.target_applications, target_carried_out; 0 = none) get a status, met / on_track / behind
(`Target.status`), and a forecast to the year's end from the pace so far and the pipeline (`Target.forecast`).

`compute` runs seven queries (the fund year, then six aggregates) however many applications the fund has.
"""

from __future__ import annotations

import calendar
import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import Application, Decision, Event, FinalReport, Fund, FundYear, LedgerEntry

S = Application.Status
SURVEY_TARGET = 60  # per cent of the participants reporting increased knowledge
BALANCE_MIN = 40  # per cent: the 40/60 rule
# Used for the forecast when a fund has no history yet (no call has closed).
DEFAULT_SUBMIT_RATE = 0.5

# Stages whose time is measured (their order on the dashboard).
MEASURED_STAGES = (S.SUBMITTED, S.COMPLETION, S.REVIEW, S.DECISION, S.GRANTED, S.REPORT_SUBMITTED)
# Stages of the pipeline (every status but draft), in the order of the workflow.
PIPELINE_STAGES = (S.SUBMITTED, S.COMPLETION, S.REVIEW, S.DECISION, S.GRANTED, S.REPORT_SUBMITTED,
                   S.CARRIED_OUT, S.REJECTED, S.INELIGIBLE, S.WITHDRAWN)

# The status changes that make the counts: key -> (from_status or None for any, to_status).
TRANSITIONS = {
    "sent_back": (None, S.COMPLETION),
    "ineligible": (None, S.INELIGIBLE),
    "reviewed": (S.REVIEW, S.DECISION),
    "granted": (S.DECISION, S.GRANTED),
    "rejected": (None, S.REJECTED),
    "withdrawn": (None, S.WITHDRAWN),
    "carried_out": (None, S.CARRIED_OUT),
}

# What people read for each figure, in the order they are shown (dashboard, Excel, PDF).
APPLICATION_LABELS = {
    "received": _("Applications received"),
    "sent_back": _("Sent back for completion"),
    "ineligible": _("Rejected as ineligible"),
    "reviewed": _("Reviewed"),
    "granted": _("Granted"),
    "rejected": _("Rejected"),
    "withdrawn": _("Withdrawn"),
    "carried_out": _("Carried out"),
}
AMOUNT_LABELS = {
    "requested": _("Amount requested"),
    "granted": _("Amount granted"),
    "paid": _("Amount paid"),
    "returned": _("Amount returned to the fund"),
}
PARTICIPANT_LABELS = {
    "women": _("Participants: women"),
    "men": _("Participants: men"),
    "other": _("Participants: other or not stated"),
    "total": _("Participants: total"),
    "newcomers": _("Participants: newly arrived"),
    "established": _("Participants: long-established residents"),
}
TRAINER_LABELS = {
    "women": _("Trainers: women"),
    "men": _("Trainers: men"),
}
TARGET_LABELS = {
    "applications": _("Applications received"),
    "carried_out": _("Granted and carried out"),
}
STATUS_LABELS = {
    "met": _("Met"),
    "on_track": _("On track"),
    "behind": _("Behind"),
    None: _("No target"),
}
STAGE_LABELS = {
    S.SUBMITTED.value: _("Waiting for the ex-ante check"),
    S.COMPLETION.value: _("Completion by the applicant"),
    S.REVIEW.value: _("Review"),
    S.DECISION.value: _("Waiting for the decision"),
    S.GRANTED.value: _("Project under way (until the final report)"),
    S.REPORT_SUBMITTED.value: _("Final report waiting for approval"),
    "submission_to_decision": _("From submission to decision"),
}


# -- time ------------------------------------------------------------------------------------------

def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in Swedish time, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


def today() -> date:
    return timezone.localdate(timezone.now(), timezone=local_tz())


def share_of_year(year: int, as_of: date) -> Fraction:
    """How much of the year has gone by the end of `as_of`: 0 before it starts, 1 once it is over (exact)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if as_of < first:
        return Fraction(0)
    if as_of >= last:
        return Fraction(1)
    return Fraction((as_of - first).days + 1, (last - first).days + 1)


def month_ranges(year: int) -> list[tuple[datetime, datetime]]:
    return [(day_start(date(year, m, 1)), day_start(date(year + (m == 12), m % 12 + 1, 1))) for m in range(1, 13)]


# -- the result --------------------------------------------------------------------------------------

@dataclass
class Balance:
    """The 40/60 rule on a number of women and men (other / not stated is left out of the base)."""

    women: int
    men: int

    @property
    def base(self) -> int:
        return self.women + self.men

    # Shares are cut (not rounded) to one decimal, so a share shown as 40.0 % is never below 40 %:
    # what the page shows always agrees with `met` (39.96 % is shown as 39.9 %, not met).
    def _percent(self, count: int) -> float | None:
        return (1000 * count // self.base) / 10 if self.base else None

    @property
    def women_percent(self) -> float | None:
        return self._percent(self.women)

    @property
    def men_percent(self) -> float | None:
        return self._percent(self.men)

    @property
    def met(self) -> bool | None:
        """Both at least 40 % (so neither above 60 %); exact, in whole numbers. None when nobody counts."""
        if not self.base:
            return None
        return 100 * self.women >= BALANCE_MIN * self.base and 100 * self.men >= BALANCE_MIN * self.base

    def as_dict(self) -> dict:
        return {"women_percent": self.women_percent, "men_percent": self.men_percent, "met": self.met}


def balance_met(women: int, men: int) -> bool | None:
    return Balance(women, men).met


@dataclass
class Target:
    key: str
    target: int
    actual: int
    share: Fraction  # of the year gone
    pipeline: float  # cases under way expected to still count this year
    rate: float  # the rate applied to the pipeline

    @property
    def expected_by_now(self) -> float:
        return round(float(self.target * self.share), 1)

    @property
    def pace(self) -> float | None:
        """The actual so far, carried forward at the same pace to the end of the year."""
        return float(self.actual / self.share) if self.share else None

    @property
    def on_pace(self) -> bool:
        """Not a whole case behind the straight line from 0 on 1 January to the target on 31 December."""
        return self.actual >= math.floor(self.target * self.share)

    @property
    def forecast(self) -> float:
        """To the end of the year: the larger of the pace so far and actual + pipeline; the actual once
        the year is over."""
        if self.share >= 1:
            return float(self.actual)
        candidates = [self.actual + self.pipeline]
        if self.pace is not None:
            candidates.append(self.pace)
        return round(max(candidates), 1)

    @property
    def status(self) -> str | None:
        """met / on_track / behind; None when there is no target (0)."""
        if not self.target:
            return None
        if self.actual >= self.target:
            return "met"
        if self.share >= 1:
            return "behind"
        if self.on_pace or self.forecast >= self.target:
            return "on_track"
        return "behind"

    @property
    def label(self):
        return TARGET_LABELS[self.key]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass
class Indicators:
    fund: Fund
    year: int
    as_of: date
    fund_year: FundYear | None
    applications: dict[str, int]
    amounts: dict[str, Decimal]
    participants: dict[str, int]
    trainers: dict[str, int]
    survey: dict
    median_days: dict[str, float | None]
    per_month: dict[str, list[int | None]]
    pipeline: dict[str, int]
    targets: dict[str, Target] = field(default_factory=dict)

    @property
    def participant_balance(self) -> Balance:
        return Balance(self.participants["women"], self.participants["men"])

    @property
    def trainer_balance(self) -> Balance:
        return Balance(self.trainers["women"], self.trainers["men"])

    @property
    def share(self) -> Fraction:
        return share_of_year(self.year, self.as_of)

    def as_json(self) -> dict:
        """The stable, documented shape (README, "Indicators")."""
        return {
            "fund": self.fund.slug,
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "targets": {key: t.target for key, t in self.targets.items()},
            "actuals": {
                "applications": dict(self.applications),
                "amounts": {key: f"{value:.2f}" for key, value in self.amounts.items()},
                "participants": dict(self.participants),
                "trainers": dict(self.trainers),
                "gender_balance": {"participants": self.participant_balance.as_dict(),
                                   "trainers": self.trainer_balance.as_dict()},
                "survey": dict(self.survey),
                "median_days": dict(self.median_days),
            },
            "status": {key: t.status for key, t in self.targets.items()},
            "forecast": {key: t.forecast for key, t in self.targets.items()},
        }


# -- the queries -------------------------------------------------------------------------------------

def _in(field_name: str, start, end) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _transition_q(key: str, prefix: str = "") -> Q:
    from_status, to_status = TRANSITIONS[key]
    q = Q(**{f"{prefix}to_status": to_status})
    if from_status is not None:
        q &= Q(**{f"{prefix}from_status": from_status})
    return q


def _transitioned(fund: Fund, key: str, start, end):
    """Subquery: the ids of the fund's applications with that status change in [start, end)."""
    return Event.objects.filter(_transition_q(key), _in("created_at", start, end),
                                application__call__fund=fund).values("application_id")


def compute(fund: Fund, year: int, *, as_of: date | None = None, fund_year: FundYear | None = None,
            fund_year_known: bool = False) -> Indicators:
    """Every indicator of `fund` in `year`, counting what happened up to the end of `as_of` (default today)."""
    as_of = as_of or today()
    start = day_start(date(year, 1, 1))
    year_end = day_start(date(year + 1, 1, 1))
    cutoff = min(year_end, day_start(as_of + timedelta(days=1)))
    last_day = min(date(year, 12, 31), as_of)
    if not fund_year_known:
        fund_year = FundYear.objects.filter(fund=fund, year=year).first()
    months = month_ranges(year)
    upto_month = 0 if cutoff <= start else (12 if cutoff >= year_end else as_of.month)

    # 1. Applications: received and requested, per month; the pipeline today and the forecast's history.
    now = min(timezone.now(), cutoff)  # "now" as of that day; the cases' stages are always today's
    open_granted = Q(status__in=[S.GRANTED, S.REPORT_SUBMITTED])
    due_by = Q(report_due_on__lt=as_of) & Q(status__in=[S.GRANTED, S.REPORT_SUBMITTED, S.CARRIED_OUT])
    aggregates = {
        "received": Count("pk", filter=_in("submitted_at", start, cutoff)),
        "requested": Sum("requested_amount", filter=_in("submitted_at", start, cutoff), default=Decimal("0")),
        "drafts_open": Count("pk", filter=Q(status=S.DRAFT, call__closes_at__gt=now, call__opens_at__lt=year_end)),
        "history_all": Count("pk", filter=Q(call__closes_at__lte=now)),
        "history_submitted": Count("pk", filter=Q(call__closes_at__lte=now, submitted_at__isnull=False)),
        "granted_open_due": Count("pk", filter=open_granted & Q(report_due_on__lte=date(year, 12, 31))),
        "due_all": Count("pk", filter=due_by),
        "due_reported": Count("pk", filter=due_by & ~Q(status=S.GRANTED)),
    }
    for m, (m_start, m_end) in enumerate(months, start=1):
        aggregates[f"received_{m}"] = Count("pk", filter=_in("submitted_at", m_start, min(m_end, cutoff)))
    for status in PIPELINE_STAGES:
        aggregates[f"stage_{status}"] = Count("pk", filter=Q(status=status))
    apps = Application.objects.filter(call__fund=fund).aggregate(**aggregates)

    # 2. The audit trail's status changes: the counts of the year and per month.
    aggregates = {key: Count("application", distinct=True, filter=_transition_q(key) & _in("created_at", start, cutoff))
                  for key in TRANSITIONS}
    for m, (m_start, m_end) in enumerate(months, start=1):
        for key in ("granted", "carried_out"):
            aggregates[f"{key}_{m}"] = Count("application", distinct=True,
                                             filter=_transition_q(key) & _in("created_at", m_start, min(m_end, cutoff)))
    events = Event.objects.filter(application__call__fund=fund, created_at__gte=start, created_at__lt=cutoff)
    counts = events.exclude(to_status="").aggregate(**aggregates)

    # 3. The grants in effect of the applications granted in the year.
    granted_amount = Decision.objects.filter(
        status=Decision.Status.EFFECTIVE, outcome=Decision.Outcome.GRANTED,
        application__in=_transitioned(fund, "granted", start, cutoff),
    ).aggregate(total=Sum("amount", default=Decimal("0")))["total"]

    # 4. The ledger: paid by payment date; returned on closing by the date recorded, paid back by the date received.
    money = LedgerEntry.objects.filter(fund_year__fund=fund).aggregate(
        paid=Sum("amount", default=Decimal("0"), filter=Q(kind=LedgerEntry.Kind.PAYMENT, payment__paid_on__gte=date(year, 1, 1),
                                                          payment__paid_on__lte=last_day)),
        returned=Sum("amount", default=Decimal("0"), filter=(Q(kind=LedgerEntry.Kind.RELEASE, note="close")
                                                             & _in("created_at", start, cutoff))
                     | Q(kind=LedgerEntry.Kind.REPAYMENT, repayment__received_on__gte=date(year, 1, 1),
                         repayment__received_on__lte=last_day)),
    )

    # 5. The approved final reports of the projects carried out in the year.
    reports = FinalReport.objects.filter(
        outcome=FinalReport.Outcome.APPROVED, application__in=_transitioned(fund, "carried_out", start, cutoff),
    ).aggregate(
        women=Sum("participants_women", default=0), men=Sum("participants_men", default=0),
        other=Sum("participants_other", default=0), newcomers=Sum("participants_newcomers", default=0),
        established=Sum("participants_established", default=0),
        trainers_women=Sum("trainers_women", default=0), trainers_men=Sum("trainers_men", default=0),
        reports=Count("pk"), meeting=Count("pk", filter=Q(survey_share__gte=SURVEY_TARGET)),
    )

    # 6. Time per stage.
    median_days = _median_days(fund, start, cutoff)

    submit_rate = (apps["history_submitted"] / apps["history_all"]) if apps["history_all"] else DEFAULT_SUBMIT_RATE
    completion_rate = (apps["due_reported"] / apps["due_all"]) if apps["due_all"] else 1.0
    share = share_of_year(year, as_of)
    result = Indicators(
        fund=fund, year=year, as_of=as_of, fund_year=fund_year,
        applications={"received": apps["received"], **{key: counts[key] for key in TRANSITIONS}},
        amounts={"requested": apps["requested"], "granted": granted_amount, "paid": money["paid"],
                 "returned": money["returned"]},
        participants={"women": reports["women"], "men": reports["men"], "other": reports["other"],
                      "total": reports["women"] + reports["men"] + reports["other"],
                      "newcomers": reports["newcomers"], "established": reports["established"]},
        trainers={"women": reports["trainers_women"], "men": reports["trainers_men"]},
        survey={"reports": reports["reports"], "meeting_target": reports["meeting"],
                "percent": round(100 * reports["meeting"] / reports["reports"], 1) if reports["reports"] else None},
        median_days=median_days,
        per_month={
            "received": [apps[f"received_{m}"] if m <= upto_month else None for m in range(1, 13)],
            "granted": [counts[f"granted_{m}"] if m <= upto_month else None for m in range(1, 13)],
            "carried_out": [counts[f"carried_out_{m}"] if m <= upto_month else None for m in range(1, 13)],
        },
        pipeline={status: apps[f"stage_{status}"] for status in PIPELINE_STAGES},
    )
    result.targets = {
        "applications": Target(
            key="applications", target=fund_year.target_applications if fund_year else 0,
            actual=result.applications["received"], share=share,
            pipeline=apps["drafts_open"] * submit_rate, rate=submit_rate),
        "carried_out": Target(
            key="carried_out", target=fund_year.target_carried_out if fund_year else 0,
            actual=result.applications["carried_out"], share=share,
            pipeline=apps["granted_open_due"] * completion_rate, rate=completion_rate),
    }
    return result


def _median_days(fund: Fund, start, cutoff) -> dict[str, float | None]:
    """Median days per stage over the stays that ended in [start, cutoff), from the status changes.

    One query: every status change before the cutoff of the applications that changed status in the
    period, in order; consecutive changes of one application bound one stay.
    """
    moved = Event.objects.filter(application__call__fund=fund, created_at__gte=start, created_at__lt=cutoff
                                 ).exclude(to_status="").values("application_id")
    rows = (Event.objects.filter(application__in=moved, created_at__lt=cutoff).exclude(to_status="")
            .order_by("application_id", "created_at", "pk").values_list("application_id", "to_status", "created_at"))
    stays: dict[str, list[float]] = {status.value: [] for status in MEASURED_STAGES}
    lead: list[float] = []
    current, previous_status, previous_at, first_submitted = None, None, None, None
    for application_id, to_status, at in rows:
        if application_id != current:
            current, previous_status, previous_at, first_submitted = application_id, None, None, None
        elif at >= start and previous_status in stays:
            stays[previous_status].append((at - previous_at).total_seconds() / 86400)
        if to_status == S.SUBMITTED and first_submitted is None:
            first_submitted = at
        if (previous_status == S.DECISION and to_status in (S.GRANTED, S.REJECTED) and at >= start
                and first_submitted is not None):
            lead.append((at - first_submitted).total_seconds() / 86400)
        previous_status, previous_at = to_status, at
    result = {status: (round(statistics.median(values), 1) if values else None) for status, values in stays.items()}
    result["submission_to_decision"] = round(statistics.median(lead), 1) if lead else None
    return result


def compute_all(year: int, *, as_of: date | None = None, funds=None) -> list[Indicators]:
    """Indicators of every fund (or the given ones) that has a fund year in `year`, by fund name."""
    if funds is None:
        funds = Fund.objects.filter(years__year=year).order_by("name").distinct()
    years = {fy.fund_id: fy for fy in FundYear.objects.filter(year=year, fund__in=[f.pk for f in funds])}
    return [compute(fund, year, as_of=as_of, fund_year=years.get(fund.pk), fund_year_known=True) for fund in funds]


# -- flat figures for CSV, Excel and the PDF -------------------------------------------------------------

def flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    """The JSON shape as (dotted key, value) rows, in order: what the CSV export prints."""
    rows = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += flatten(value, f"{dotted}.")
        else:
            rows.append((dotted, value))
    return rows


def csv_rows(indicators: Indicators) -> list[list]:
    """Header and one row per figure: fund, year, indicator (the JSON's dotted key), value."""
    data = indicators.as_json()
    rows = [["fund", "year", "indicator", "value"]]
    for key, value in flatten({k: v for k, v in data.items() if k not in ("fund", "year")}):
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        rows.append([data["fund"], data["year"], key, value])
    return rows


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
