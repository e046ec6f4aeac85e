"""Review races and lock failures against PostgreSQL (SQLite has no row locks, so these run only there)."""

import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.lock import SelectForUpdateLock

from grants.models import Application, Decision, Event
from notifications.models import OutboxMessage
from reviewers import services
from workflows import services as flow_services
from reviewers.models import Assignment, Review
from tests.factories import ApplicationFactory, UserFactory
from tests.flow_helpers import check_pass, submit, to_stage
from tests.threads import run_together
from workflows.flows import ApplicationFlow
from workflows.models import ApplicationProcess

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"),
]

LOCKED = "Someone else is working on this case right now. Try again in a moment."


def in_review(application, applicant, officer):
    submit(application, applicant)
    check_pass(application, officer)
    return list(Assignment.objects.filter(application=application).order_by("pk"))


def with_pool(call, reviewers, per_application):
    review_settings = services.settings_for_fund(call.fund)
    review_settings.reviewers.set(reviewers)
    review_settings.reviewers_per_application = per_application
    review_settings.save()


def scores(assignment, score, comment):
    return {c.pk: (score, False, comment) for c in assignment.rubric.criteria.all()}


def test_two_concurrent_first_saves_of_one_review_one_wins_the_other_gets_a_conflict(draft, applicant,
                                                                                    case_officer, call):
    # given: a reviewer who has declared, no draft yet, and two tabs opened on version 0
    reviewers = [UserFactory(role="reviewer") for _ in range(2)]
    with_pool(call, reviewers, 2)
    first, _second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)

    # when: both tabs save at the same instant
    def save(i):
        return flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=0,
                                    scores=scores(first, i + 1, f"flik {i}"), summary=f"Flik {i}")

    results = run_together(2, save)

    # then: one saved, the other refused with a conflict, and the saved one is whole
    saved = [r for r in results if isinstance(r, Review)]
    refused = [r for r in results if isinstance(r, services.ReviewConflict)]
    assert (len(saved), len(refused)) == (1, 1), results
    winner = results.index(saved[0])
    review = Review.objects.get(assignment=first)
    assert (review.version, review.summary) == (1, f"Flik {winner}")
    assert set(review.scores.values_list("score", "comment")) == {(winner + 1, f"flik {winner}")}


def test_two_concurrent_first_saves_over_http_one_302_one_409(draft, applicant, case_officer, call):
    reviewers = [UserFactory(role="reviewer") for _ in range(2)]
    with_pool(call, reviewers, 2)
    first, _second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    url = reverse("reviewers:assignment", args=[first.pk])
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(first.reviewer)
    criteria = list(first.rubric.criteria.all())

    def post(i):
        data = {"version": "0", "save": "1", "summary": f"Flik {i}"}
        data.update({f"score_{c.pk}": str(i + 2) for c in criteria})
        response = clients[i].post(url, data)
        return response.status_code, response.content.decode()

    results = run_together(2, post)

    assert sorted(status for status, _page in results) == [302, 409], results
    winner = [status for status, _page in results].index(302)
    loser_page = results[1 - winner][1]
    assert f"Flik {1 - winner}" in loser_page  # the refused tab's text is still there to copy
    review = Review.objects.get(assignment=first)
    assert (review.version, review.summary) == (1, f"Flik {winner}")
    assert set(review.scores.values_list("score", flat=True)) == {winner + 2}


def test_asking_a_reviewer_by_hand_while_a_conflict_replaces_automatically_never_duplicates(applicant,
                                                                                          organisation,
                                                                                          case_officer, call):
    reviewers = [UserFactory(role="reviewer") for _ in range(3)]
    with_pool(call, reviewers, 2)
    for _round in range(3):
        application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
        first, _second = in_review(application, applicant, case_officer)
        third = next(r for r in reviewers if not application.assignments.filter(reviewer=r).exists())

        def work(i):
            if i == 0:  # the automatic replacement would pick the third reviewer
                return flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=True,
                                                   reason="Jäv")
            return flow_services.assignment_add(application_id=application.pk, reviewer=third, user=case_officer)

        results = run_together(2, work)

        assert [type(r) for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)] == []
        assert isinstance(results[0], Assignment)
        assert Assignment.objects.filter(application=application, reviewer=third).count() == 1
        # cleanup for the next round: the pool is shared
        Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
        application.assignments.filter(status__in=Assignment.OPEN).update(status=Assignment.Status.REMOVED)


@pytest.fixture
def one_try_lock(monkeypatch):
    """The flow's real row lock (SELECT … FOR UPDATE NOWAIT), tried once instead of five times with
    back-off, so a held lock fails at once instead of after 6–10 seconds."""
    monkeypatch.setattr(ApplicationFlow, "lock_impl", SelectForUpdateLock(attempts=1))


def hold_process_locks(process_pks):
    """Another connection holds the processes' row locks until `release` is set."""
    ready, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                model = ApplicationFlow.process_class._default_manager
                list(model.select_for_update().filter(pk__in=process_pks))
                ready.set()
                release.wait(60)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert ready.wait(10)
    return release, thread


def test_a_held_process_lock_gives_a_clear_try_again_on_every_review_action(client, draft, applicant, organisation,
                                                                           case_officer, reviewer, secretary, call,
                                                                           one_try_lock):
    from decimal import Decimal

    # given: a granted application (for the decision correction), and one under review where one reviewer
    # has submitted and the other has still to declare
    with_pool(call, [reviewer], 1)
    granted = ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
    to_stage(granted, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    other = UserFactory(role="reviewer")
    with_pool(call, [reviewer, other], 2)
    mine, theirs = sorted(in_review(draft, applicant, case_officer), key=lambda a: a.reviewer_id != reviewer.pk)
    flow_services.assignment_declare(assignment_id=mine.pk, user=reviewer, conflict=False)
    flow_services.review_save(assignment_id=mine.pk, user=reviewer, version=0, scores=scores(mine, 4, ""),
                         recommendation="grant", submit=True)
    newcomer = UserFactory(role="reviewer")
    processes = list(ApplicationProcess.objects.filter(application__in=[draft, granted]).values_list("pk", flat=True))
    before = (Event.objects.count(), OutboxMessage.objects.count(), Decision.objects.count(),
              sorted(Assignment.objects.values_list("pk", "status", "deadline")))
    locked = _(LOCKED)

    release, thread = hold_process_locks(processes)
    try:
        # when: each review action runs while someone else holds the case's lock
        client.force_login(reviewer)
        change = client.post(reverse("reviewers:assignment", args=[mine.pk]), {
            "version": "1", "submit": "1", "recommendation": "reject",
            **{f"score_{c.pk}": "1" for c in mine.rubric.criteria.all()}})
        client.force_login(other)
        declare = client.post(reverse("reviewers:assignment", args=[theirs.pk]), {"conflict": "no", "reason": ""})
        client.force_login(case_officer)
        add = client.post(reverse("reviewers:case_reviews", args=[draft.pk]), {"reviewer": newcomer.pk})
        deadline = client.post(reverse("reviewers:assignment_deadline", args=[draft.pk, theirs.pk]),
                               {"deadline": "2099-01-01"})
        close = client.post(reverse("reviewers:review_close", args=[draft.pk]))
        client.force_login(secretary)
        correct = client.post(reverse("grants:decision_correct", args=[granted.pk]), {
            "amount": "10000", "conditions": "", "motivation": "Rättelse."})
    finally:
        release.set()
        thread.join()

    # then: a page with the message, never a 500, and nothing changed
    for response in (change, declare, add, deadline, correct):
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [locked]
    assert close.status_code == 302
    assert [str(m) for m in get_messages(close.wsgi_request)] == [locked]
    draft.refresh_from_db()
    assert draft.status == Application.Status.REVIEW
    assert Review.objects.get(assignment=mine).recommendation == "grant"
    assert (Event.objects.count(), OutboxMessage.objects.count(), Decision.objects.count(),
            sorted(Assignment.objects.values_list("pk", "status", "deadline"))) == before
    assert granted.decisions.get().amount == Decimal("15000")
    # and: once the lock is free the same close goes through
    client.force_login(case_officer)
    assert client.post(reverse("reviewers:review_close", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Application.Status.DECISION


def test_a_held_process_lock_gives_a_clear_try_again_on_approving_a_correction_and_ending_a_grant(
        client, applicant, organisation, case_officer, reviewer, secretary, call, one_try_lock):
    from decimal import Decimal

    from workflows import services as workflow_services

    # given: a grant in a fund where more than 10 000 needs two secretaries, and a pending correction to 18 000
    call.fund.four_eyes_above = Decimal("10000")
    call.fund.save()
    with_pool(call, [reviewer], 1)
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("20000"))
    task = to_stage(application, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    workflow_services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("10000"),
                                      motivation="Delar av budgeten är för höga.")
    pending = workflow_services.decision_correct(application_id=application.pk, user=secretary, amount=Decimal("18000"),
                                      conditions="", motivation="Lokalhyran glömdes.")
    assert pending.status == Decision.Status.PENDING
    colleague = UserFactory(role="secretary")
    process = ApplicationProcess.objects.get(application=application)
    before = (Event.objects.count(), OutboxMessage.objects.count(),
              sorted(Decision.objects.values_list("pk", "status")))
    locked = _(LOCKED)

    release, thread = hold_process_locks([process.pk])
    try:
        # when: the colleague approves, and the secretary ends the grant, while someone holds the case's lock
        client.force_login(colleague)
        approve = client.post(reverse("grants:correction_approval", args=[application.pk, pending.pk]),
                              {"approve": "yes", "comment": "OK"})
        client.force_login(secretary)
        end = client.post(reverse("grants:grant_end", args=[application.pk]),
                          {"reason": "Föreningen lades ner.", "accepted_costs": ""})
    finally:
        release.set()
        thread.join()

    # then: a page with the message, never a 500, and nothing changed
    for response in (approve, end):
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [locked]
    application.refresh_from_db()
    assert application.status == Application.Status.GRANTED
    assert (Event.objects.count(), OutboxMessage.objects.count(),
            sorted(Decision.objects.values_list("pk", "status"))) == before


def test_lock_contention_on_a_decision_correction_is_a_translated_message_not_a_500(
        applicant, organisation, case_officer, reviewer, secretary, call, one_try_lock):
    """decision_correct and correction_approval_record take the case's lock through workflows.locks: when
    someone else holds it, the service itself answers NotAllowed with the translated "try again" (before, the
    FlowLockFailed escaped the service and only the view turned it into a message)."""
    from decimal import Decimal

    from django.utils import translation

    from common.errors import NotAllowed

    # given: a grant of 10 000 in a fund where more than 10 000 needs two secretaries, a correction to 18 000
    # waiting for a colleague, and someone else holding the case's lock
    call.fund.four_eyes_above = Decimal("10000")
    call.fund.save()
    with_pool(call, [reviewer], 1)
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("20000"))
    task = to_stage(application, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    flow_services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("10000"),
                                  motivation="Delar av budgeten är för höga.")
    pending = flow_services.decision_correct(application_id=application.pk, user=secretary,
                                             amount=Decimal("18000"), conditions="", motivation="Lokalhyran glömdes.")
    colleague = UserFactory(role="secretary")
    before = (Event.objects.count(), OutboxMessage.objects.count(),
              sorted(Decision.objects.values_list("pk", "status", "amount")))
    release, thread = hold_process_locks([ApplicationProcess.objects.get(application=application).pk])
    try:
        # when: a second correction and the colleague's approval run while the lock is held, in Swedish
        with translation.override("sv"):
            with pytest.raises(NotAllowed) as correcting:
                flow_services.decision_correct(application_id=application.pk, user=secretary,
                                               amount=Decimal("12000"), conditions="", motivation="Ny rättelse.")
            with pytest.raises(NotAllowed) as approving:
                flow_services.correction_approval_record(decision_id=pending.pk, user=colleague, approve=True)
            swedish = _(LOCKED)
    finally:
        release.set()
        thread.join()

    # then: both say "try again" in the person's language, and nothing changed
    assert swedish != LOCKED
    assert correcting.value.message == approving.value.message == swedish
    assert (Event.objects.count(), OutboxMessage.objects.count(),
            sorted(Decision.objects.values_list("pk", "status", "amount"))) == before
