"""Indicators per fund and calendar year, from the records: the definitions (`definitions`, written once),
the records they read (`records`), the computation (`compute`, `medians`), the result (`results`), the charts,
the CSV/Excel/PDF exports (`exports`) and the mails to the steering group (`mail`).

The names below are the package's public face: `from grants.indicators import compute` keeps working.
"""

from grants.indicators.compute import compute, compute_all, compute_many
from grants.indicators.definitions import (
    AMOUNT_LABELS, APPLICATION_LABELS, BALANCE_MIN, BUDGET_LABELS, DEFAULT_SUBMIT_RATE, ENDED_LABELS,
    MEASURED_STAGES, PARTICIPANT_LABELS, PIPELINE_STAGES, STAGE_LABELS, STATUS_LABELS, SURVEY_TARGET,
    TARGET_FIELDS, TARGET_LABELS, TRAINER_LABELS, TRANSITIONS, Period, cut_percent, day_start, days_in_month,
    local_tz, month_ranges, share_of_year, today,
)
from grants.indicators.exports import csv_rows, flatten
from grants.indicators.records import DRILL_DOWN, cases_behind, collaboration_ids, decisions_in_force, transitioned
from grants.indicators.results import Balance, Indicators, ShareTarget, Target, balance_met

__all__ = [
    "AMOUNT_LABELS", "APPLICATION_LABELS", "BALANCE_MIN", "BUDGET_LABELS", "DEFAULT_SUBMIT_RATE", "DRILL_DOWN",
    "ENDED_LABELS", "MEASURED_STAGES", "PARTICIPANT_LABELS", "PIPELINE_STAGES", "STAGE_LABELS", "STATUS_LABELS",
    "SURVEY_TARGET", "TARGET_FIELDS", "TARGET_LABELS", "TRAINER_LABELS", "TRANSITIONS", "Balance", "Indicators",
    "Period", "ShareTarget", "Target", "balance_met", "cases_behind", "collaboration_ids", "compute", "compute_all",
    "compute_many", "csv_rows", "cut_percent", "day_start", "days_in_month", "decisions_in_force", "flatten",
    "local_tz", "month_ranges", "share_of_year", "today", "transitioned",
]
