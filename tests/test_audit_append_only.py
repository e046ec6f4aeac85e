"""The audit trail is append-only: events, ledger entries and budget changes never change and are never
deleted; a decision's content never changes. Refused by the models (single rows and bulk QuerySet writes)
and by the database itself (triggers, migration 0010), on PostgreSQL and SQLite."""

import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.formatting import money
from grants.services import ledger
from grants.models import BudgetChange, Decision, Event, LedgerEntry, Payment
from notifications.models import OutboxMessage
from tests.flow_helpers import to_stage
from workflows import services

pytestmark = pytest.mark.django_db

REFUSED_BY_TRIGGER = "append-only|a decision cannot be"  # the triggers' messages, not some other constraint

AUDIT_MODELS = [Event, LedgerEntry, BudgetChange, Decision]


@pytest.fixture
def granted_case(draft, applicant, case_officer, reviewer, secretary, fund_year):
    """A granted case with a paid advance and a changed budget: rows in every audit table."""
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    advance = Payment.objects.get(application=draft, kind=Payment.Kind.ADVANCE)
    ledger.payment_mark_paid(payment_id=advance.pk, user=secretary, paid_on=timezone.localdate())
    ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=secretary, new_budget=Decimal("120000"),
                                   reason="Regionen skjuter till medel.")
    return draft


def snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in AUDIT_MODELS} | {
        "outbox": OutboxMessage.objects.count()}


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_case_has_rows_in_every_audit_table(granted_case):
    counts = {model.__name__: model.objects.count() for model in AUDIT_MODELS if model is not Event}
    assert counts == {"LedgerEntry": 2, "BudgetChange": 1, "Decision": 1}
    assert Event.objects.filter(kind=Event.Kind.PAYMENT_PAID).count() == 1


@pytest.mark.parametrize("model, changes", [
    (Event, {"message": "ändrad"}),
    (LedgerEntry, {"amount": Decimal("1")}),
    (LedgerEntry, {"created_at": timezone.now()}),
    (BudgetChange, {"new_budget": Decimal("999999")}),
    (Decision, {"amount": Decimal("1")}),
    (Decision, {"motivation": "ändrad"}),
])
def test_a_bulk_update_is_refused_and_changes_nothing(granted_case, model, changes):
    # given
    before = snapshot()
    # when / then
    with pytest.raises(ValidationError):
        model.objects.all().update(**changes)
    with pytest.raises(ValidationError), transaction.atomic():
        model.objects.bulk_update([model.objects.first()], fields=list(changes))
    assert snapshot() == before


@pytest.mark.parametrize("model", AUDIT_MODELS)
def test_a_bulk_delete_is_refused_and_changes_nothing(granted_case, model):
    before = snapshot()
    with pytest.raises(ValidationError):
        model.objects.all().delete()
    with pytest.raises(ValidationError):
        model.objects.first().delete()
    assert snapshot() == before


def test_a_saved_budget_change_cannot_be_edited(granted_case):
    change = BudgetChange.objects.get()
    change.reason = "En annan anledning."
    with pytest.raises(ValidationError):
        change.save()
    assert BudgetChange.objects.get().reason == "Regionen skjuter till medel."


@pytest.mark.parametrize("table, assignment", [
    ("grants_event", "message = 'ändrad'"),
    ("grants_event", "actor_id = NULL"),
    ("grants_ledgerentry", "amount = 1"),
    ("grants_ledgerentry", "note = 'ändrad'"),
    ("grants_budgetchange", "reason = 'ändrad'"),
    ("grants_decision", "amount = 1"),
    ("grants_decision", "motivation = 'ändrad'"),
    ("grants_decision", "conditions = 'ändrad'"),
    ("grants_decision", "status = 'pending'"),  # back from effective: not a step of its lifecycle
    ("grants_decision", "letter = 'letters/another.pdf'"),  # the letter is attached once
])
def test_the_database_refuses_an_update_that_bypasses_the_models(granted_case, table, assignment):
    # given
    before = snapshot()
    # when: raw SQL, as a script or a forgotten code path would
    with pytest.raises(IntegrityError, match=REFUSED_BY_TRIGGER), transaction.atomic():
        raw(f"UPDATE {table} SET {assignment}")  # noqa: S608 – fixed test strings
    # then
    assert snapshot() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's flush deletes rows; only PostgreSQL "
                    "refuses DELETE by a trigger (the models and PROTECT refuse it on both)")
@pytest.mark.parametrize("table", ["grants_event", "grants_ledgerentry", "grants_budgetchange", "grants_decision"])
def test_postgresql_refuses_a_delete_that_bypasses_the_models(granted_case, table):
    before = snapshot()
    with pytest.raises(IntegrityError, match=REFUSED_BY_TRIGGER), transaction.atomic():
        raw(f"DELETE FROM {table}")  # noqa: S608 – fixed test strings
    assert snapshot() == before


def test_a_decision_still_moves_along_its_lifecycle(granted_case):
    """What the services do stays allowed: an effective decision is superseded by a correction."""
    decision = Decision.objects.get()
    raw("UPDATE grants_decision SET status = 'superseded' WHERE id = %s", [decision.pk])
    decision.refresh_from_db()
    assert decision.status == Decision.Status.SUPERSEDED
    with pytest.raises(IntegrityError, match=REFUSED_BY_TRIGGER), transaction.atomic():
        raw("UPDATE grants_decision SET status = 'effective' WHERE id = %s", [decision.pk])
    decision.refresh_from_db()
    assert decision.status == Decision.Status.SUPERSEDED


# -- every change of money is in the audit trail -------------------------------------------------------

ADVANCE = Payment.Kind.ADVANCE.label  # messages are written in the language active at the time

def test_a_planned_payment_cancelled_by_the_approved_report_is_in_the_audit_trail(
        draft, applicant, case_officer, reviewer, secretary):
    # given: a grant of 15 000 whose advance was never paid, and a report of 14 000 spent
    task = to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    advance = Payment.objects.get(application=draft, kind=Payment.Kind.ADVANCE)
    # when
    services.report_approval_record(task_pk=task.pk, user=secretary, approve=True)
    # then: the cancellation says who, what and why, next to the final payment that replaces it
    advance.refresh_from_db()
    assert advance.status == Payment.Status.CANCELLED
    cancelled = Event.objects.get(application=draft, kind=Event.Kind.PAYMENT_CANCELLED)
    assert (cancelled.actor, cancelled.visible_to_applicant) == (secretary, True)
    assert cancelled.message == f"{ADVANCE}: {money(15000)}. {gettext('Settled by the approved final report.')}"
    planned = Event.objects.filter(application=draft, kind=Event.Kind.PAYMENT_PLANNED).order_by("pk").last()
    assert planned.pk > cancelled.pk and planned.message == f"{Payment.Kind.FINAL.label}: {money(14000)}"


def test_a_correction_cancels_and_plans_the_advance_anew_in_the_audit_trail(
        draft, applicant, case_officer, reviewer, secretary):
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    services.decision_correct(application_id=draft.pk, user=secretary, amount=Decimal("12000"), conditions="",
                            motivation="Lokalkostnaden utgår.")
    assert list(Event.objects.filter(application=draft, kind__startswith="payment").order_by("pk")
                .values_list("kind", "actor", "message")) == [
        ("payment_planned", secretary.pk, f"{ADVANCE}: {money(15000)}"),
        ("payment_cancelled", secretary.pk,
         f"{ADVANCE}: {money(15000)}. {gettext('Planned anew after the corrected decision.')}"),
        ("payment_planned", secretary.pk, f"{ADVANCE}: {money(12000)}"),
    ]


def test_the_triggers_are_in_place_after_every_migration(db):
    """SQLite drops a table's triggers when a later migration rebuilds the table: this notices. (PostgreSQL also
    has the catalogue's search-vector trigger, catalogue 0002, the indicator change log's, grants 0023, the stage
    counts', grants 0024, and the step holders', workflows 0005.)"""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
        summaries = importlib.import_module("grants.migrations.0023_indicator_summaries")  # the change log's
        expected = sorted(["catalogue_practice_search_vector", "grants_budgetchange_append_only", "grants_decision_guard",
                           "grants_event_append_only", "grants_ledgerentry_append_only",
                           "grants_organisationevent_append_only", *summaries.trigger_names(),
                           # the counts per stage kept for the case list (grants 0024)
                           "grants_stagecount_delete", "grants_stagecount_insert", "grants_stagecount_truncate",
                           "grants_stagecount_update",
                           # who holds each application's open step (workflows 0005): on the application, and the
                           # same four names on viewflow's tasks and on the application processes
                           "workflows_step_holder_insert", "workflows_step_holder_update",
                           *[f"workflows_step_holders_{operation}" for operation in ("delete", "insert", "truncate",
                                                                                    "update") for _table in (1, 2)]])
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        expected = ["grants_budgetchange_no_update", "grants_decision_guard", "grants_event_no_update",
                    "grants_ledgerentry_no_update", "grants_organisationevent_no_update"]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        assert [name for (name,) in cursor.fetchall()] == expected
