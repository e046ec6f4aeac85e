"""A large, realistic database for measuring Potten: `generate_load --applications N --funds F --years Y`.

Every stage is written in bulk (PostgreSQL COPY; plain multi-row INSERTs on SQLite): organisations and
their contacts, staff, funds with budgets, calls and rubrics, applications with budget and activity lines,
the workflow processes with their finished and open tasks, ex-ante checks, reviewer assignments with
reviews and scores, decisions, the ledger, payments and repayments, final reports, the audit trail and
the outbox. The records are what the services would have left: statuses follow the flow, every status
change has its event, money moves through the ledger, open steps wait in the staff queues.

The demo users (seed_demo runs first) see large data: the demo organisation has 50 applications, the
demo reviewer about 300 assignments, the demo case officer and secretary hold part of the few thousand
waiting staff tasks. Run it on an empty, migrated database (it adds to what is there, but the counts
are only as stated on a fresh one). Deterministic for a given --seed.
"""

import json
import random
import time
from types import SimpleNamespace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User
from grants.services.checklist import checklist_ensure_default
from grants.models import (
    ActivityLine, Application, BudgetLine, CaseNumberCounter, Call, Decision, Event, ExAnteCheck, FinalReport,
    Fund, FundYear, LedgerEntry, Membership, Municipality, Organisation, Payment, Repayment,
)
from notifications.models import OutboxMessage
from reviewers.models import Assignment, Review, Score
from reviewers.services import rubric_for_fund
from workflows.models import ApplicationProcess
from viewflow.workflow.models import Process, Task

STHLM = ZoneInfo("Europe/Stockholm")
# Plain strings, not the Choices members: psycopg would COPY an Enum by its name.
S = SimpleNamespace(**{member.name: member.value for member in Application.Status})
K = SimpleNamespace(**{member.name: member.value for member in Event.Kind})

WORDS = ("språkcafé", "samtal", "matlagning", "föreningsliv", "dialog", "läxhjälp", "idrott", "musik", "teater",
         "trädgård", "cykelskola", "simskola", "hantverk", "berättarkväll", "filmklubb", "schack", "dans",
         "naturvandring", "bibliotek", "mentorskap", "föräldraträff", "sömnad", "fotboll", "kör")
PLACES = ("Kalmar", "Nybro", "Borgholm", "Mörbylånga", "Torsås", "Emmaboda", "Oskarshamn", "Västervik", "Vimmerby",
          "Hultsfred", "Högsby", "Mönsterås", "Växjö", "Ljungby", "Älmhult", "Karlskrona", "Ronneby", "Öland")
ORG_KINDS = [k.value for k in Organisation.Kind]

# The final stage of an application, by whether its call is of the current year or an earlier one.
CURRENT_MIX = [(S.DRAFT, 8), (S.SUBMITTED, 7), (S.COMPLETION, 5), (S.REVIEW, 20), (S.DECISION, 7), (S.GRANTED, 26),
               (S.REPORT_SUBMITTED, 3), (S.REJECTED, 12), (S.INELIGIBLE, 4), (S.WITHDRAWN, 3), (S.CARRIED_OUT, 5)]
PAST_MIX = [(S.CARRIED_OUT, 52), (S.REJECTED, 24), (S.INELIGIBLE, 5), (S.WITHDRAWN, 4), (S.ENDED, 3),
            (S.GRANTED, 6), (S.REPORT_SUBMITTED, 4), (S.DRAFT, 2)]
REVIEWED = {S.DECISION, S.GRANTED, S.REPORT_SUBMITTED, S.REJECTED, S.CARRIED_OUT, S.ENDED}
GRANTED = {S.GRANTED, S.REPORT_SUBMITTED, S.CARRIED_OUT, S.ENDED}


def _mix(pairs):
    values, weights = zip(*pairs)
    return list(values), list(weights)


def _sqlite_value(value):
    """What Django would store in SQLite: naive UTC datetimes, decimals as text."""
    if isinstance(value, datetime):
        return timezone.make_naive(value, ZoneInfo("UTC")).isoformat(" ") if timezone.is_aware(value) else value
    if isinstance(value, (Decimal, date)):
        return str(value)
    return value


class Writer:
    """Writes rows of a model: COPY on PostgreSQL, executemany on anything else. Ids are given by the
    caller (taken from `next_id`), so related rows are written without reading anything back; the
    sequences are moved past them at the end. Columns the caller does not name get their field's default,
    so a field added later (with a default) does not break the generator."""

    def __init__(self, now):
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.counts = {}
        self.tables = []
        self.models = []

    def next_id(self, model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"')
            return cursor.fetchone()[0] + 1

    def _default(self, field):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.now
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = ""
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        return value

    def write(self, model, columns, rows, table=None) -> int:
        table = table or model._meta.db_table
        if model is not None:
            fields = {f.attname: f for f in model._meta.local_concrete_fields}
            unknown = set(columns) - set(fields)
            if unknown:
                raise CommandError(f"generate_load: {table} has no columns {sorted(unknown)}")
            rest = [f for name, f in fields.items() if name not in columns and not (name == "id" and f.primary_key)]
            all_columns = list(columns) + [f.column for f in rest]
            suffix = tuple(self._default(f) for f in rest)
            columns = [fields[name].column for name in columns] + all_columns[len(columns):]
        else:
            suffix = ()
        names = ", ".join(f'"{c}"' for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row + suffix)
                        count += 1
            else:
                rows = (tuple(_sqlite_value(v) for v in row) for row in rows)
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(["%s"] * len(columns))})'
                batch = []
                for row in rows:
                    batch.append(row + suffix)
                    if len(batch) == 2000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.counts[table] = self.counts.get(table, 0) + count
        if table not in self.tables and model is not None and isinstance(model._meta.pk, models.AutoField):
            self.tables.append(table)
        if model is not None and model not in self.models:
            self.models.append(model)
        return count

    def start(self):
        """On PostgreSQL as a superuser, the rows are written without firing the foreign-key triggers (Django's
        keys are deferred: checked one by one at COMMIT, millions of them); `verify` checks every key of the
        written tables afterwards in one anti-join each, so nothing dangling is ever committed."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.replica = bool(cursor.fetchone()[0])
            if self.replica:
                cursor.execute("SET LOCAL session_replication_role = replica")

    def verify(self):
        if not self.postgres or not getattr(self, "replica", False):
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
            for model in self.models:
                for field in model._meta.local_concrete_fields:
                    if not field.is_relation or field.remote_field is None:
                        continue
                    target = field.target_field
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{model._meta.db_table}" c WHERE c."{field.column}" IS NOT NULL '
                        f'AND NOT EXISTS (SELECT 1 FROM "{target.model._meta.db_table}" p '
                        f'WHERE p."{target.column}" = c."{field.column}")')
                    dangling = cursor.fetchone()[0]
                    if dangling:
                        raise CommandError(f"generate_load: {dangling} rows of {model._meta.db_table}.{field.column} "
                                           "point nowhere")

    def finish(self):
        """Move every sequence past the ids written, and refresh the planner's statistics."""
        if not self.postgres:
            return
        self.verify()
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute(f'SELECT setval(%s, (SELECT COALESCE(MAX(id), 1) FROM "{table}"))', [sequence])

    def vacuum(self):
        """After the commit: the visibility map and statistics a running database would have (not possible
        inside an outer transaction, such as a test's: ANALYZE then)."""
        if not self.postgres:
            return
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            return
        with connection.cursor() as cursor:
            for table in self.counts:
                cursor.execute(f'VACUUM (ANALYZE) "{table}"')


class Command(BaseCommand):
    help = "Fill the database with a large, realistic history (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=10_000)
        parser.add_argument("--funds", type=int, default=10)
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=12)

    def handle(self, *args, applications, funds, years, seed, verbosity=1, **options):
        if applications < 1 or funds < 1 or years < 1:
            raise CommandError("generate_load: at least 1 application, 1 fund and 1 year")
        started = time.monotonic()
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        self.say = (lambda message: self.stdout.write(message)) if verbosity else (lambda message: None)
        generator = Generator(applications=applications, funds=funds, years=years, seed=seed, say=self.say)
        with transaction.atomic():
            generator.run()
        generator.stage("vacuum", generator.writer.vacuum)
        self.say(f"generate_load: {applications} applications, {funds} funds, {years} years in "
                 f"{time.monotonic() - started:.1f} s: " + ", ".join(
                     f"{table} {count}" for table, count in generator.writer.counts.items()))


class Generator:
    def __init__(self, *, applications, funds, years, seed, say):
        self.n = applications
        self.n_funds = funds
        self.n_years = years
        self.rng = random.Random(seed)
        self.say = say
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.writer = Writer(self.now)
        self.ref = {name: f"workflows/flows.ApplicationFlow.{name}"
                    for name in ("start", "exante_check", "completion", "review", "decision", "final_report",
                                 "report_approval", "carried_out", "rejected", "ineligible")}
        self.flow_class = "workflows/flows.ApplicationFlow"

    def stage(self, name, function):
        started = time.monotonic()
        function()
        self.say(f"  {name}: {time.monotonic() - started:.1f} s")

    def run(self):
        self.writer.start()
        self.stage("people", self.people)
        self.stage("funds", self.funds)
        self.stage("applications", self.applications)
        self.stage("workflow", self.workflow)
        self.stage("checks", self.checks)
        self.stage("reviews", self.reviews)
        self.stage("decisions, ledger, payments", self.money)
        self.stage("final reports", self.reports)
        self.stage("audit trail", self.events)
        self.stage("outbox", self.outbox)
        self.stage("keys checked, sequences, statistics", self.writer.finish)

    # -- people -------------------------------------------------------------------------------------
    def _users(self, prefix, count, role, name):
        first = self.writer.next_id(User)
        rows = ((first + k, f"{prefix}{first + k}@load.example.org", f"{name} {first + k}", "!",
                 "sv" if k % 5 else "en",
                 self.now) for k in range(count))
        self.writer.write(User, ["id", "email", "full_name", "password", "language", "date_joined"], rows)
        ids = list(range(first, first + count))
        if role:
            group = Group.objects.get(name=role).pk
            self.writer.write(User.groups.through, ["user_id", "group_id"], ((u, group) for u in ids))
        return ids

    def people(self):
        demo = {u.email: u.pk for u in User.objects.filter(email__endswith="@example.org")}
        self.demo_applicant = demo["sokande@example.org"]
        self.demo_reviewer = demo["bedomare@example.org"]
        self.officers = [demo["handlaggare@example.org"]] + self._users("handlaggare", 7, roles.CASE_OFFICER,
                                                                         "Handläggare")
        self.secretaries = [demo["sekreterare@example.org"]] + self._users("sekreterare", 3, roles.SECRETARY,
                                                                           "Sekreterare")
        self.reviewers = self._users("bedomare", max(40, self.n // 400), roles.REVIEWER, "Bedömare")
        n_orgs = max(self.n // 5, 20)
        self.contacts = self._users("kontakt", n_orgs, roles.APPLICANT, "Kontakt")
        municipalities = list(Municipality.objects.values_list("pk", flat=True))
        first = self.writer.next_id(Organisation)
        rng = self.rng
        self.org_names = [f"Föreningen {rng.choice(WORDS).capitalize()} {rng.choice(PLACES)} {k}"
                          for k in range(n_orgs)]
        self.writer.write(Organisation, ["id", "name", "org_number", "municipality_id", "kind", "created_at"], (
            (first + k, self.org_names[k], f"{700000 + (first + k) // 10000:06d}-{(first + k) % 10000:04d}",
             municipalities[k % len(municipalities)], ORG_KINDS[k % len(ORG_KINDS)], self.now)
            for k in range(n_orgs)))
        self.organisations = list(range(first, first + n_orgs))
        self.writer.write(Membership, ["user_id", "organisation_id", "created_at"],
                          ((u, o, self.now) for u, o in zip(self.contacts, self.organisations)))
        demo_org = Organisation.objects.get(org_number="802456-1238")
        self.demo_org = demo_org.pk
        self.org_contact = dict(zip(self.organisations, self.contacts))
        self.org_contact[self.demo_org] = self.demo_applicant
        self.org_name = dict(zip(self.organisations, self.org_names))
        self.org_name[self.demo_org] = demo_org.name

    # -- funds, years, calls, rubrics ----------------------------------------------------------------
    def funds(self):
        rng = self.rng
        this_year = self.today.year
        self.years = list(range(this_year - self.n_years + 1, this_year + 1))
        self.calls = []  # (call_id, fund index, year, opens, closes)
        self.fund_rows = []
        per_fund_year = self.n / (self.n_funds * self.n_years)
        before = Fund.objects.filter(slug__startswith="last-").count()  # a second run adds funds of its own
        for f in range(self.n_funds):
            number = before + f + 1
            kind = Fund.Kind.DIALOGPOTT if f % 2 == 0 else Fund.Kind.MIKROPROJEKT
            max_amount = Decimal(30000 if kind == Fund.Kind.DIALOGPOTT else 50000)
            fund = Fund.objects.create(
                name=f"{rng.choice(PLACES)}s {'dialogpott' if f % 2 == 0 else 'mikroprojekt'} {number}",
                slug=f"last-{number}", kind=kind, max_amount=max_amount, case_prefix=f"L{number}",
                advance_percent=80 if f % 2 == 0 else 50, purpose="Möten mellan nyanlända och etablerade invånare.")
            checklist_ensure_default(fund)
            rubric = rubric_for_fund(fund)
            criteria = list(rubric.criteria.order_by("position").values_list("pk", flat=True))
            self.fund_rows.append({"id": fund.pk, "prefix": fund.case_prefix, "max": max_amount,
                                   "advance": fund.advance_percent, "rubric": rubric.pk, "criteria": criteria,
                                   "years": {}})
            for year in self.years:
                budget = Decimal(int(per_fund_year * 0.5 * float(max_amount) * 0.8) // 1000 * 1000 + 100000)
                fund_year = FundYear.objects.create(fund=fund, year=year, budget=budget,
                                                    target_applications=int(per_fund_year),
                                                    target_carried_out=int(per_fund_year * 0.4))
                self.fund_rows[-1]["years"][year] = fund_year.pk
                if year == this_year:
                    opens = self.now - timedelta(days=200)
                    closes = self.now + timedelta(days=60)
                else:
                    opens = datetime(year, 1, 15, 8, tzinfo=STHLM)
                    closes = datetime(year, 9, 30, 23, 59, tzinfo=STHLM)
                call = Call.objects.create(fund=fund, title=f"{fund.name} {year}", budget_year=year,
                                           opens_at=opens, closes_at=closes,
                                           description="Ansök senast sista dagen.")
                self.calls.append((call.pk, f, year, opens, closes))

    # -- applications ---------------------------------------------------------------------------------
    def applications(self):
        rng = self.rng
        this_year = self.today.year
        current, past = _mix(CURRENT_MIX), _mix(PAST_MIX)
        first = self.writer.next_id(Application)
        self.apps = []
        counters = {}
        orgs = self.organisations
        for k in range(self.n):
            call_id, f, year, opens, closes = self.calls[k % len(self.calls)]
            fund = self.fund_rows[f]
            values, weights = current if year == this_year else past
            status = rng.choices(values, weights)[0]
            organisation = self.demo_org if k < min(50, max(1, self.n // 10)) else orgs[rng.randrange(len(orgs))]
            last = min(closes, self.now - timedelta(days=2))
            span = max((last - opens).total_seconds(), 3600)
            if year == this_year and status not in (S.DRAFT, S.SUBMITTED):
                # a later stage needs time behind it: submitted in the first part of the call
                span = span * 0.6
            submitted = opens + timedelta(seconds=rng.random() * span)
            amount = Decimal(rng.randrange(5, int(fund["max"]) // 1000 + 1) * 1000)
            app = {"id": first + k, "fund": f, "year": year, "call": call_id, "status": status,
                   "org": organisation, "contact": self.org_contact[organisation], "amount": amount,
                   "created": submitted - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600)),
                   "submitted": None if status == S.DRAFT else submitted,
                   "title": f"{rng.choice(WORDS).capitalize()} och {rng.choice(WORDS)} i {rng.choice(PLACES)}"}
            if status != S.DRAFT:
                counters[(f, year)] = counters.get((f, year), 0) + 1
                app["case"] = f"{fund['prefix']}-{year}-{counters[(f, year)]:04d}"
            else:
                app["case"] = None
            self._timeline(app)
            self.apps.append(app)
        w = self.writer
        w.write(Application, [
            "id", "organisation_id", "call_id", "title", "summary", "problem", "goals", "target_group",
            "planned_women", "planned_men", "planned_other", "planned_newcomers", "planned_established",
            "signatory_name", "signatory_role", "signatory_email", "requested_amount", "start_date", "end_date",
            "status", "status_changed_at", "case_number", "report_due_on", "created_by_id", "created_at",
            "updated_at", "submitted_by_id", "submitted_at", "withdrawn_at",
        ], ((a["id"], a["org"], a["call"], a["title"],
             f"{a['title']}: träffar där nyanlända och etablerade invånare möts.",
             "Nyanlända och etablerade möts sällan.", "Minst 60 % uppger ökad kunskap.",
             "Nyanlända och etablerade invånare.", 10, 9, 1, 10, 10, "Ordförande Person", "Ordförande",
             "ordforande@load.example.org", a["amount"], a["start"], a["end"], a["status"], a["changed"],
             a["case"], a.get("report_due"), a["contact"], a["created"], a["changed"],
             a["contact"] if a["submitted"] else None, a["submitted"], a.get("withdrawn"))
            for a in self.apps))
        w.write(BudgetLine, ["application_id", "position", "description", "amount"], (
            row for a in self.apps for row in (
                (a["id"], 0, "Lokalhyra", a["amount"] * Decimal("0.3")),
                (a["id"], 1, "Arvoden", a["amount"] * Decimal("0.5")),
                (a["id"], 2, "Fika och material", a["amount"] * Decimal("0.2")))))
        w.write(ActivityLine, ["application_id", "position", "description", "starts_on", "ends_on"], (
            (a["id"], 0, "Träffar varannan vecka", a["start"], a["end"]) for a in self.apps))
        for (f, year), last in counters.items():
            CaseNumberCounter.objects.update_or_create(fund_id=self.fund_rows[f]["id"], year=year,
                                                       defaults={"last_number": last})

    def _timeline(self, app):
        """The times of the application's steps, each after the one before and none in the future."""
        rng = self.rng
        status = app["status"]
        limit = self.now - timedelta(minutes=5)

        def after(moment, low, high):
            return min(moment + timedelta(days=rng.randint(low, high), minutes=rng.randint(1, 900)), limit)

        t = {}
        s = app["submitted"]
        app["start"] = (s or app["created"]).date() + timedelta(days=rng.randint(40, 70))
        app["end"] = app["start"] + timedelta(days=rng.randint(30, 150))
        changed = app["created"]
        if s is not None:
            t["submitted"] = changed = s
            if status != S.SUBMITTED and status != S.WITHDRAWN:
                if status == S.COMPLETION or rng.random() < 0.15:
                    t["completion"] = changed = after(changed, 2, 10)
                    if status != S.COMPLETION:
                        t["resubmitted"] = changed = after(changed, 1, 14)
                if status != S.COMPLETION:
                    t["checked"] = changed = after(changed, 2, 15)
            if status == S.WITHDRAWN:
                t["withdrawn"] = changed = after(changed, 1, 20)
                app["withdrawn"] = changed
            if status in REVIEWED:
                t["reviews"] = changed = after(changed, 10, 30)
                t["decided"] = changed = after(changed, 2, 20)
            if status in (S.REPORT_SUBMITTED, S.CARRIED_OUT) or (status == S.GRANTED and rng.random() < 0.1):
                report = max(datetime.combine(app["end"], datetime.min.time(), tzinfo=STHLM), changed)
                t["report"] = changed = after(report, 0, 30)
                if status == S.CARRIED_OUT:
                    t["approved"] = changed = after(changed, 2, 15)
                elif status == S.GRANTED:
                    t["report_completion"] = changed = after(changed, 2, 10)
            if status == S.ENDED:
                t["ended"] = changed = after(changed, 30, 90)
            if status in (S.GRANTED, S.REPORT_SUBMITTED):
                app["report_due"] = app["end"] + timedelta(days=30)
        app["t"] = t
        app["changed"] = changed

    # -- the workflow ---------------------------------------------------------------------------------
    def workflow(self):
        rng = self.rng
        w = self.writer
        processes = [a for a in self.apps if a["submitted"] is not None]
        first = w.next_id(Process)
        for k, a in enumerate(processes):
            a["process"] = first + k
        closed = {S.REJECTED, S.INELIGIBLE, S.CARRIED_OUT, S.WITHDRAWN, S.ENDED}
        w.write(Process, ["id", "flow_class", "status", "created", "finished", "data"], (
            (a["process"], self.flow_class, "DONE" if a["status"] in closed else "NEW", a["submitted"],
             a["changed"] if a["status"] in closed else None, "{}") for a in processes))
        w.write(ApplicationProcess, ["process_ptr_id", "application_id"],
                ((a["process"], a["id"]) for a in processes))
        perm = {"exante_check": "grants.check_application", "decision": "grants.decide_application",
                "report_approval": "grants.approve_final_report"}
        staff_of = {"exante_check": self.officers, "decision": self.secretaries, "report_approval": self.officers}
        ref = self.ref
        tasks = []  # (flow_task, type, status, created, finished, owner, permission, process)

        def done(a, name, kind, created, finished, owner):
            tasks.append((ref[name], kind, "DONE", created, finished, owner, perm.get(name, ""), a["process"]))

        waiting_count = {}

        def waiting(a, name, kind, created):
            owner = None
            if name in staff_of:
                # Every other waiting staff step is taken; a third of those by the demo user (people[0]).
                number = waiting_count[name] = waiting_count.get(name, -1) + 1
                if number % 2:
                    people = staff_of[name]
                    owner = people[0] if (number // 2) % 3 == 0 else rng.choice(people[1:])
            elif kind == "HUMAN":
                owner = a["contact"]
            tasks.append((ref[name], kind, "ASSIGNED" if owner else "NEW", created, None, owner,
                          perm.get(name, ""), a["process"]))

        for a in processes:
            t, status, contact = a["t"], a["status"], a["contact"]
            officer = rng.choice(self.officers)
            done(a, "start", "START", t["submitted"], t["submitted"], contact)
            checked_from = t["submitted"]
            if "completion" in t:
                done(a, "exante_check", "HUMAN", t["submitted"], t["completion"], officer)
                if "resubmitted" in t:
                    done(a, "completion", "HUMAN", t["completion"], t["resubmitted"], contact)
                    checked_from = t["resubmitted"]
                else:
                    waiting(a, "completion", "HUMAN", t["completion"])
                    continue
            if "checked" in t:
                done(a, "exante_check", "HUMAN", checked_from, t["checked"], officer)
            elif status == S.SUBMITTED:
                waiting(a, "exante_check", "HUMAN", checked_from)
                continue
            else:  # withdrawn before the check
                done(a, "exante_check", "HUMAN", checked_from, t["withdrawn"], None)
                continue
            if status == S.INELIGIBLE:
                done(a, "ineligible", "END", t["checked"], t["checked"], None)
                continue
            if status == S.REVIEW:
                waiting(a, "review", "FUNCTION", t["checked"])
                continue
            if status == S.WITHDRAWN:
                done(a, "review", "FUNCTION", t["checked"], t["withdrawn"], None)
                continue
            done(a, "review", "FUNCTION", t["checked"], t["reviews"], None)
            if status == S.DECISION:
                waiting(a, "decision", "HUMAN", t["reviews"])
                continue
            done(a, "decision", "HUMAN", t["reviews"], t["decided"], rng.choice(self.secretaries))
            if status == S.REJECTED:
                done(a, "rejected", "END", t["decided"], t["decided"], None)
                continue
            if "report" not in t:
                if status == S.ENDED:
                    done(a, "final_report", "HUMAN", t["decided"], t["ended"], contact)
                else:
                    waiting(a, "final_report", "HUMAN", t["decided"])
                continue
            done(a, "final_report", "HUMAN", t["decided"], t["report"], contact)
            if status == S.REPORT_SUBMITTED:
                waiting(a, "report_approval", "HUMAN", t["report"])
                continue
            if "report_completion" in t:
                done(a, "report_approval", "HUMAN", t["report"], t["report_completion"], officer)
                waiting(a, "final_report", "HUMAN", t["report_completion"])
                continue
            done(a, "report_approval", "HUMAN", t["report"], t["approved"], officer)
            if status == S.ENDED:
                continue
            done(a, "carried_out", "END", t["approved"], t["approved"], None)
        first = w.next_id(Task)
        w.write(Task, ["id", "flow_task", "flow_task_type", "status", "created", "assigned", "started", "finished",
                       "owner_id", "owner_permission", "process_id", "token", "data"], (
            (first + k, r[0], r[1], r[2], r[3], r[3] if r[5] else None, r[3] if r[2] == "DONE" else None, r[4],
             r[5], r[6] or None, r[7], "start", "{}") for k, r in enumerate(tasks)))

    # -- ex-ante checks -------------------------------------------------------------------------------
    def checks(self):
        rng = self.rng
        rows = []
        for a in self.apps:
            t = a["t"]
            officer = rng.choice(self.officers)
            if "completion" in t:
                rows.append((a["id"], "completion", "", "Komplettera budgeten, tack.",
                             json.dumps(["requested_amount"]), t["completion"].date() + timedelta(days=14),
                             officer, t["completion"]))
            if "checked" in t:
                outcome = "ineligible" if a["status"] == S.INELIGIBLE else "pass"
                rows.append((a["id"], outcome, "", "Komplett och bedömningsbar." if outcome == "pass"
                             else "Organisationen kan inte söka ur fonden.", "[]", None, officer, t["checked"]))
        self.writer.write(ExAnteCheck, ["application_id", "outcome", "override_reason", "comment",
                                        "completion_fields", "completion_deadline", "checked_by_id", "checked_at"],
                          rows)

    # -- reviews --------------------------------------------------------------------------------------
    def reviews(self):
        rng = self.rng
        w = self.writer
        assignments, reviews, scores = [], [], []
        a_id, r_id = w.next_id(Assignment), w.next_id(Review)
        demo_left = 300
        pool = self.reviewers
        for a in self.apps:
            status, t = a["status"], a["t"]
            if status != S.REVIEW and status not in REVIEWED:
                continue
            fund = self.fund_rows[a["fund"]]
            count = rng.choice((2, 2, 3))
            people = rng.sample(pool, count)
            if demo_left and (status == S.REVIEW or rng.random() < 0.01):
                people[0] = self.demo_reviewer
                demo_left -= 1
            assigned = t["checked"]
            deadline = (assigned + timedelta(days=14)).date()
            for reviewer in people:
                if status == S.REVIEW:
                    state = rng.choice(("declaring", "active", "submitted"))
                else:
                    state = "submitted"
                declared = assigned + timedelta(hours=rng.randint(1, 72)) if state != "declaring" else None
                assignments.append((a_id, a["id"], reviewer, fund["rubric"], state, deadline, None, assigned,
                                    declared, ""))
                if state != "declaring":
                    submitted = min(assigned + timedelta(days=rng.randint(2, 13)), self.now - timedelta(minutes=9)) \
                        if state == "submitted" else None
                    recommendation = rng.choice(("grant", "grant", "grant_with_changes", "reject")) \
                        if submitted else ""
                    reviews.append((r_id, a["id"], reviewer, a_id, True, recommendation,
                                    "Tydliga mål och en rimlig budget." if submitted else "", 1, declared,
                                    submitted or declared, submitted))
                    for criterion in fund["criteria"]:
                        scores.append((r_id, criterion, rng.randint(1, 5) if submitted else None, False, ""))
                    r_id += 1
                a_id += 1
        w.write(Assignment, ["id", "application_id", "reviewer_id", "rubric_id", "status", "deadline",
                             "assigned_by_id", "assigned_at", "declared_at", "conflict_reason"], assignments)
        w.write(Review, ["id", "application_id", "reviewer_id", "assignment_id", "no_conflict_declared",
                         "recommendation", "summary", "version", "created_at", "updated_at", "submitted_at"], reviews)
        w.write(Score, ["review_id", "criterion_id", "score", "not_applicable", "comment"], scores)
        self.assignment_count = len(assignments)

    # -- money ----------------------------------------------------------------------------------------
    def money(self):
        rng = self.rng
        w = self.writer
        decisions, ledger, payments, repayments = [], [], [], []
        d_id, p_id, r_id = w.next_id(Decision), w.next_id(Payment), w.next_id(Repayment)
        for a in self.apps:
            if "decided" not in a["t"]:
                continue
            t, fund = a["t"], self.fund_rows[a["fund"]]
            fund_year = fund["years"][a["year"]]
            secretary = rng.choice(self.secretaries)
            granted = a["status"] in GRANTED
            amount = a["amount"] if granted else Decimal(0)
            decisions.append((d_id, a["id"], "granted" if granted else "rejected", amount,
                              "Slutrapport senast 30 dagar efter projektets slut." if granted else "",
                              "Uppfyller fondens syfte." if granted else "Andra ansökningar svarade bättre mot syftet.",
                              secretary, t["decided"], "effective", None, None, None, "", ""))
            a["decision"] = d_id
            if granted:
                ledger.append((fund_year, a["id"], "commitment", amount, d_id, None, None, "", secretary, t["decided"]))
                advance = (amount * fund["advance"] / 100).quantize(Decimal("1"))
                rest = amount - advance
                paid_on = (t["decided"] + timedelta(days=rng.randint(1, 10)))
                advance_paid = paid_on < self.now - timedelta(hours=1) and rng.random() < 0.9
                payments.append((p_id, a["id"], "advance", advance, "paid" if advance_paid else "planned",
                                 t["decided"], paid_on.date() if advance_paid else None,
                                 f"VER-{p_id}" if advance_paid else "", secretary if advance_paid else None))
                a["payments"] = [(p_id, advance, "advance")]
                if advance_paid:
                    ledger.append((fund_year, a["id"], "payment", advance, None, p_id, None, "", secretary, paid_on))
                p_id += 1
                if rest > 0 and "approved" in t:
                    final_paid = a["status"] == S.CARRIED_OUT and rng.random() < 0.95
                    when = t["approved"] + timedelta(days=rng.randint(1, 10))
                    final_paid = final_paid and when < self.now
                    payments.append((p_id, a["id"], "final", rest, "paid" if final_paid else "planned", t["approved"],
                                     when.date() if final_paid else None, f"VER-{p_id}" if final_paid else "",
                                     secretary if final_paid else None))
                    if final_paid:
                        ledger.append((fund_year, a["id"], "payment", rest, None, p_id, None, "", secretary, when))
                    p_id += 1
                if a["status"] == S.ENDED:
                    ledger.append((fund_year, a["id"], "release", rest, None, None, None, "close", secretary,
                                   t["ended"]))
                    if advance_paid and rng.random() < 0.7:
                        received = rng.random() < 0.6
                        repayments.append((r_id, a["id"], "ended", advance, "received" if received else "claimed",
                                           (t["ended"] + timedelta(days=30)).date(), secretary, t["ended"],
                                           (t["ended"] + timedelta(days=20)).date() if received else None,
                                           f"ÅB-{r_id}" if received else "", secretary if received else None))
                        if received:
                            ledger.append((fund_year, a["id"], "repayment", advance, None, None, r_id, "", secretary,
                                           t["ended"] + timedelta(days=20)))
                        r_id += 1
            d_id += 1
        w.write(Decision, ["id", "application_id", "outcome", "amount", "conditions", "motivation", "decided_by_id",
                           "decided_at", "status", "approved_by_id", "approved_at", "corrects_id", "letter",
                           "letter_sha256"], decisions)
        w.write(Payment, ["id", "application_id", "kind", "amount", "status", "created_at", "paid_on", "reference",
                          "paid_recorded_by_id"], payments)
        w.write(Repayment, ["id", "application_id", "reason", "amount", "status", "due_on", "claimed_by_id",
                            "claimed_at", "received_on", "reference", "received_recorded_by_id"], repayments)
        w.write(LedgerEntry, ["fund_year_id", "application_id", "kind", "amount", "decision_id", "payment_id",
                              "repayment_id", "note", "created_by_id", "created_at"], ledger)

    # -- final reports --------------------------------------------------------------------------------
    def reports(self):
        rng = self.rng
        rows = []
        for a in self.apps:
            t = a["t"]
            if "report" not in t:
                continue
            outcome = "approved" if "approved" in t else ("completion" if "report_completion" in t else "pending")
            reviewed = t.get("approved") or t.get("report_completion")
            women, men = rng.randint(3, 25), rng.randint(3, 25)
            rows.append((a["id"], a["start"], a["end"], "Träffar varannan vecka som planerat.", women, men,
                         rng.randint(0, 2), (women + men) // 2, (women + men) - (women + men) // 2,
                         rng.randint(0, 2), rng.randint(0, 2), a["amount"] * Decimal("0.95"), rng.randint(40, 95),
                         "Det fungerade bra att träffas ofta.", rng.random() < 0.4, a["contact"], t["report"],
                         outcome, rng.choice(self.officers) if reviewed else None, reviewed, ""))
        self.writer.write(FinalReport, [
            "application_id", "started_on", "ended_on", "activities_done", "participants_women", "participants_men",
            "participants_other", "participants_newcomers", "participants_established", "trainers_women",
            "trainers_men", "costs_total", "survey_share", "lessons", "publish_consent", "submitted_by_id",
            "submitted_at", "outcome", "reviewed_by_id", "reviewed_at", "reviewer_comment"], rows)

    # -- the audit trail ------------------------------------------------------------------------------
    def events(self):
        rng = self.rng

        def rows():
            for a in self.apps:
                t, app, contact = a["t"], a["id"], a["contact"]
                officer, secretary = rng.choice(self.officers), rng.choice(self.secretaries)
                yield (app, K.CREATED, contact, "", S.DRAFT, "", False, a["created"])
                if "submitted" not in t:
                    continue
                yield (app, K.SUBMITTED, contact, S.DRAFT, S.SUBMITTED, "", True, t["submitted"])
                if "completion" in t:
                    yield (app, K.COMPLETION_REQUESTED, officer, S.SUBMITTED, S.COMPLETION, "Komplettera budgeten.",
                           True, t["completion"])
                    if "resubmitted" in t:
                        yield (app, K.RESUBMITTED, contact, S.COMPLETION, S.SUBMITTED, "", True, t["resubmitted"])
                if "checked" in t:
                    if a["status"] == S.INELIGIBLE:
                        yield (app, K.INELIGIBLE, officer, S.SUBMITTED, S.INELIGIBLE, "", True, t["checked"])
                        continue
                    yield (app, K.CHECKED, officer, S.SUBMITTED, S.REVIEW, "", True, t["checked"])
                    yield (app, K.REVIEWER_ASSIGNED, None, "", "", "", False, t["checked"])
                if "withdrawn" in t:
                    previous = S.REVIEW if "checked" in t else S.SUBMITTED
                    yield (app, K.WITHDRAWN, contact, previous, S.WITHDRAWN, "", True, t["withdrawn"])
                    continue
                if "reviews" not in t:
                    continue
                yield (app, K.REVIEWED, None, "", "", "", False, t["reviews"] - timedelta(hours=2))
                yield (app, K.REVIEW_CLOSED, officer, S.REVIEW, S.DECISION, "", False, t["reviews"])
                granted = a["status"] in GRANTED
                yield (app, K.DECIDED, secretary, S.DECISION, S.GRANTED if granted else S.REJECTED,
                       "Uppfyller fondens syfte." if granted else "Andra ansökningar svarade bättre mot syftet.",
                       True, t["decided"])
                if not granted:
                    continue
                yield (app, K.PAYMENT_PLANNED, secretary, "", "", "Förskott", True, t["decided"])
                if "report" in t:
                    yield (app, K.REPORT_SUBMITTED, contact, S.GRANTED, S.REPORT_SUBMITTED, "", True, t["report"])
                if "report_completion" in t:
                    yield (app, K.REPORT_COMPLETION, officer, S.REPORT_SUBMITTED, S.GRANTED, "", True,
                           t["report_completion"])
                if "approved" in t:
                    yield (app, K.REPORT_APPROVED, officer, S.REPORT_SUBMITTED, S.CARRIED_OUT, "", True, t["approved"])
                if "ended" in t:
                    yield (app, K.GRANT_ENDED, secretary, S.GRANTED, S.ENDED, "Projektet kunde inte genomföras.", True,
                           t["ended"])

        self.writer.write(Event, ["application_id", "kind", "actor_id", "from_status", "to_status", "message",
                                  "visible_to_applicant", "created_at"], rows())

    # -- the outbox -----------------------------------------------------------------------------------
    def outbox(self):
        rng = self.rng

        def rows():
            for a in self.apps:
                t = a["t"]
                contact = a["contact"]
                for kind, moment in (("submitted", t.get("submitted")), ("decision", t.get("decided")),
                                     ("report_approved", t.get("approved"))):
                    if moment is None:
                        continue
                    failed = rng.random() < 0.002
                    yield (f"gen:{kind}:{a['id']}:{contact}", f"gen:{kind}:{a['id']}", f"kontakt{contact}@load.example.org",
                           contact, kind, a["id"], "sv", f"Potten: {a['title']}",
                           "Hej! Det har hänt något i er ansökan.", "<p>Hej! Det har hänt något i er ansökan.</p>",
                           f"/ansokningar/{a['id']}/", "failed" if failed else "sent", 5 if failed else 1,
                           "550 mailbox unavailable" if failed else "", moment, moment,
                           None if failed else moment + timedelta(seconds=rng.randint(1, 60)))

        columns = ["dedupe_key", "occurrence", "recipient", "user_id", "kind", "application_id", "language", "subject",
                   "body_text", "body_html", "link", "status", "attempts", "last_error", "created_at", "claimed_at",
                   "sent_at"]
        self.writer.write(OutboxMessage, columns, rows())
        # Mails of no case (indicator reports to the steering group) that failed: the outbox page's rows.
        first = self.writer.next_id(OutboxMessage)
        self.writer.write(OutboxMessage, columns, (
            (f"gen:indicator_report:{first + k}", "", f"styrgrupp{k}@load.example.org", None, "indicator_report",
             None, "sv", "Indikatorer", "Rapporten bifogas.", "<p>Rapporten bifogas.</p>", "", "failed", 8,
             "550 mailbox unavailable", self.now - timedelta(days=k % 300), self.now - timedelta(days=k % 300), None)
            for k in range(max(1, self.n // 200))))
