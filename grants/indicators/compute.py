"""Indicators per fund and calendar year, computed from the records (never from hand-kept counters).

The definitions below are the only ones: the dashboard, the budget pages, the command and every export
(JSON, CSV, Excel, PDF) read them from here, and the README's "Indicators" section says the same.

- A year is a calendar year in Europe/Stockholm time. Every figure counts in the year of the event it
  measures; a case can therefore count as received in one year, granted in the next and carried out in the
  one after.
- received, amount requested: the application's first submission (`Application.submitted_at`). Ineligible,
  withdrawn and rejected applications are received too (the plan counts applications received); eligible
  = received in the year and passed by the ex-ante check (a status change to "review").
- sent back, ineligible, reviewed, granted, rejected, withdrawn, carried out, ended: the audit trail's status
  changes (`Event.from_status` → `Event.to_status`), counted once per application and year: sent back = to
  "completion"; reviewed = "review" → "decision"; granted = "decision" → "granted" on the day the grant
  took effect (the second approval, when one is needed; a final report sent back for completion does not
  count again); carried out = to "carried_out" (the final report approved); ended = to "ended" (ended without
  being carried out).
- collaboration projects (samverkansprojekt): carried out in the year, with at least one named partner in
  the application (another organisation, a municipality, a school or a company).
- amount granted: the grants in force on the as-of day of the applications granted in the year; the same
  for those carried out and those ended in the year, shown apart.
- Money, one definition for every page and export (ledger entries, `LedgerEntry`):
  committed = commitments − payments − returns of unspent money; paid = payments − repayments received
  (net: money paid out and paid back is no longer paid); returned = every return to the fund: unspent money
  released (a case closed, a grant lowered by a correction, a reserved raise that was not approved) and
  repayments received; available = budget − (committed + paid).
  The budget block is one fund year's balance (its budget year, all it holds); "paid" and "returned" among
  the year's amounts are the same figures for the entries dated in the calendar year (payments by payment
  date, repayments by the day received, releases by the day recorded), over all the fund's budget years.
- participants, trainers, survey: the approved final reports of the applications carried out in the year.
- 40/60 balance: women and men must each be at least the target's share (40 %) of the participants (and of
  the trainers, the leaders of the activities) who are women or men; "other or not stated" is reported but
  left out of the base. No women or men at all: not assessable (None).
- survey indicator: the share of the participants (not of the projects) who report increased knowledge:
  Σ(share × participants) ÷ Σ participants over the approved reports; the number of projects at or above
  60 % is shown beside it.
- median days per stage: for every stay in a stage that ended in the year, the time from the status change
  into the stage to the next status change, in days.
- "as of" a day D reconstructs what the records said at the end of D: only status changes, ledger entries,
  budget changes and report approvals recorded by then count, a grant counts at the amount of the decision in
  force then (a later correction does not change it), and the pipeline is the stages the cases were in. A
  yearly report made as of 31 December can thus be reproduced later to the öre.

Targets (FundYear.target_*; 0 = no target) get a status and a forecast (`Target`). Counts (applications,
carried out, collaboration projects): met / on_track / behind, forecast from the pace so far and the
pipeline. Shares (40/60 for participants and for trainers, survey): met / not_met / not_assessable, the
forecast being the share so far.

`compute_many` computes any number of funds with a fixed number of queries (one GROUP BY per kind of
record), the same for 1 or 50 funds and 10 or 100,000 applications.
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
from django.db import connection
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import (
    Application, BudgetChange, Decision, Event, FinalReport, Fund, FundYear, LedgerEntry, Partner, Repayment,
)
from grants.selectors import LEDGER_SUMS, money_figures

S = Application.Status
SURVEY_TARGET = 60  # per cent: a project "meets" the survey indicator at or above it (shown beside the share)
BALANCE_MIN = 40  # per cent: the 40/60 rule when a fund year sets no other share
# Used for the forecast when a fund has no history yet (no call has closed).
DEFAULT_SUBMIT_RATE = 0.5

# Stages whose time is measured (their order on the dashboard).
MEASURED_STAGES = (S.SUBMITTED, S.COMPLETION, S.REVIEW, S.DECISION, S.GRANTED, S.REPORT_SUBMITTED)
# Stages of the pipeline (every status but draft), in the order of the workflow.
PIPELINE_STAGES = (S.SUBMITTED, S.COMPLETION, S.REVIEW, S.DECISION, S.GRANTED, S.REPORT_SUBMITTED,
                   S.CARRIED_OUT, S.ENDED, S.REJECTED, S.INELIGIBLE, S.WITHDRAWN)

# The status changes that make the counts: key -> (from_status or None for any, to_status).
TRANSITIONS = {
    "sent_back": (None, S.COMPLETION),
    "ineligible": (None, S.INELIGIBLE),
    "reviewed": (S.REVIEW, S.DECISION),
    "granted": (S.DECISION, S.GRANTED),
    "rejected": (None, S.REJECTED),
    "withdrawn": (None, S.WITHDRAWN),
    "carried_out": (None, S.CARRIED_OUT),
    "ended": (None, S.ENDED),
}

# What people read for each figure, in the order they are shown (dashboard, Excel, PDF).
APPLICATION_LABELS = {
    "received": _("Applications received (all, also ineligible and withdrawn)"),
    "eligible": _("Of these: passed the ex-ante check"),
    "sent_back": _("Sent back for completion"),
    "ineligible": _("Rejected as ineligible"),
    "reviewed": _("Reviewed"),
    "granted": _("Granted (the day the grant took effect)"),
    "rejected": _("Rejected"),
    "withdrawn": _("Withdrawn"),
    "carried_out": _("Carried out"),
    "collaboration_projects": _("Collaboration projects carried out"),
    "ended": _("Ended without being carried out"),
}
AMOUNT_LABELS = {
    "requested": _("Amount requested"),
    "granted": _("Amount granted"),
    "granted_carried_out": _("Amount granted to the projects carried out"),
    "granted_ended": _("Amount granted to the grants ended without being carried out"),
    "paid": _("Paid (paid out less paid back)"),
    "returned": _("Returned to the fund"),
}
ENDED_LABELS = {
    "grants": _("Grants ended without being carried out"),
    "granted": _("Their amount granted"),
    "released": _("Released to the fund when they ended"),
    "claimed_back": _("Claimed back from the organisations"),
    "paid_back": _("Of that, paid back"),
}
BUDGET_LABELS = {
    "budget": _("Budget"),
    "committed": _("Committed"),
    "paid": _("Paid"),
    "returned": _("Returned to the fund"),
    "available": _("Available"),
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
    "collaboration_projects": _("Collaboration projects carried out"),
    "participants_balance": _("Participants: women and men each at least"),
    "trainers_balance": _("Leaders (trainers): women and men each at least"),
    "survey_participants": _("Participants reporting increased knowledge"),
}
# The fund year's field that sets each target (0 = no target).
TARGET_FIELDS = {
    "applications": "target_applications",
    "carried_out": "target_carried_out",
    "collaboration_projects": "target_collaboration_projects",
    "participants_balance": "target_balance_percent",
    "trainers_balance": "target_balance_percent",
    "survey_participants": "target_survey_percent",
}
STATUS_LABELS = {
    "met": _("Met"),
    "on_track": _("On track"),
    "behind": _("Behind"),
    "not_met": _("Not met"),
    "not_assessable": _("Not assessable"),
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


def cut_percent(numerator, denominator) -> float | None:
    """numerator ÷ denominator in per cent, cut (not rounded) to one decimal, so a share shown as 40.0 % is
    never below 40 %: what the page shows always agrees with met / not met."""
    if not denominator:
        return None
    return float(math.floor(Fraction(1000) * Fraction(numerator) / Fraction(denominator))) / 10


# -- the result --------------------------------------------------------------------------------------

@dataclass
class Balance:
    """The 40/60 rule on a number of women and men (other / not stated is left out of the base)."""

    women: int
    men: int
    minimum: int = BALANCE_MIN

    @property
    def base(self) -> int:
        return self.women + self.men

    @property
    def women_percent(self) -> float | None:
        return cut_percent(self.women, self.base)

    @property
    def men_percent(self) -> float | None:
        return cut_percent(self.men, self.base)

    @property
    def smaller_percent(self) -> float | None:
        return None if not self.base else min(self.women_percent, self.men_percent)

    @property
    def met(self) -> bool | None:
        """Both at least the minimum (40 %, so neither above 60 %); exact, in whole numbers. None when nobody counts."""
        if not self.base:
            return None
        return 100 * self.women >= self.minimum * self.base and 100 * self.men >= self.minimum * self.base

    def as_dict(self) -> dict:
        return {"women_percent": self.women_percent, "men_percent": self.men_percent, "met": self.met}


def balance_met(women: int, men: int) -> bool | None:
    return Balance(women, men).met


@dataclass
class Target:
    """A count to reach by the end of the year (applications, carried out, collaboration projects)."""

    key: str
    target: int
    actual: int
    share: Fraction  # of the year gone
    pipeline: float  # cases under way expected to still count this year
    rate: float  # the rate applied to the pipeline
    kind = "count"

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
    def met(self) -> bool | None:
        return None if not self.target else self.actual >= self.target

    @property
    def label(self):
        return TARGET_LABELS[self.key]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass
class ShareTarget:
    """A share in per cent to reach (the 40/60 balance, the survey): met when actual_met says so."""

    key: str
    target: int  # per cent; 0 = no target
    actual: float | None  # per cent, cut to one decimal; None = nothing to measure
    actual_met: bool | None  # exact, from whole numbers
    kind = "share"

    @property
    def expected_by_now(self) -> float:
        return float(self.target)

    @property
    def forecast(self) -> float | None:
        """No pace for a share: the forecast is the share so far."""
        return self.actual

    @property
    def status(self) -> str | None:
        if not self.target:
            return None
        if self.actual_met is None:
            return "not_assessable"
        return "met" if self.actual_met else "not_met"

    @property
    def met(self) -> bool | None:
        return None if not self.target else self.actual_met

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
    ended: dict
    budget: dict[str, Decimal] | None
    participants: dict[str, int]
    trainers: dict[str, int]
    survey: dict
    median_days: dict[str, float | None]
    per_month: dict[str, list[int | None]]
    pipeline: dict[str, int]
    targets: dict[str, Target | ShareTarget] = field(default_factory=dict)

    @property
    def balance_minimum(self) -> int:
        return (self.fund_year.target_balance_percent if self.fund_year else 0) or BALANCE_MIN

    @property
    def participant_balance(self) -> Balance:
        return Balance(self.participants["women"], self.participants["men"], self.balance_minimum)

    @property
    def trainer_balance(self) -> Balance:
        return Balance(self.trainers["women"], self.trainers["men"], self.balance_minimum)

    @property
    def share(self) -> Fraction:
        return share_of_year(self.year, self.as_of)

    def as_json(self) -> dict:
        """The stable, documented shape (README, "Indicators")."""
        def money(values):
            return {key: f"{value:.2f}" for key, value in values.items()}

        return {
            "fund": self.fund.slug,
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "targets": {key: t.target for key, t in self.targets.items()},
            "actuals": {
                "applications": dict(self.applications),
                "amounts": money(self.amounts),
                "ended": {"grants": self.ended["grants"],
                          **money({k: v for k, v in self.ended.items() if k != "grants"})},
                "participants": dict(self.participants),
                "trainers": dict(self.trainers),
                "gender_balance": {"participants": self.participant_balance.as_dict(),
                                   "trainers": self.trainer_balance.as_dict()},
                "survey": dict(self.survey),
                "median_days": dict(self.median_days),
            },
            "values": {key: t.actual for key, t in self.targets.items()},
            "status": {key: t.status for key, t in self.targets.items()},
            "forecast": {key: t.forecast for key, t in self.targets.items()},
            "met": {key: t.met for key, t in self.targets.items()},
            "budget": money(self.budget) if self.budget is not None else None,
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


def transitioned(key: str, start, end, funds=None):
    """Subquery: the ids of the applications (of the funds) with that status change in [start, end)."""
    events = Event.objects.filter(_transition_q(key), _in("created_at", start, end))
    if funds is not None:
        events = events.filter(application__call__fund__in=funds)
    return events.values("application_id")


def collaboration_ids():
    """Subquery: the applications with at least one named partner (a collaboration project)."""
    return Partner.objects.exclude(name="").values("application_id")


def decisions_in_force(known_by: datetime):
    """The grants in force at `known_by`: the latest decision granting money that had taken effect by then
    (on its second approval when one was needed), whatever corrected or ended it later."""
    took_effect = Coalesce("approved_at", "decided_at")
    effective = Decision.objects.filter(outcome=Decision.Outcome.GRANTED).exclude(
        status__in=[Decision.Status.PENDING, Decision.Status.ANNULLED]).annotate(took_effect=took_effect)
    later = effective.filter(application_id=OuterRef("application_id"), took_effect__lt=known_by).filter(
        Q(took_effect__gt=OuterRef("took_effect")) | Q(took_effect=OuterRef("took_effect"), pk__gt=OuterRef("pk")))
    return effective.filter(took_effect__lt=known_by).exclude(Exists(later))


def status_at(known_by: datetime):
    """Expression: the application's stage at `known_by`, from the last status change recorded before it."""
    last = Event.objects.filter(application_id=OuterRef("pk"), created_at__lt=known_by).exclude(
        to_status="").order_by("-created_at", "-pk").values("to_status")[:1]
    return Coalesce(Subquery(last, output_field=CharField()), Value(S.DRAFT.value), output_field=CharField())


@dataclass
class Period:
    """The year, and the moment up to which the records count (the end of the as-of day)."""

    year: int
    as_of: date

    @property
    def start(self) -> datetime:
        return day_start(date(self.year, 1, 1))

    @property
    def year_end(self) -> datetime:
        return day_start(date(self.year + 1, 1, 1))

    @property
    def known_by(self) -> datetime:
        return day_start(self.as_of + timedelta(days=1))

    @property
    def cutoff(self) -> datetime:
        return min(self.year_end, self.known_by)

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return min(date(self.year, 12, 31), self.as_of)

    @property
    def reconstructs(self) -> bool:
        """True when the as-of day is before today: the stages must be rebuilt from the audit trail."""
        return self.as_of < today()


def ledger_dated(period: Period) -> dict[str, Q]:
    """Which ledger entries count in the calendar year: each kind by its own date (payments by the payment
    date, repayments by the day received, the rest by the day recorded), recorded by the as-of day."""
    recorded = Q(created_at__lt=period.known_by)
    return {
        "commitment": recorded & _in("created_at", period.start, period.year_end),
        "payment": recorded & Q(payment__paid_on__gte=period.first_day, payment__paid_on__lte=period.last_day),
        "release": recorded & _in("created_at", period.start, period.cutoff),
        "repayment": recorded & Q(repayment__received_on__gte=period.first_day,
                                  repayment__received_on__lte=period.last_day),
    }


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
    medians = _median_days(fund_ids, start, cutoff)

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


def _no_medians() -> dict:
    return {**{status.value: None for status in MEASURED_STAGES}, "submission_to_decision": None}


MEDIAN_SQL = """
WITH moved AS (
  SELECT DISTINCT e.application_id FROM {event} e
  JOIN {application} a ON a.id = e.application_id JOIN {call} c ON c.id = a.call_id
  WHERE c.fund_id = ANY(%(funds)s) AND e.created_at >= %(start)s AND e.created_at < %(cutoff)s AND e.to_status <> ''
), changes AS (
  SELECT c.fund_id, e.to_status, e.created_at,
         LAG(e.to_status) OVER w AS previous_status, LAG(e.created_at) OVER w AS previous_at,
         MIN(e.created_at) FILTER (WHERE e.to_status = 'submitted') OVER w AS first_submitted
  FROM {event} e JOIN moved m ON m.application_id = e.application_id
  JOIN {application} a ON a.id = e.application_id JOIN {call} c ON c.id = a.call_id
  WHERE e.created_at < %(cutoff)s AND e.to_status <> ''
  WINDOW w AS (PARTITION BY e.application_id ORDER BY e.created_at, e.id)
)
SELECT fund_id, previous_status,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM created_at - previous_at) / 86400)
FROM changes WHERE created_at >= %(start)s AND previous_status = ANY(%(measured)s) GROUP BY fund_id, previous_status
UNION ALL
SELECT fund_id, 'submission_to_decision',
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM created_at - first_submitted) / 86400)
FROM changes WHERE created_at >= %(start)s AND previous_status = 'decision' AND to_status IN ('granted', 'rejected')
  AND first_submitted IS NOT NULL GROUP BY fund_id
"""


def _median_days(fund_ids, start, cutoff) -> dict[int, dict[str, float | None]]:
    """Per fund, median days per stage over the stays that ended in [start, cutoff), from the status changes.

    On PostgreSQL one query computes the stays with window functions and their medians (percentile_cont);
    elsewhere one query reads every status change before the cutoff of the applications that changed status
    in the period, in order, and Python pairs consecutive changes of one application into stays.
    """
    if connection.vendor == "postgresql":
        sql = MEDIAN_SQL.format(event=Event._meta.db_table, application=Application._meta.db_table,
                                call=Application._meta.get_field("call").related_model._meta.db_table)
        result = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, {"funds": list(fund_ids), "start": start, "cutoff": cutoff,
                                 "measured": [status.value for status in MEASURED_STAGES]})
            for fund_id, stage, median in cursor.fetchall():
                result.setdefault(fund_id, _no_medians())[stage] = round(float(median), 1)
        return result
    moved = Event.objects.filter(application__call__fund_id__in=fund_ids, created_at__gte=start,
                                 created_at__lt=cutoff).exclude(to_status="").values("application_id")
    rows = (Event.objects.filter(application__in=moved, created_at__lt=cutoff).exclude(to_status="")
            .order_by("application_id", "created_at", "pk")
            .values_list("application__call__fund_id", "application_id", "to_status", "created_at"))
    stays: dict[int, dict[str, list[float]]] = {}
    lead: dict[int, list[float]] = {}
    current, previous_status, previous_at, first_submitted = None, None, None, None
    for fund_id, application_id, to_status, at in rows.iterator(chunk_size=5000):
        fund_stays = stays.setdefault(fund_id, {status.value: [] for status in MEASURED_STAGES})
        fund_lead = lead.setdefault(fund_id, [])
        if application_id != current:
            current, previous_status, previous_at, first_submitted = application_id, None, None, None
        elif at >= start and previous_status in fund_stays:
            fund_stays[previous_status].append((at - previous_at).total_seconds() / 86400)
        if to_status == S.SUBMITTED and first_submitted is None:
            first_submitted = at
        if (previous_status == S.DECISION and to_status in (S.GRANTED, S.REJECTED) and at >= start
                and first_submitted is not None):
            fund_lead.append((at - first_submitted).total_seconds() / 86400)
        previous_status, previous_at = to_status, at
    result = {}
    for fund_id, fund_stays in stays.items():
        medians = {status: (round(statistics.median(values), 1) if values else None)
                   for status, values in fund_stays.items()}
        medians["submission_to_decision"] = round(statistics.median(lead[fund_id]), 1) if lead[fund_id] else None
        result[fund_id] = medians
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


# -- the cases behind a count (the dashboard's drill-down) -----------------------------------------------

DRILL_DOWN = ("received", "eligible", "sent_back", "ineligible", "reviewed", "granted", "rejected", "withdrawn",
              "carried_out", "collaboration_projects", "ended")


def cases_behind(key: str, year: int, *, as_of: date | None = None):
    """Subquery: the ids of the applications (all funds) counted in `key` for `year` as of the day."""
    period = Period(year, as_of or today())
    start, cutoff, known_by = period.start, period.cutoff, period.known_by
    if key == "received":
        return Application.objects.filter(_in("submitted_at", start, cutoff)).values("pk")
    if key == "eligible":
        return Event.objects.filter(to_status=S.REVIEW, from_status=S.SUBMITTED, created_at__lt=known_by,
                                    application__submitted_at__gte=start,
                                    application__submitted_at__lt=cutoff).values("application_id")
    if key == "collaboration_projects":
        return transitioned("carried_out", start, cutoff).filter(application__in=collaboration_ids())
    if key in TRANSITIONS:
        return transitioned(key, start, cutoff)
    raise KeyError(key)


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
