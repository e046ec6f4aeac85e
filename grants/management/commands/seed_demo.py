"""Demo data: two funds with open calls, one user per role and applications in different stages.

Idempotent: a second run creates only what is missing and never changes what a
user has typed or done. Demo passwords are random per installation, kept in
var/demo-logins.json and printed after every run; they exist only for demo data.
"""

import json
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.mfa import DEMO_TOTP_SECRET, give_totp, requires_second_factor
from accounts.models import User
from grants.services import applications as grant_services
from grants.services.checklist import checklist_ensure_default
from grants.models import Application, Call, Fund, FundYear, Membership, Municipality, Organisation, Theme
from reviewers.models import Assignment, Review
from workflows import services as flow_services, submission
from workflows.selectors import open_task_for_application
from catalogue import services as catalogue_services
from allauth.account.models import EmailAddress

DEMO_USERS = [
    # email, name, role, language
    ("sokande@example.org", "Sara Sökande", roles.APPLICANT),
    ("handlaggare@example.org", "Hugo Handläggare", roles.CASE_OFFICER),
    ("bedomare@example.org", "Bodil Bedömare", roles.REVIEWER),
    ("sekreterare@example.org", "Selma Sekreterare", roles.SECRETARY),
    ("ledningsgrupp@example.org", "Leo Ledningsgrupp", roles.STEERING_GROUP),
    ("admin@example.org", "Ada Admin", None),
]


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins = self._load_logins()
        with transaction.atomic():
            users = {email: self._user(email, name, role, logins) for email, name, role in DEMO_USERS}
            dialog, mikro = self._funds()
        self._save_logins(logins)
        applicant = users["sokande@example.org"]
        organisation = self._organisation(applicant)
        call = dialog.calls.order_by("-closes_at").first()
        self._applications(organisation, call, users)
        self._print(logins)

    # -- users ---------------------------------------------------------------------------
    def _logins_file(self):
        return settings.VAR_DIR / "demo-logins.json"

    def _load_logins(self) -> dict:
        try:
            return json.loads(self._logins_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_logins(self, logins):
        path = self._logins_file()
        path.write_text(json.dumps(logins, indent=2, ensure_ascii=False), encoding="utf-8")
        path.chmod(0o600)

    def _user(self, email, name, role, logins):
        user = User.objects.filter(email=email).first()
        if user is None:
            password = secrets.token_urlsafe(9)
            user = User.objects.create_user(email=email, password=password, full_name=name,
                                            is_staff=role is None, is_superuser=role is None)
            logins[email] = {"password": password, "role": role or "admin"}
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if role:
            user.groups.add(Group.objects.get(name=role))
        if requires_second_factor(user) and not user.authenticator_set.exists():
            # Staff must log in with a second factor: the demo staff share one public TOTP secret (README).
            give_totp(user, DEMO_TOTP_SECRET)
        return user

    # -- funds and calls -------------------------------------------------------------------
    def _funds(self):
        year = timezone.localdate().year
        dialog, _ = Fund.objects.get_or_create(slug="dialogpotten", defaults={
            "name": "Dialogpotten", "kind": Fund.Kind.DIALOGPOTT, "max_amount": Decimal("30000"),
            "case_prefix": "DP", "advance_percent": 80, "four_eyes_above": Decimal("25000"),
            "purpose": "Dialogbaserade utbildningstillfällen där nyanlända och etablerade invånare "
                       "tillsammans ökar sin interkulturella kompetens.",
            "who_may_apply": "Idéburna organisationer i projektets kommuner: föreningar, trossamfund, "
                             "studieförbund och stiftelser.",
        })
        mikro, _ = Fund.objects.get_or_create(slug="mikroprojekt", defaults={
            "name": "Mikroprojekt", "kind": Fund.Kind.MIKROPROJEKT, "max_amount": Decimal("50000"),
            "case_prefix": "MP", "advance_percent": 50,
            "purpose": "Små samverkansprojekt mellan myndigheter och idéburna organisationer i integrationsarbetet.",
            "who_may_apply": "En myndighet tillsammans med minst en idéburen organisation.",
        })
        # The plan's targets (seed 003): Dialogpotten 10 received and 5 carried out, 3 collaboration projects
        # (the microprojects); 40/60 among participants and leaders and 60 % of the participants more knowing.
        for fund, budget, target_apps, target_done, target_collab in ((dialog, "300000", 10, 5, 0),
                                                                     (mikro, "200000", 0, 3, 3)):
            checklist_ensure_default(fund)
            FundYear.objects.get_or_create(fund=fund, year=year, defaults={
                "budget": Decimal(budget), "target_applications": target_apps, "target_carried_out": target_done,
                "target_collaboration_projects": target_collab, "target_balance_percent": 40,
                "target_survey_percent": 60,
            })
            if not fund.calls.exists():
                now = timezone.now()
                Call.objects.create(
                    fund=fund, title=f"{fund.name} {year}", budget_year=year,
                    opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=60),
                    description="Ansök senast sista dagen. Frågor? Kontakta projektledaren.",
                )
        return dialog, mikro

    def _organisation(self, applicant):
        organisation = Organisation.objects.filter(org_number="802456-1238").first()
        if organisation is None:
            organisation = Organisation.objects.create(
                name="Föreningen Mötesplats Kalmar", org_number="802456-1238",
                municipality=Municipality.objects.get(name="Kalmar"), kind=Organisation.Kind.ASSOCIATION,
            )
        Membership.objects.get_or_create(user=applicant, organisation=organisation)
        return organisation

    # -- applications in different stages ---------------------------------------------------
    def _applications(self, organisation, call, users):
        applicant = users["sokande@example.org"]
        officer = users["handlaggare@example.org"]
        reviewer = users["bedomare@example.org"]
        secretary = users["sekreterare@example.org"]
        today = timezone.localdate()
        plans = [
            ("Språkcafé i Kalmar", "draft"),
            ("Samtalskvällar om föreningsliv", "submitted"),
            ("Matlagning över gränser", "review"),
            ("Dialogträffar på biblioteket", "granted"),
            ("Samtal vid köksbordet", "carried_out"),
        ]
        for title, stage in plans:
            if Application.objects.filter(organisation=organisation, title=title).exists():
                continue  # never touch what exists: a user may have worked on it
            application = grant_services.application_create(user=applicant, organisation=organisation, call=call)
            start, end = today + timedelta(days=30), today + timedelta(days=120)
            grant_services.application_save_draft(application_id=application.pk, user=applicant, changes={
                "fields": {
                    "title": title,
                    "summary": f"{title}: träffar där nyanlända och etablerade kalmarbor möts och samtalar.",
                    "problem": "Nyanlända och etablerade invånare möts sällan i vardagen, vilket försvårar "
                               "integrationen.",
                    "motivation": "En återkommande mötesplats med samtalsledare gör det lätt att komma tillbaka.",
                    "similar_projects": "Stadsbiblioteket har språkcafé; vi delar erfarenheter och lokaler.",
                    "anchoring": "Styrelsen har beslutat om projektet och två ledare är utsedda.",
                    "goals": "Nyanlända och etablerade lär känna varandra och varandras kulturer.",
                    "indicators": "Minst 60 % av deltagarna uppger i en enkät att de fått ökad kunskap.",
                    "target_group": "Nyanlända och etablerade invånare i Kalmar, kvinnor och män.",
                    "planned_women": 12, "planned_men": 10, "planned_other": 0,
                    "planned_newcomers": 11, "planned_established": 11,
                    "accessibility_plan": "Lokalen är tillgänglig med rullstol; vi har tolk vid behov.",
                    "equal_treatment_plan": "Vi bjuder in brett via föreningar och SFI och följer upp könsfördelningen.",
                    "signatory_name": "Sara Sökande", "signatory_role": "Ordförande",
                    "signatory_email": "sokande@example.org",
                    "requested_amount": Decimal("25000"), "start_date": start, "end_date": end,
                },
                "themes": list(Theme.objects.filter(code__in=["participation", "languages"])),
                "activities": [
                    {"description": "Samtalsträffar varannan vecka", "starts_on": start, "ends_on": end},
                    {"description": "Avslutning med gemensam middag", "starts_on": end, "ends_on": None},
                ],
                "budget": [
                    {"description": "Lokalhyra", "amount": Decimal("6000")},
                    {"description": "Arvoden till samtalsledare", "amount": Decimal("15000")},
                    {"description": "Fika och material", "amount": Decimal("4000")},
                ],
            })
            if stage == "draft":
                continue
            submission.application_submit(application_id=application.pk, user=applicant)
            if stage == "submitted":
                continue
            task = open_task_for_application(application)
            flow_services.exante_check_record(
                task_pk=task.pk, user=officer, outcome="pass", comment="Komplett och bedömningsbar.",
                results={item.pk: ("pass", "") for item in call.fund.checklist.all()},
            )
            if stage == "review":
                continue
            assignment = Assignment.objects.get(application=application, reviewer=reviewer)
            flow_services.assignment_declare(assignment_id=assignment.pk, user=reviewer, conflict=False)
            flow_services.review_save(
                assignment_id=assignment.pk, user=reviewer, version=0, submit=True,
                recommendation=Review.Recommendation.GRANT, summary="Ett väl genomtänkt projekt med tydliga mål.",
                scores={c.pk: (4, False, "") for c in assignment.rubric.criteria.all()},
            )
            task = open_task_for_application(application)
            flow_services.decision_record(task_pk=task.pk, user=secretary, outcome="granted",
                                          amount=Decimal("25000"), conditions="Slutrapport senast 30 dagar "
                                          "efter projektets slut.", motivation="Uppfyller fondens syfte väl.")
            if stage == "granted":
                continue
            self._carry_out_and_publish(application, applicant, secretary, today)

    def _carry_out_and_publish(self, application, applicant, secretary, today):
        """The final report (with consent to publication) and its approval; then a published good practice."""
        task = open_task_for_application(application)
        flow_services.final_report_submit(task_pk=task.pk, user=applicant, data={
            "started_on": today - timedelta(days=90), "ended_on": today - timedelta(days=10),
            "activities_done": "Tio samtalskvällar i föreningens lokal med samtalsledare och gemensam fika.",
            "participants_women": 14, "participants_men": 11, "participants_other": 1,
            "participants_newcomers": 13, "participants_established": 13, "trainers_women": 1, "trainers_men": 1,
            "survey_share": 76, "lessons": "Små grupper och samma tid varje vecka gjorde att deltagarna kom tillbaka.",
            "publish_consent": True,
            "costs": [{"budget_line": line.pk, "amount": line.amount, "comment": ""}
                      for line in application.budget_lines.all()],
            "extra_costs": [],
            "activities": [{"activity": a.pk, "status": "done", "comment": ""} for a in application.activities.all()],
            "extra_activities": [],
        })
        task = open_task_for_application(application)
        flow_services.report_approval_record(task_pk=task.pk, user=secretary, approve=True)
        practice = catalogue_services.practice_prepare(application_id=application.pk, user=secretary)
        catalogue_services.practice_update(
            practice_id=practice.pk, user=secretary, version=practice.version,
            values={"what_was_done": "Tio samtalskvällar där nyanlända och etablerade kalmarbor möttes i små "
                                     "grupper med en samtalsledare. Dialogerna handlade om vardag, arbete och "
                                     "föreningsliv.",
                    "for_whom": "Nyanlända och etablerade invånare i Kalmar, kvinnor och män."},
            themes=list(practice.themes.all()), criteria=list(practice.criteria.all()),
            shown={"organisation_name", "municipality", "fund", "year", "themes", "what_was_done", "for_whom",
                   "participants", "survey_share", "lessons", "criteria"}, texts_checked=True)
        catalogue_services.practice_publish(practice_id=practice.pk, user=secretary)

    def _print(self, logins):
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins (only for this demo installation):"))
        for email, _name, role in DEMO_USERS:
            info = logins.get(email)
            label = str(roles.LABELS.get(role, "Admin")) if role else "Admin"
            password = info["password"] if info else "(changed by the user)"
            self.stdout.write(f"  {label:<20} {email:<28} {password}")
        self.stdout.write(f"Staff log in with a second factor: TOTP secret {DEMO_TOTP_SECRET} in any authenticator "
                          "app, or `python manage.py totp_code` for the current code.")
