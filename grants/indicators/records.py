"""The records behind the indicators: which status changes, decisions and ledger entries count, as
queryset pieces shared by the computation and the dashboard's drill-down to the cases behind a count."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from grants.indicators.definitions import S, TRANSITIONS, Period, today
from grants.models import Application, Decision, Event, Partner


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
