"""Who holds each application's open human step (grants.Application.step_holder), kept by PostgreSQL (migration
workflows 0005): always what the open human tasks say, after every kind of task change (a process started, a step
taken, released, given to another, done, cancelled and revived, a process cancelled, its tasks and process
deleted, tasks written straight to the table, several open steps held by different people), after seeded random
histories of them, when two transactions change steps of one application at once, and after a rebuild of what
was written with the triggers off (as the load generator writes); a value written into the column by anything else never stays. The case
list's assignee filter (workflows.overview._held) then answers as the semi-join on the tasks does. SQLite keeps
nothing: its filter is the semi-join itself (tests/test_overview.py)."""

import contextlib
import random
import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from accounts.models import User
from common.errors import NotAllowed
from grants.models import Application
from tests.factories import ApplicationFactory, UserFactory
from tests.flow_helpers import all_points, check_pass, submit
from workflows import overview, services
from workflows.flows import ApplicationFlow
from workflows.models import ApplicationProcess
from workflows.services.step_holders import step_holders_rebuild

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the holders are kept on PostgreSQL")]

NOBODY, SEVERAL = Application.STEP_HOLDER_NOBODY, Application.STEP_HOLDER_SEVERAL
OPEN = [STATUS.NEW, STATUS.ASSIGNED]


def recomputed() -> dict:
    """What every application's kept holder must be, from its open human tasks (in Python)."""
    keys = defaultdict(set)
    tasks = Task.objects.filter(status__in=OPEN, flow_task_type="HUMAN")
    for application_id, owner_id in tasks.values_list("process__applicationprocess__application_id", "owner_id"):
        keys[application_id].add(owner_id or NOBODY)
    holders = {}
    for pk in Application.objects.values_list("pk", flat=True):
        held = keys.get(pk, set())
        holders[pk] = None if not held else next(iter(held)) if len(held) == 1 else SEVERAL
    return holders


def kept() -> dict:
    return dict(Application.objects.values_list("pk", "step_holder"))


def asked(user_id):
    """The applications one of whose open human tasks `user_id` holds (None: nobody): the semi-join on the tasks,
    as the filter was before the holder was kept."""
    tasks = Task.objects.filter(status__in=OPEN, flow_task_type="HUMAN",
                                process__applicationprocess__application=OuterRef("pk"))
    tasks = tasks.filter(owner__isnull=True) if user_id is None else tasks.filter(owner_id=user_id)
    return set(Application.objects.filter(Exists(tasks)).values_list("pk", flat=True))


def filtered(assignee, user) -> set:
    queryset = overview.overview_filter(Application.objects.all(), data={"assignee": assignee}, user=user)
    return set(queryset.values_list("pk", flat=True))


def assert_exact(people):
    """The kept holders are the tasks' holders, and the case list's filter finds, for nobody, "me" and each
    person, the applications the tasks say."""
    assert kept() == recomputed()
    assert filtered(overview.ASSIGNEE_NONE, people[0]) == asked(None)
    for person in people:
        assert filtered(overview.ASSIGNEE_ME, person) == asked(person.pk)
        assert filtered(str(person.pk), people[0]) == asked(person.pk)


@pytest.fixture
def people(applicant, case_officer, secretary):
    colleague = UserFactory(role=roles.CASE_OFFICER, full_name="Kim Kollega")
    return [case_officer, secretary, colleague, applicant]


def submitted(applicant, organisation, call, title="Språkcafé"):
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant, title=title)
    submit(application, applicant)
    application.refresh_from_db()
    return application


def open_human(application):
    return list(Task.objects.filter(process__applicationprocess__application=application, status__in=OPEN,
                                    flow_task_type="HUMAN").order_by("pk"))


def activation(task):
    return task.flow_task.activation_class(task)


def test_each_kind_of_task_change_keeps_the_holder(applicant, organisation, call, people):
    officer, _secretary, colleague = people[:3]
    # a draft has no step; submitting starts the process: the ex-ante check waits, taken by nobody
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
    assert kept()[application.pk] is None
    submit(application, applicant)
    assert kept()[application.pk] == NOBODY
    assert_exact(people)
    [task] = open_human(application)
    # taken, released, taken, given to another
    services.task_claim(task_pk=task.pk, user=officer)
    assert kept()[application.pk] == officer.pk
    services.task_release(task_pk=task.pk, user=officer)
    assert kept()[application.pk] == NOBODY
    services.task_claim(task_pk=task.pk, user=officer)
    with transaction.atomic():
        activation(Task.objects.get(pk=task.pk)).reassign(user=colleague)
    assert kept()[application.pk] == colleague.pk
    assert_exact(people)
    # done, asking the applicant to complete: the applicant's step is assigned to the one who submitted
    services.exante_check_record(task_pk=task.pk, user=colleague, outcome="completion",
                                 results=all_points(application), comment="Mål.", completion_fields=["goals"],
                                 completion_deadline=timezone.localdate() + timedelta(days=7))
    assert kept()[application.pk] == applicant.pk
    [completion] = open_human(application)
    services.completion_submit(task_pk=completion.pk, user=applicant, changes={"goals": "Mätbara mål."})
    assert kept()[application.pk] == NOBODY
    # done, on to the review (a step of no person: not a human task)
    check_pass(application, officer)
    assert kept()[application.pk] is None
    assert_exact(people)

    # cancelled and revived (viewflow's manager actions)
    other = submitted(applicant, organisation, call, "Läxhjälp")
    [task] = open_human(other)
    services.task_claim(task_pk=task.pk, user=colleague)
    with transaction.atomic():
        activation(Task.objects.get(pk=task.pk)).cancel()
    assert kept()[other.pk] is None
    with transaction.atomic():
        activation(Task.objects.get(pk=task.pk)).revive()
    assert kept()[other.pk] == NOBODY
    assert_exact(people)

    # the process cancelled: the applicant withdraws
    withdrawn = submitted(applicant, organisation, call, "Dans")
    services.task_claim(task_pk=open_human(withdrawn)[0].pk, user=officer)
    assert kept()[withdrawn.pk] == officer.pk
    services.application_withdraw(application_id=withdrawn.pk, user=applicant)
    assert kept()[withdrawn.pk] is None
    assert_exact(people)


def test_several_open_steps_held_by_different_people(applicant, organisation, call, people):
    officer, secretary = people[:2]
    application = submitted(applicant, organisation, call)
    [task] = open_human(application)
    services.task_claim(task_pk=task.pk, user=officer)
    # given: a second open human step in the same process (as viewflow's revive can leave), not taken
    second = Task.objects.create(process=task.process, flow_task=ApplicationFlow.exante_check, flow_task_type="HUMAN",
                                 status=STATUS.NEW, owner_permission="grants.check_application")
    assert kept()[application.pk] == SEVERAL
    assert filtered(overview.ASSIGNEE_ME, officer) == {application.pk} == filtered(overview.ASSIGNEE_NONE, officer)
    assert filtered(overview.ASSIGNEE_ME, secretary) == set()
    assert_exact(people)
    # when: both held by the same person, then one of them done
    services.task_claim(task_pk=second.pk, user=officer)
    assert kept()[application.pk] == officer.pk
    services.task_release(task_pk=task.pk, user=officer)
    assert kept()[application.pk] == SEVERAL
    Task.objects.filter(pk=second.pk).update(status=STATUS.DONE, finished=timezone.now())
    assert kept()[application.pk] == NOBODY
    assert_exact(people)


def test_writes_straight_to_the_tables_keep_the_holder(applicant, organisation, call, people):
    officer, secretary = people[:2]
    first, second = submitted(applicant, organisation, call, "A"), submitted(applicant, organisation, call, "B")
    tasks = [open_human(first)[0], open_human(second)[0]]
    # one statement changing tasks of two processes
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(owner=secretary, status=STATUS.ASSIGNED)
    assert (kept()[first.pk], kept()[second.pk]) == (secretary.pk, secretary.pk)
    # a task moved to another process
    Task.objects.filter(pk=tasks[0].pk).update(process=tasks[1].process)
    assert (kept()[first.pk], kept()[second.pk]) == (None, secretary.pk)
    # an update changing nothing that counts, and a task no longer human
    Task.objects.filter(pk=tasks[1].pk).update(assigned=timezone.now())
    Task.objects.filter(pk=tasks[0].pk).update(flow_task_type="FUNCTION")
    assert_exact(people)
    # a value written into the column, by an update or by a model saved whole after a change, never stays
    Application.objects.filter(pk=second.pk).update(step_holder=officer.pk)
    assert kept()[second.pk] == secretary.pk
    stale = Application.objects.get(pk=first.pk)
    services.task_claim(task_pk=Task.objects.create(
        process=ApplicationProcess.objects.get(application=first), flow_task=ApplicationFlow.exante_check,
        flow_task_type="HUMAN", status=STATUS.NEW, owner_permission="grants.check_application").pk, user=officer)
    assert kept()[first.pk] == officer.pk and stale.step_holder is None
    stale.title = "Nytt namn"
    stale.save()
    assert kept()[first.pk] == officer.pk
    # the tasks deleted, then the process, then the application (its records first)
    process = ApplicationProcess.objects.get(application=second)
    Task.objects.filter(process=process).delete()
    assert kept()[second.pk] is None
    assert_exact(people)
    Task.objects.create(process=process, flow_task=ApplicationFlow.exante_check, flow_task_type="HUMAN",
                        status=STATUS.NEW, owner_permission="grants.check_application")
    assert kept()[second.pk] == NOBODY
    with connection.cursor() as cursor:  # the process row first, its tasks after (the keys are checked at COMMIT)
        cursor.execute("DELETE FROM workflows_applicationprocess WHERE process_ptr_id = %s", [process.pk])
    assert kept()[second.pk] is None
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO workflows_applicationprocess (process_ptr_id, application_id) VALUES (%s, %s)",
                       [process.pk, second.pk])
    assert kept()[second.pk] == NOBODY
    assert_exact(people)
    draft = ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
    Application.objects.filter(pk=draft.pk).delete()
    assert_exact(people)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_holders_equal_the_tasks_after_random_histories(applicant, organisation, call, people, seed):
    rng = random.Random(seed)
    staff = people[:3]
    applications = [submitted(applicant, organisation, call, f"Ansökan {n}") for n in range(4)]
    seen = set()
    for _step in range(50):
        application = rng.choice(applications)
        tasks = open_human(application)
        action = rng.choice(["claim", "release", "reassign", "check", "complete", "cancel_revive", "second",
                             "withdraw", "raw", "new"])
        # when: one change of a random kind, where it applies (a service may refuse it: then nothing changed)
        with contextlib.suppress(NotAllowed):
            change(action, application, tasks, applications, rng, staff, applicant, organisation, call)
        application.refresh_from_db()
        # then
        assert kept() == recomputed(), (seed, _step, action)
        seen |= set(kept().values())
    assert_exact(people)
    # and the history went through every kind of holder: none, nobody, a person, several
    assert {None, NOBODY, SEVERAL} < seen


def change(action, application, tasks, applications, rng, staff, applicant, organisation, call):
    """One change of the kind `action` to `application` (whose open human tasks are `tasks`), where it applies."""
    if action == "new":
        applications.append(submitted(applicant, organisation, call, f"Ny {len(applications)}"))
    elif not tasks:
        return
    elif action == "claim" and tasks[0].status == STATUS.NEW:
        services.task_claim(task_pk=tasks[0].pk, user=rng.choice(staff))
    elif action == "release" and tasks[0].status == STATUS.ASSIGNED and tasks[0].owner_permission and tasks[0].owner:
        services.task_release(task_pk=tasks[0].pk, user=tasks[0].owner)
    elif action == "reassign" and tasks[0].status == STATUS.ASSIGNED:
        with transaction.atomic():
            activation(tasks[0]).reassign(user=rng.choice(staff))
    elif action == "check" and len(tasks) == 1 and tasks[0].flow_task == ApplicationFlow.exante_check:
        outcome = rng.choice(["pass", "completion"])
        services.exante_check_record(task_pk=tasks[0].pk, user=staff[0], outcome=outcome,
                                     results=all_points(application), comment="Mål.",
                                     completion_fields=["goals"] if outcome == "completion" else (),
                                     completion_deadline=timezone.localdate() + timedelta(days=7))
    elif action == "complete" and len(tasks) == 1 and tasks[0].flow_task == ApplicationFlow.completion:
        services.completion_submit(task_pk=tasks[0].pk, user=applicant, changes={"goals": "Mätbara mål."})
    elif action == "cancel_revive":
        with transaction.atomic():
            activation(tasks[-1]).cancel()
        if rng.random() < 0.5:
            with transaction.atomic():
                activation(Task.objects.get(pk=tasks[-1].pk)).revive()
    elif action == "second" and len(tasks) == 1:
        Task.objects.create(process=tasks[0].process, flow_task=ApplicationFlow.exante_check, flow_task_type="HUMAN",
                            status=STATUS.ASSIGNED, owner=rng.choice(staff),
                            owner_permission="grants.check_application")
    elif action == "withdraw" and application.status in services.WITHDRAWABLE:
        services.application_withdraw(application_id=application.pk, user=applicant)
    elif action == "raw":
        Task.objects.filter(pk=rng.choice(tasks).pk).update(owner=rng.choice([None, *staff]))


def test_a_rebuild_restores_what_writes_without_triggers_missed(applicant, organisation, call, people):
    officer = people[0]
    applications = [submitted(applicant, organisation, call, title) for title in ("A", "B")]
    # given: writes with the triggers off (as the load generator writes)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        Task.objects.filter(process__applicationprocess__application=applications[0]).update(
            owner=officer, status=STATUS.ASSIGNED)
        Application.objects.filter(pk=applications[1].pk).update(step_holder=None)
        cursor.execute("SET LOCAL session_replication_role = origin")  # (the test's transaction goes on)
    assert kept() != recomputed()
    # when
    step_holders_rebuild()
    # then
    assert kept() == recomputed() and kept()[applications[0].pk] == officer.pk
    assert_exact(people)
    # and emptying the tasks leaves no holder
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE viewflow_task CASCADE")
        assert set(kept().values()) == {None}
        transaction.set_rollback(True)


def test_the_load_generator_leaves_exact_holders():
    from django.core.management import call_command

    # given: a history written in bulk with the triggers off (generate_load as the PostgreSQL superuser)
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    # then: every application's holder is what its tasks say, and the demo staff hold some
    holders = kept()
    assert holders == recomputed()
    staff = list(User.objects.filter(email__in=["handlaggare@example.org", "sekreterare@example.org"]))
    assert len(staff) == 2 and {NOBODY, *(person.pk for person in staff)} <= set(holders.values())
    assert_exact(staff)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_changing_steps_of_one_application_at_once_leave_it_exact(applicant, organisation, call,
                                                                                   case_officer):
    # given: an application with two open steps, both held by the case officer
    application = submitted(applicant, organisation, call)
    [first] = open_human(application)
    Task.objects.filter(pk=first.pk).update(owner=case_officer, status=STATUS.ASSIGNED)
    second = Task.objects.create(process=first.process, flow_task=ApplicationFlow.exante_check,
                                 flow_task_type="HUMAN", status=STATUS.ASSIGNED, owner=case_officer,
                                 owner_permission="grants.check_application")
    assert kept()[application.pk] == case_officer.pk
    released, commit, waiting_pid = threading.Event(), threading.Event(), []

    def release_first():
        try:
            with transaction.atomic():
                Task.objects.filter(pk=first.pk).update(owner=None, status=STATUS.NEW)
                released.set()
                assert commit.wait(timeout=30)
        finally:
            connections.close_all()

    def release_second():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    waiting_pid.append(cursor.fetchone()[0])
                Task.objects.filter(pk=second.pk).update(owner=None, status=STATUS.NEW)
        finally:
            connections.close_all()

    # when: one transaction releases the first step and stays open; another releases the second and waits for it
    threads = [threading.Thread(target=release_first), threading.Thread(target=release_second)]
    threads[0].start()
    assert released.wait(timeout=30)
    threads[1].start()
    try:
        with connection.cursor() as cursor:
            for _poll in range(3000):
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", waiting_pid or [0])
                row = cursor.fetchone()
                if row and row[0] == "Lock":
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the second transaction never waited for the first")
    finally:
        commit.set()
        for thread in threads:
            thread.join()
    # then: the second computed with the first's change: nobody holds either step
    assert kept()[application.pk] == NOBODY == recomputed()[application.pk]
