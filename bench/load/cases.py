"""The load generator's case stages: workflow processes and tasks, ex-ante checks, reviews."""

import json
from datetime import timedelta


from grants.models import (
    ExAnteCheck,
)
from reviewers.models import Assignment, Review, Score
from workflows.models import ApplicationProcess
from viewflow.workflow.models import Process, Task
from bench.load.base import REVIEWED, S



class CaseStages:
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
