"""The counts behind the indicators, per fund, each in one GROUP BY over all the funds asked for.

Each function returns {fund id: figures}. The database groups the rows by a handful of small columns
(the stage, a few yes/no flags, the month) and Python adds the groups up: one pass over the rows instead of
one filtered aggregate per figure, which is what keeps 100,000 applications fast. The figures are exactly
those of the definitions (`grants.indicators.definitions`): tests/test_indicator_scale.py checks them against
a plain recomputation from the records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField, Case, Count, DecimalField, Exists, ExpressionWrapper, F, FilteredRelation, IntegerField, OuterRef, Q,
    Subquery, Sum, Value, When,
)
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from grants.indicators.definitions import PIPELINE_STAGES, S, SURVEY_TARGET, TRANSITIONS, Period, local_tz
from grants.indicators.records import (
    _in, _transition_q, collaboration_ids, decisions_in_force, status_at, transitioned,
)
from grants.models import Application, Call, Decision, Event, FinalReport, Partner

OPEN_GRANTED = (S.GRANTED, S.REPORT_SUBMITTED)
REPORT_DUE_STAGES = (S.GRANTED, S.REPORT_SUBMITTED, S.CARRIED_OUT)
# The fields of `application_counts`, zero for a fund without applications.
APPLICATION_FIELDS = ("received", "eligible", "drafts_open", "history_all", "history_submitted", "granted_open_due",
                      "collaboration_open_due", "due_all", "due_reported")


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def empty_application_counts() -> dict:
    return {**dict.fromkeys(APPLICATION_FIELDS, 0), "requested": Decimal("0"), "received_per_month": [0] * 12,
            "pipeline": dict.fromkeys(PIPELINE_STAGES, 0)}


def application_counts(fund_ids, period: Period, *, detail: bool = True) -> dict[int, dict]:
    """Received and requested, the pipeline (the stage of every application) and the forecast's inputs, in one
    query grouped by fund, stage and a few yes/no flags; with `detail`, received per month and the applications
    received in the year that passed the ex-ante check by the as-of day (else received_per_month stays 0).

    As of a past day the stage is rebuilt from the audit trail and only the applications created by then count.
    """
    if connection.vendor == "postgresql":
        rows = _application_rows_sql(fund_ids, period, detail=detail)
    else:
        rows = _application_rows_orm(fund_ids, period, detail=detail)
    result: dict[int, dict] = {}
    for row in rows:
        fund_id = row["call__fund_id"]
        a = result.get(fund_id) or result.setdefault(fund_id, empty_application_counts())
        n, stage = row["n"], row["stage"]
        if row["month"]:
            a["received"] += n
            if detail:
                a["received_per_month"][row["month"] - 1] += n
            a["requested"] += row["requested"] or Decimal("0")
            a["eligible"] += n if row.get("passed") else 0
        if stage == S.DRAFT and row["call_open_for_drafts"]:
            a["drafts_open"] += n
        if row["call_closed"]:
            a["history_all"] += n
            a["history_submitted"] += n if row["submitted_known"] else 0
        if stage in OPEN_GRANTED and row["due_in_year"]:
            a["granted_open_due"] += n
            a["collaboration_open_due"] += n if row["partner"] else 0
        if stage in REPORT_DUE_STAGES and row["due_by"]:
            a["due_all"] += n
            a["due_reported"] += n if stage != S.GRANTED else 0
        if stage in a["pipeline"]:
            a["pipeline"][stage] += n
    return result


# PostgreSQL: `application_counts`'s groups written out (the same rows as `_application_rows_orm`, tested); as of a
# past day the stage is the last status change recorded by then (`records.status_at`).
APPLICATION_COUNTS_SQL = """
SELECT fund_id AS call__fund_id, stage, month, call_closed, call_open_for_drafts, submitted_known, due_in_year, due_by, partner,
       passed, COUNT(*) AS n, SUM(requested_amount) AS requested
FROM (
  SELECT c.fund_id, {stage} AS stage, a.requested_amount,
         CASE WHEN a.submitted_at >= %(start)s AND a.submitted_at < %(cutoff)s THEN {month} ELSE 0 END AS month,
         c.closes_at <= %(now)s AS call_closed,
         c.closes_at > %(now)s AND c.opens_at < %(year_end)s AS call_open_for_drafts,
         a.submitted_at < %(known_by)s AS submitted_known,
         a.report_due_on <= %(last_of_year)s AS due_in_year,
         a.report_due_on < %(as_of)s AS due_by,
         a.id IN (SELECT p.application_id FROM {partner} p WHERE p.name <> '') AS partner,
         {passed} AS passed
  FROM {call} c JOIN {application} a ON a.call_id = c.id {passed_join}
  WHERE c.fund_id = ANY(%(funds)s) {created}
) rows
GROUP BY fund_id, stage, month, call_closed, call_open_for_drafts, submitted_known, due_in_year, due_by, partner,
         passed
"""
STAGE_AS_OF_SQL = """COALESCE((SELECT e.to_status FROM {event} e WHERE e.application_id = a.id
  AND e.created_at < %(known_by)s AND e.to_status <> '' ORDER BY e.created_at DESC, e.id DESC LIMIT 1), %(draft)s)"""
# Passed the check (received in the year, a change from submitted to review recorded by the day): looked up per
# application received (a lateral join), not hashed from every fund's changes of the year as an EXISTS would be.
PASSED_JOIN_SQL = """LEFT JOIN LATERAL (
  SELECT true AS passed FROM {event} e
  WHERE a.submitted_at >= %(start)s AND a.submitted_at < %(cutoff)s AND e.application_id = a.id
    AND e.to_status = %(review)s AND e.from_status = %(submitted)s AND e.created_at >= %(start)s
    AND e.created_at < %(known_by)s LIMIT 1) passed ON true"""


def _application_rows_sql(fund_ids, period: Period, *, detail: bool) -> list[dict]:
    if not fund_ids:
        return []
    event = Event._meta.db_table
    sql = APPLICATION_COUNTS_SQL.format(
        stage=STAGE_AS_OF_SQL.format(event=event) if period.reconstructs else "a.status",
        month="EXTRACT(MONTH FROM a.submitted_at AT TIME ZONE %(tz)s)::integer" if detail else "1",
        passed="passed.passed IS NOT NULL" if detail else "NULL::boolean",
        passed_join=PASSED_JOIN_SQL.format(event=event) if detail else "",
        created="AND a.created_at < %(known_by)s" if period.reconstructs else "",
        call=Call._meta.db_table, application=Application._meta.db_table, partner=Partner._meta.db_table)
    params = {"funds": list(fund_ids), "start": period.start, "cutoff": period.cutoff, "known_by": period.known_by,
              "now": min(timezone.now(), period.cutoff), "year_end": period.year_end,
              "last_of_year": date(period.year, 12, 31), "as_of": period.as_of, "tz": settings.TIME_ZONE,
              "draft": S.DRAFT.value, "review": S.REVIEW.value, "submitted": S.SUBMITTED.value}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _application_rows_orm(fund_ids, period: Period, *, detail: bool):
    start, cutoff, known_by, as_of = period.start, period.cutoff, period.known_by, period.as_of
    now = min(timezone.now(), cutoff)  # "now" as of that day
    applications = Application.objects.filter(call__fund_id__in=fund_ids)
    if period.reconstructs:
        applications = applications.filter(created_at__lt=known_by).annotate(stage=status_at(known_by))
    else:
        applications = applications.annotate(stage=F("status"))
    received = _in("submitted_at", start, cutoff)
    flags = {
        # 1–12: received in that month (Swedish time); 0: not received in the year. Without detail, 1: received.
        "month": Case(When(received, then=ExtractMonth("submitted_at", tzinfo=local_tz()) if detail else Value(1)),
                      default=Value(0), output_field=IntegerField()),
        "call_closed": _flag(Q(call__closes_at__lte=now)),
        "call_open_for_drafts": _flag(Q(call__closes_at__gt=now, call__opens_at__lt=period.year_end)),
        "submitted_known": _flag(Q(submitted_at__lt=known_by)),
        "due_in_year": _flag(Q(report_due_on__lte=date(period.year, 12, 31))),
        "due_by": _flag(Q(report_due_on__lt=as_of)),
        "partner": _flag(Q(pk__in=collaboration_ids())),  # (not on the stage: as of a past day, that is a subquery)
    }
    if detail:  # passed the check: a status change from submitted to review recorded by the as-of day (never
        # before the first submission, so never before the year's start for an application received in the year)
        passed = Event.objects.filter(application_id=OuterRef("pk"), to_status=S.REVIEW, from_status=S.SUBMITTED,
                                      created_at__gte=start, created_at__lt=known_by)
        flags["passed"] = Case(When(received, then=Exists(passed)), default=Value(False), output_field=BooleanField())
    return applications.annotate(**flags).values("call__fund_id", "stage", *flags).order_by().annotate(
        n=Count("pk"), requested=Sum("requested_amount"))


def received_counts(fund_ids, period: Period) -> dict[int, dict]:
    """Only the applications received in the year: received (also per month), requested and eligible, as in
    `application_counts` (whose other fields stay 0), in one query that needs no stage, so nothing is rebuilt
    from the audit trail as of a past day (the comparison column: `compute_many(comparison=True)`)."""
    start, known_by = period.start, period.known_by
    applications = Application.objects.filter(call__fund_id__in=fund_ids).filter(_in("submitted_at", start,
                                                                                       period.cutoff))
    if period.reconstructs:
        applications = applications.filter(created_at__lt=known_by)
    passed = Event.objects.filter(application_id=OuterRef("pk"), to_status=S.REVIEW, from_status=S.SUBMITTED,
                                  created_at__gte=start, created_at__lt=known_by)
    rows = applications.annotate(month=ExtractMonth("submitted_at", tzinfo=local_tz()), passed=Exists(passed)).values(
        "call__fund_id", "month", "passed").order_by().annotate(n=Count("pk"), requested=Sum("requested_amount"))
    result: dict[int, dict] = {}
    for row in rows:
        a = result.get(row["call__fund_id"]) or result.setdefault(row["call__fund_id"], empty_application_counts())
        n = row["n"]
        a["received"] += n
        a["received_per_month"][row["month"] - 1] += n
        a["requested"] += row["requested"] or Decimal("0")
        a["eligible"] += n if row["passed"] else 0
    return result


def _transition_key():
    """Expression: which of TRANSITIONS a status change is (each to_status belongs to at most one)."""
    return Case(*[When(_transition_q(key), then=Value(key)) for key in TRANSITIONS], default=Value(""))


# The amount granted to the applications with these status changes in the year: key -> figure.
AMOUNT_KEYS = {"granted": "amount_granted", "carried_out": "amount_granted_carried_out",
               "ended": "amount_granted_ended"}
# The approved final reports of the applications carried out in the year: figure -> FinalReport field.
REPORT_SUMS = {"women": "participants_women", "men": "participants_men", "other": "participants_other",
               "newcomers": "participants_newcomers", "established": "participants_established",
               "trainers_women": "trainers_women", "trainers_men": "trainers_men"}


def empty_status_changes() -> dict:
    return {**dict.fromkeys(TRANSITIONS, 0), "collaboration_projects": 0, "granted_per_month": [0] * 12,
            "carried_out_per_month": [0] * 12, **dict.fromkeys(AMOUNT_KEYS.values(), Decimal("0")),
            "reports": {**dict.fromkeys(REPORT_SUMS, 0), "reports": 0, "meeting": 0, "weighted": 0}}


CARRIED_OUT_SQL = """
SELECT c.fund_id, COUNT(DISTINCT a.id), COUNT(DISTINCT CASE WHEN a.id IN ({partners}) THEN a.id END), COUNT(r.id),
       COUNT(CASE WHEN r.survey_share >= %s THEN r.id END),
       COALESCE(SUM(r.survey_share * (r.participants_women + r.participants_men + r.participants_other)), 0),
       {sums}
FROM ({done}) d JOIN {application} a ON a.id = d.application_id JOIN {call} c ON c.id = a.call_id
LEFT JOIN {report} r ON r.application_id = a.id AND r.outcome = %s
WHERE c.fund_id IN ({funds}) GROUP BY c.fund_id
"""


def carried_out_counts(fund_ids, period: Period) -> dict[int, dict]:
    """Only what the targets need of `status_changes` (the dashboard's overview): the applications carried out
    in the year, the collaboration projects among them and the sums of their approved final reports, added
    up by the database (one row per fund), read from the year's status changes to carried out (the index on
    them) outwards; the other figures stay 0. The same figures as `status_changes` (tested)."""
    if not fund_ids:
        return {}
    done, done_params = (transitioned("carried_out", period.start, period.cutoff).order_by()
                          .distinct().query.sql_with_params())
    partners, partner_params = collaboration_ids().order_by().query.sql_with_params()
    sql = CARRIED_OUT_SQL.format(
        partners=partners, done=done, funds=", ".join(["%s"] * len(fund_ids)),
        sums=", ".join(f"COALESCE(SUM(r.{field}), 0)" for field in REPORT_SUMS.values()),
        application=Application._meta.db_table, call=Call._meta.db_table, report=FinalReport._meta.db_table)
    params = [*partner_params, SURVEY_TARGET, *done_params, FinalReport.Outcome.APPROVED.value, *fund_ids]
    result: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for fund_id, carried_out, collaboration, reports, meeting, weighted, *sums in cursor.fetchall():
            counts = result[fund_id] = empty_status_changes()
            counts["carried_out"], counts["collaboration_projects"] = carried_out, collaboration
            counts["reports"].update({"reports": reports, "meeting": meeting, "weighted": weighted,
                                      **dict(zip(REPORT_SUMS, sums))})
    return result


def status_changes(fund_ids, period: Period) -> dict[int, dict]:
    """The applications with each status change (TRANSITIONS) in the year, counted once per fund and key, and
    once per month for granted and carried out; the collaboration projects among those carried out and the
    sums of their approved final reports; the amount granted (the grants in force as of the day) to those
    granted, carried out and ended.

    One query: the distinct (fund, key, application, month) of the year's status changes, each with its
    application's approved final reports and amount in force; Python counts them (a few hundred rows per fund and
    year). Written out in SQL on PostgreSQL (`STATUS_CHANGES_SQL`), with the ORM elsewhere: the same rows (tested).
    """
    in_force = (decisions_in_force(period.known_by) if period.reconstructs else Decision.objects.filter(
        outcome=Decision.Outcome.GRANTED, status=Decision.Status.EFFECTIVE))
    if connection.vendor == "postgresql":
        rows = _status_change_rows_sql(fund_ids, period, in_force)
    else:
        rows = _status_change_rows_orm(fund_ids, period, in_force)
    apps: dict[tuple, set] = defaultdict(set)
    granted_to: dict[tuple, Decimal] = {}
    reports: dict[tuple, tuple] = {}
    for fund_id, key, application_id, month, partner, report_id, survey_share, *rest in rows:
        apps[fund_id, key].add(application_id)
        if key in ("granted", "carried_out"):
            apps[fund_id, key, month].add(application_id)
        if partner:
            apps[fund_id, "collaboration_projects"].add(application_id)
        if key == "carried_out" and report_id is not None:
            reports[fund_id, report_id] = (survey_share, rest[:len(REPORT_SUMS)])
        if key in AMOUNT_KEYS:
            granted_to[fund_id, key, application_id] = rest[len(REPORT_SUMS)] or Decimal("0")
    result: dict[int, dict] = {}
    for (fund_id, key, *month), ids in apps.items():
        counts = result.get(fund_id) or result.setdefault(fund_id, empty_status_changes())
        if month:
            counts[f"{key}_per_month"][month[0] - 1] = len(ids)
        else:
            counts[key] = len(ids)
    for (fund_id, key, _application_id), amount in granted_to.items():
        result[fund_id][AMOUNT_KEYS[key]] += amount
    for (fund_id, _report_id), (survey_share, values) in reports.items():
        sums = result[fund_id]["reports"]
        for name, value in zip(REPORT_SUMS, values):
            sums[name] += value
        sums["reports"] += 1
        sums["meeting"] += survey_share >= SURVEY_TARGET
        figures = dict(zip(REPORT_SUMS, values))
        sums["weighted"] += survey_share * (figures["women"] + figures["men"] + figures["other"])
    return result


# PostgreSQL: the distinct (fund, key, application, month) of the year's status changes of the funds' applications
# (each application's changes read through the index on (application, created_at)), then per row: whether it
# is a collaboration project carried out, its approved final reports (for carried out) and the amount granted to
# it in force (for AMOUNT_KEYS). The same rows as the ORM's query (`_status_change_rows_orm`), written out: this
# is what a fund's year costs to compute after a change, and building that query costs as much as running it.
STATUS_CHANGES_SQL = """
WITH changes AS (
  SELECT DISTINCT c.fund_id, {key} AS key, e.application_id,
         EXTRACT(MONTH FROM e.created_at AT TIME ZONE %s)::integer AS month
  FROM {call} c JOIN {application} a ON a.call_id = c.id JOIN {event} e ON e.application_id = a.id
  WHERE c.fund_id IN ({funds}) AND e.created_at >= %s AND e.created_at < %s AND e.to_status IN ({to_statuses})
)
SELECT ch.fund_id, ch.key, ch.application_id, ch.month,
       ch.key = 'carried_out' AND ch.application_id IN ({partners}),
       r.id, r.survey_share, {report_fields},
       CASE WHEN ch.key IN ({amount_keys}) THEN
         (SELECT SUM(d.amount) FROM ({in_force}) d WHERE d.application_id = ch.application_id) END
FROM changes ch
LEFT JOIN {report} r ON ch.key = 'carried_out' AND r.application_id = ch.application_id AND r.outcome = %s
WHERE ch.key <> ''
"""


def _status_change_rows_sql(fund_ids, period: Period, in_force) -> list[tuple]:
    if not fund_ids:
        return []
    keys, key_params = [], []
    for key, (from_status, to_status) in TRANSITIONS.items():
        if from_status is None:
            keys.append("WHEN e.to_status = %s THEN %s")
            key_params += [to_status, key]
        else:
            keys.append("WHEN e.to_status = %s AND e.from_status = %s THEN %s")
            key_params += [to_status, from_status, key]
    to_statuses = sorted({to_status for _from_status, to_status in TRANSITIONS.values()})
    partners, partner_params = collaboration_ids().order_by().query.sql_with_params()
    decisions, decision_params = in_force.order_by().values("application_id", "amount").query.sql_with_params()
    sql = STATUS_CHANGES_SQL.format(
        key=f"CASE {' '.join(keys)} ELSE '' END", call=Call._meta.db_table, application=Application._meta.db_table,
        event=Event._meta.db_table, report=FinalReport._meta.db_table, funds=", ".join(["%s"] * len(fund_ids)),
        to_statuses=", ".join(["%s"] * len(to_statuses)), partners=partners,
        report_fields=", ".join(f"r.{field}" for field in REPORT_SUMS.values()),
        amount_keys=", ".join(["%s"] * len(AMOUNT_KEYS)), in_force=decisions)
    params = [*key_params, settings.TIME_ZONE, *fund_ids, period.start, period.cutoff, *to_statuses,
              *partner_params, *AMOUNT_KEYS, *decision_params, FinalReport.Outcome.APPROVED.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _status_change_rows_orm(fund_ids, period: Period, in_force):
    to_statuses = {to_status for _from_status, to_status in TRANSITIONS.values()}
    events = (Event.objects.filter(application__call__fund_id__in=fund_ids, to_status__in=to_statuses,
                                   created_at__gte=period.start, created_at__lt=period.cutoff)
              .annotate(key=_transition_key()).filter(key__in=tuple(TRANSITIONS))
              .annotate(month=ExtractMonth("created_at", tzinfo=local_tz()),
                        partner=_flag(Q(to_status=S.CARRIED_OUT) & Q(application__in=collaboration_ids())),
                        report=FilteredRelation("application__final_reports", condition=Q(
                            application__final_reports__outcome=FinalReport.Outcome.APPROVED))))
    report_fields = ["report__pk", "report__survey_share", *(f"report__{name}" for name in REPORT_SUMS.values())]
    granted = (in_force.filter(application_id=OuterRef("application_id")).order_by().values("application_id")
               .annotate(total=Sum("amount")).values("total"))
    events = events.annotate(amount=Case(When(key__in=AMOUNT_KEYS, then=Subquery(granted)), default=Value(None),
                                         output_field=DecimalField()))
    fields = ["application__call__fund_id", "key", "application_id", "month", "partner", *report_fields, "amount"]
    return events.values_list(*fields).order_by().distinct()
