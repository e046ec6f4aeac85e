"""The load generator's first stages: people, funds with their calls, applications."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import User
from grants.services.checklist import checklist_ensure_default
from grants.models import (
    ActivityLine, Application, BudgetLine, CaseNumberCounter, Call, Fund, FundYear, Membership, Municipality, Organisation,
)
from reviewers.services import rubric_for_fund
from bench.load.base import CURRENT_MIX, ORG_KINDS, PAST_MIX, PLACES, REVIEWED, S, STHLM, WORDS, _mix



class PeopleStages:
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
