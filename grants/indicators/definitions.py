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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.time import day_start  # noqa: F401 -- also read from grants.indicators
from grants.models import Application

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


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
