"""The counts of applications per call and status that PostgreSQL keeps (grants.models.StageCount, grants 0024):
always the GROUP BY of the applications, after any sequence of writes, folded or not, under concurrent writers,
and without writers waiting for each other. SQLite keeps no counts (the case list counts there)."""

import random
import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.models import Application, Call, StageCount
from grants.selectors import stage_counts_kept
from grants.services.stage_counts import stage_counts_compact, stage_counts_rebuild
from tests.factories import ApplicationFactory, CallFactory, FundYearFactory, OrganisationFactory, UserFactory
from tests.threads import run_together

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the counts are kept on PostgreSQL")

STATUSES = [status.value for status in Application.Status]


def grouped(*, fund=None, call=None) -> dict:
    """What the kept counts must equal: the applications counted now."""
    rows = Application.objects.all()
    if fund is not None:
        rows = rows.filter(call__fund=fund)
    if call is not None:
        rows = rows.filter(call=call)
    return dict(rows.order_by().values_list("status").annotate(n=Count("*")))


def assert_kept_equal_grouped(calls):
    assert stage_counts_kept() == grouped()
    for fund in {call.fund for call in calls}:
        assert stage_counts_kept(fund=fund) == grouped(fund=fund)
    for call in calls:
        assert stage_counts_kept(call=call) == grouped(call=call)
        assert stage_counts_kept(fund=call.fund, call=call) == grouped(call=call)


@pytest.fixture
def calls(db):
    fund_a, fund_b = FundYearFactory().fund, FundYearFactory().fund
    return [CallFactory(fund=fund_a), CallFactory(fund=fund_a), CallFactory(fund=fund_b)]


def applications(calls, count, rng):
    organisation, user = OrganisationFactory(), UserFactory()
    made = [ApplicationFactory(call=rng.choice(calls), organisation=organisation, created_by=user)
            for _ in range(count)]
    Application.objects.filter(pk__in=[a.pk for a in made]).update(submitted_at=timezone.now())
    return made


def built(calls, count, rng, template):
    """Unsaved applications (for bulk_create), submitted, in random calls and statuses."""
    rows = []
    for _ in range(count):
        row = ApplicationFactory.build(call=rng.choice(calls), organisation=template.organisation,
                                       created_by=template.created_by, status=rng.choice(STATUSES),
                                       submitted_at=timezone.now())
        rows.append(row)
    return rows


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_counts_equal_the_group_by_after_random_writes(calls, seed):
    # given: applications in three calls of two funds
    rng = random.Random(seed)
    made = applications(calls, 8, rng)
    assert_kept_equal_grouped(calls)
    for _step in range(40):
        ids = list(Application.objects.values_list("pk", flat=True))
        action = rng.choice(["save", "update", "move", "bulk_create", "delete", "compact", "noop_update"])
        # when: one write of a random kind
        if action == "save":
            application = Application.objects.get(pk=rng.choice(ids))
            application.status = rng.choice(STATUSES)
            application.save(update_fields=["status"])
        elif action == "update":
            Application.objects.filter(pk__in=rng.sample(ids, min(len(ids), 3))).update(status=rng.choice(STATUSES))
        elif action == "move":
            Application.objects.filter(pk__in=rng.sample(ids, min(len(ids), 2))).update(call=rng.choice(calls))
        elif action == "bulk_create":
            Application.objects.bulk_create(built(calls, rng.randint(1, 4), rng, made[0]))
        elif action == "delete" and len(ids) > 2:
            Application.objects.filter(pk=rng.choice(ids)).delete()
        elif action == "compact":
            stage_counts_compact()
        elif action == "noop_update":  # an update that changes no count writes no row
            before = StageCount.objects.count()
            Application.objects.filter(pk__in=ids).update(title="Nytt namn")
            assert StageCount.objects.count() == before
        # then: every kept count is the applications' count
        assert_kept_equal_grouped(calls)
    # and folding leaves one row per (call, status) that has applications, with the same counts
    stage_counts_compact()
    keys = set(Application.objects.values_list("call_id", "status").distinct())
    assert sorted(StageCount.objects.values_list("call_id", "status")) == sorted(keys)
    assert_kept_equal_grouped(calls)


@postgres_only
@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_count(calls):
    made = applications(calls, 3, random.Random(4))
    with pytest.raises(RuntimeError), transaction.atomic():
        Application.objects.filter(pk=made[0].pk).update(status="granted")
        assert stage_counts_kept(call=made[0].call).get("granted") == 1  # the writer sees its own change
        raise RuntimeError
    assert "granted" not in stage_counts_kept()
    assert_kept_equal_grouped(calls)


@postgres_only
@pytest.mark.django_db
def test_truncate_empties_the_counts_and_a_rebuild_restores_what_an_untriggered_write_missed(calls):
    made = applications(calls, 4, random.Random(5))
    # given: a bulk write with the triggers off (as the load generator writes)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        Application.objects.filter(pk=made[0].pk).update(status="rejected")
        cursor.execute("SET LOCAL session_replication_role = origin")  # (the test's transaction goes on)
    assert stage_counts_kept() != grouped()
    # when: rebuilt
    stage_counts_rebuild()
    # then
    assert_kept_equal_grouped(calls)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's deferred key checks first
            cursor.execute("TRUNCATE grants_application CASCADE")
        assert stage_counts_kept() == {} == grouped()
        transaction.set_rollback(True)


@postgres_only
@pytest.mark.django_db
def test_the_case_list_reads_the_kept_counts_unless_a_filter_needs_the_applications(client, calls, case_officer):
    made = applications(calls, 5, random.Random(6))
    Application.objects.filter(pk__in=[a.pk for a in made[:3]]).update(status="review")
    client.force_login(case_officer)
    submitted = {k: v for k, v in grouped().items() if k != "draft"}
    cases = [
        ({}, True, submitted),
        ({"fund": calls[0].fund_id}, True, grouped(fund=calls[0].fund)),
        ({"call": calls[2].pk, "stage": "review"}, True, grouped(call=calls[2])),
        ({"q": "språk"}, False, submitted),  # every factory title is "Språkcafé"
        ({"assignee": "none"}, False, {}),  # no workflow process, no open step
    ]
    for params, kept, expected in cases:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("workflows:case_list"), params)
        counts = {stage["value"]: stage["count"] for stage in response.context["stage_counts"] if stage["count"]}
        assert counts == {k: v for k, v in expected.items() if k != "draft"}, params
        assert any("grants_stagecount" in query["sql"] for query in queries.captured_queries) == kept


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_folds_and_readers_always_agree_with_the_group_by():
    # given: 60 applications in three calls, ten for each of six writers
    fund = FundYearFactory().fund
    calls = [CallFactory(fund=fund) for _ in range(3)]
    rng = random.Random(7)
    made = applications(calls, 60, rng)
    ids = [a.pk for a in made]
    stop = threading.Event()
    disagreements = []

    def write(i):
        local = random.Random(i)
        mine = ids[i * 10:(i + 1) * 10]
        for n in range(25):
            with transaction.atomic():
                for pk in local.sample(mine, 3):
                    Application.objects.filter(pk=pk).update(status=local.choice(STATUSES),
                                                             call=local.choice(calls))
                if n % 5 == 4:
                    transaction.set_rollback(True)  # some changes never commit
        return "written"

    def fold(_i):
        folds = 0
        while not stop.is_set():
            stage_counts_compact()
            folds += 1
        return folds

    def read(_i):
        reads = 0
        while not stop.is_set():
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                kept, counted = stage_counts_kept(), grouped()  # one snapshot for both
                if kept != counted:
                    disagreements.append((kept, counted))
            reads += 1
        return reads

    def work(i):
        try:
            if i < 6:
                return write(i)
            return fold(i) if i == 6 else read(i)
        finally:
            if i < 6:
                with lock:
                    finished.append(i)
                    if len(finished) == 6:
                        stop.set()

    lock, finished = threading.Lock(), []
    # when: six writers, a folder and a reader run together
    results = run_together(8, work)

    # then: nothing failed (no deadlock, no serialization error), folds and reads happened, every read agreed
    assert results[:6] == ["written"] * 6, results
    assert all(isinstance(r, int) and r > 0 for r in results[6:]), results
    assert disagreements == []
    assert stage_counts_kept() == grouped()
    stage_counts_compact()
    assert stage_counts_kept() == grouped()


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_never_waits_for_another_writer_of_the_same_count_nor_for_a_fold():
    # given: two applications in the same call and status; one transaction changes the first and stays open
    call = CallFactory(fund=FundYearFactory().fund)
    first, second = applications([call], 2, random.Random(8))
    changed, finished = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                Application.objects.filter(pk=first.pk).update(status="review")
                changed.set()
                finished.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert changed.wait(timeout=30)
        # when: another transaction changes the second (the same (call, status) counts) and a fold runs,
        # each allowed to wait for a lock at most one second
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            Application.objects.filter(pk=second.pk).update(status="review")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            stage_counts_compact()
        # then: both went through while the first is still open, which the counts do not show yet
        assert stage_counts_kept(call=call).get("review") == 1
    finally:
        finished.set()
        thread.join()
    assert stage_counts_kept(call=call).get("review") == 2 == grouped(call=call)["review"]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL keeps the counts")
def test_without_postgresql_no_counts_are_kept_and_the_case_list_counts(client, calls, case_officer):
    applications(calls, 2, random.Random(9))
    Application.objects.update(status="review")
    assert stage_counts_kept() is None
    assert stage_counts_compact() == 0
    client.force_login(case_officer)
    response = client.get(reverse("workflows:case_list"))
    assert {stage["value"]: stage["count"] for stage in response.context["stage_counts"] if stage["count"]} == {
        "review": 2}


@postgres_only
@pytest.mark.django_db
def test_the_load_generator_leaves_exact_counts(db):
    from django.core.management import call_command

    # given: a history written in bulk with the triggers off (generate_load as the PostgreSQL superuser)
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    # then: the kept counts are those of the applications written
    assert sum(stage_counts_kept().values()) == Application.objects.count() >= 100
    assert_kept_equal_grouped(list(Call.objects.select_related("fund")))
