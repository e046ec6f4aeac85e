"""Median days per stage, from the audit trail's status changes (see `grants.indicators.definitions`)."""

from __future__ import annotations

import statistics

from django.db import connection

from grants.indicators.definitions import MEASURED_STAGES, S
from grants.models import Application, Event


def _no_medians() -> dict:
    return {**{status.value: None for status in MEASURED_STAGES}, "submission_to_decision": None}


MEDIAN_SQL = """
WITH moved AS (
  SELECT c.fund_id, a.id AS application_id FROM {call} c JOIN {application} a ON a.call_id = c.id
  WHERE c.fund_id = ANY(%(funds)s) AND EXISTS (
    SELECT 1 FROM {event} e WHERE e.application_id = a.id AND e.created_at >= %(start)s AND e.created_at < %(cutoff)s
      AND e.to_status <> '')
), changes AS (
  SELECT m.fund_id, e.to_status, e.created_at,
         LAG(e.to_status) OVER w AS previous_status, LAG(e.created_at) OVER w AS previous_at,
         MIN(e.created_at) FILTER (WHERE e.to_status = 'submitted') OVER w AS first_submitted
  FROM moved m JOIN {event} e ON e.application_id = m.application_id
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


def median_days(fund_ids, start, cutoff) -> dict[int, dict[str, float | None]]:
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
