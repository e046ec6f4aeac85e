"""The load generator's last stages: decisions, ledger and payments, final reports, the audit trail, the outbox."""

from datetime import timedelta
from decimal import Decimal


from grants.models import (
    Decision, Event, FinalReport,
    LedgerEntry, Payment, Repayment,
)
from notifications.models import OutboxMessage
from bench.load.base import GRANTED, K, S



class MoneyStages:
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
