"""`python -m bench sweep`: seconds for one reminder sweep over 100,000 open workflow tasks (target < 5 s): the
first run (nothing reminded yet), a second run at once (must write 0), and the next day's run."""

import random
import time
from datetime import timedelta



def say(message: str) -> None:
    print(message, flush=True)


# -- 2. the reminder sweep -----------------------------------------------------------------------

def _seed_open_tasks(tasks: int, now) -> dict:
    """`tasks` applications, each with an open workflow task, spread over the stages and over time; a tenth
    as many drafts in a call that closes in two days; organisations with one contact each."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import STATUS

    from accounts import roles
    from accounts.models import User
    from grants.models import Application, Call, ExAnteCheck, Fund, Membership, Municipality, Organisation
    from reviewers.models import Assignment
    from reviewers.services import rubric_for_fund
    from workflows.flows import ApplicationFlow
    from workflows.services.step_holders import step_holders_rebuild

    from bench.load.base import triggers_off

    rng = random.Random(6)
    today = timezone.localdate(now)
    fund = Fund.objects.create(name="Benchpotten", slug="bench", kind=Fund.Kind.DIALOGPOTT, max_amount=30000,
                               case_prefix="B")
    call = Call.objects.create(fund=fund, title="Bench", budget_year=today.year, opens_at=now - timedelta(days=120),
                               closes_at=now + timedelta(days=2))
    municipality = Municipality.objects.order_by("pk").first()
    organisations_count = max(tasks // 5, 1)

    def staff(role, count):
        group = Group.objects.get(name=role)
        people = User.objects.bulk_create([User(email=f"{role}{n}@bench.example.org", full_name=f"{role} {n}",
                                                password="!") for n in range(count)])
        group.user_set.add(*people)
        return people

    officers, secretaries = staff(roles.CASE_OFFICER, 2), staff(roles.SECRETARY, 2)
    reviewers = staff(roles.REVIEWER, 40)
    contacts = User.objects.bulk_create(
        [User(email=f"kontakt{n}@bench.example.org", full_name=f"Kontakt {n}", password="!",
              language="en" if n % 4 == 0 else "sv") for n in range(organisations_count)], batch_size=5000)
    Group.objects.get(name=roles.APPLICANT).user_set.add(*contacts)
    organisations = Organisation.objects.bulk_create(
        [Organisation(name=f"Förening {n}", org_number=f"{800000 + n:06d}-{n % 10000:04d}",
                      municipality=municipality, kind=Organisation.Kind.ASSOCIATION)
         for n in range(organisations_count)], batch_size=5000)
    Membership.objects.bulk_create([Membership(user=u, organisation=o) for u, o in zip(contacts, organisations)],
                                   batch_size=5000)

    stages = (["exante_check"] * 10 + ["completion"] * 25 + ["review"] * 30 + ["decision"] * 10
              + ["final_report"] * 25)
    plan = [stages[n % len(stages)] for n in range(tasks)]
    status_of = {"exante_check": "submitted", "completion": "completion", "review": "review",
                 "decision": "decision", "final_report": "granted"}
    applications = []
    for n, stage in enumerate(plan):
        organisation = n % organisations_count
        applications.append(Application(
            organisation=organisations[organisation], call=call, created_by=contacts[organisation],
            title=f"Projekt {n}", status=status_of[stage], submitted_at=now - timedelta(days=60),
            submitted_by=contacts[organisation], requested_amount=20000,
            report_due_on=today + timedelta(days=rng.randint(-30, 30)) if stage == "final_report" else None,
        ))
    for n in range(tasks // 10):
        organisation = n % organisations_count
        applications.append(Application(organisation=organisations[organisation], call=call,
                                        created_by=contacts[organisation], title=f"Utkast {n}"))
    applications = Application.objects.bulk_create(applications, batch_size=5000)

    processes = Process.objects.bulk_create(
        [Process(flow_class=ApplicationFlow, status="NEW", created=now - timedelta(days=60)) for _ in plan],
        batch_size=5000)

    node = {name: getattr(ApplicationFlow, name) for name in set(plan)}
    owner_of = {"exante_check": officers, "decision": secretaries}
    task_rows, checks, assignments = [], [], []
    rubric = rubric_for_fund(fund)
    for n, (stage, process, application) in enumerate(zip(plan, processes, applications)):
        created = now - timedelta(days=rng.randint(0, 45), seconds=rng.randint(0, 86000))
        owner = None
        if stage in owner_of and n % 2:  # half of the staff tasks are taken
            owner = owner_of[stage][n % 2]
        elif stage in ("completion", "final_report"):
            owner = contacts[n % organisations_count]
        task_rows.append(Task(process=process, flow_task=node[stage],
                              flow_task_type="FUNCTION" if stage == "review" else "HUMAN",
                              status=STATUS.ASSIGNED if owner else STATUS.NEW, owner=owner, created=created))
        if stage == "completion":
            checks.append(ExAnteCheck(application=application, outcome="completion", comment="Komplettera.",
                                      completion_deadline=today + timedelta(days=rng.randint(-30, 30)),
                                      checked_by=officers[0], checked_at=created))
        if stage == "review":
            assignments.append(Assignment(application=application, reviewer=reviewers[n % len(reviewers)],
                                          rubric=rubric, status=Assignment.Status.ACTIVE,
                                          deadline=today + timedelta(days=rng.randint(-30, 30))))
    # The processes' links and their tasks written without firing the step holders' triggers (workflows 0005), then
    # every holder computed once: fired per batch of 5,000 new tasks, the triggers' cached plans, made while the
    # tables were nearly empty, scanned every task for each application (the seeding never ended at 100,000).
    # As the load generator does: a superuser's session_replication_role = replica, for this transaction only.
    with transaction.atomic(), connection.cursor() as cursor:
        replica = triggers_off()
        cursor.execute(
            "INSERT INTO workflows_applicationprocess (process_ptr_id, application_id) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
            [[p.pk for p in processes], [a.pk for a in applications[:len(plan)]]])
        Task.objects.bulk_create(task_rows, batch_size=5000)
        if replica:  # SET LOCAL lasts to the end of the outer transaction (a test's): back at once
            cursor.execute("SET LOCAL session_replication_role = origin")
    step_holders_rebuild()
    ExAnteCheck.objects.bulk_create(checks, batch_size=5000)
    Assignment.objects.bulk_create(assignments, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"open_tasks": Task.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).count(),
            "drafts": tasks // 10, "review_assignments": len(assignments), "organisations": organisations_count}


def bench_sweep(tasks: int) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.urls import get_resolver
    from django.utils import timezone

    from config.celery import app
    from notifications.models import OutboxMessage
    from workflows.reminders import reminders_sweep

    now = timezone.now()
    started = time.monotonic()
    seeded = _seed_open_tasks(tasks, now)
    say(f"  seeded {seeded} in {time.monotonic() - started:.1f} s")
    # The sweep runs in a worker that has long loaded the URL configuration (its links are reversed): load it
    # here too, so that the first run measures the sweep and not the import of every view module.
    get_resolver().reverse_dict  # noqa: B018 -- populates the resolver
    runs = []
    for label, at in (("first run", now), ("second run, same time", now),
                      ("next day", now + timedelta(days=1)), ("next day, again", now + timedelta(days=1))):
        queries = []

        def count(execute, sql, params, many, context):  # counts without recording (cheaper than
            queries.append(1)                            # CaptureQueriesContext, which formats every query)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            written = reminders_sweep(now=at)
            seconds = time.perf_counter() - started
        runs.append({"run": label, "seconds": round(seconds, 2), "rows_written": written,
                     "queries": len(queries)})
        say(f"  {label}: {seconds:.2f} s, {written} outbox rows ({written / seconds:.0f} rows/s), "
            f"{len(queries)} queries")
    by_kind = dict(OutboxMessage.objects.filter(kind__startswith="reminder_").values_list("kind")
                   .annotate(n=Count("pk")).order_by("kind"))
    app.control.purge()  # the delivery tasks the sweep queued: no worker runs during this part
    return {**seeded, "runs": runs, "rows_by_kind": by_kind}
