"""What the computation returns: the indicators of one fund and year, their targets and the 40/60 balance
(the definitions are in `grants.indicators.definitions`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from grants.indicators.definitions import BALANCE_MIN, STATUS_LABELS, TARGET_LABELS, cut_percent, share_of_year
from grants.models import Fund, FundYear


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
    # False: only the targets and what they are made of (compute_many(detail=False), the dashboard's overview).
    detail: bool = True
    # True: every figure of the tables but no targets and no pipeline (compute_many(comparison=True), the
    # comparison column of the year before).
    comparison: bool = False

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
        if not self.detail:
            raise ValueError("Indicators computed with detail=False hold the targets only.")
        if self.comparison:
            raise ValueError("Indicators computed with comparison=True hold no targets.")
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
