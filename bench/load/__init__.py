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

import random
import time

from django.utils import timezone

from bench.load.base import Writer
from bench.load.cases import CaseStages
from bench.load.money import MoneyStages
from bench.load.people import PeopleStages
from grants.services.stage_counts import stage_counts_rebuild
from workflows.services.step_holders import step_holders_rebuild


class Generator(PeopleStages, CaseStages, MoneyStages):
    """Builds the whole history, stage by stage (people.py, cases.py, money.py), in one transaction."""

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
        # The rows went in without firing triggers (Writer.start): the kept counts per stage and who holds each
        # application's open step, from the rows.
        self.stage("counts per stage", stage_counts_rebuild)
        self.stage("holders of the open steps", step_holders_rebuild)

    # -- people -------------------------------------------------------------------------------------
