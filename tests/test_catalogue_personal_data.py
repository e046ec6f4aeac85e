"""No personal data on any public page, feed or export: every free text of a case (the application, its lists,
the check, the review, the decision, the final report, the approval) and every person's name and address
carries a marker; after staff publish a practice, no marker is found anywhere the public can reach."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from catalogue import services as catalogue
from catalogue.models import Practice
from grants.models import ActivityLine, Application, BudgetLine, Partner
from common.errors import NotAllowed
from reviewers.models import Assignment
from workflows.services import assignment_declare, review_save
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.flow_helpers import all_points, open_task, report_data, submit
from workflows import services

pytestmark = pytest.mark.django_db

MARK = "piimark"


def m(name: str) -> str:
    return f"Piimark-{name}-x"


TEXT_FIELDS = ["title", "summary", "problem", "motivation", "similar_projects", "anchoring", "goals", "indicators",
               "target_group", "accessibility_plan", "equal_treatment_plan", "signatory_name", "signatory_role"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path, "base_url": None}}}


def marked_case(call, people, *, carry_out: bool, n: int) -> Application:
    applicant, officer, reviewer, secretary = people
    organisation = applicant.organisations.get()
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     signatory_email=f"piimark.signatory{n}@example.org",
                                     **{field: m(f"{field}{n}") for field in TEXT_FIELDS})
    ActivityLine.objects.filter(application=application).update(description=m(f"activity{n}"))
    BudgetLine.objects.filter(application=application).update(description=m(f"budget{n}"))
    Partner.objects.create(application=application, position=0, name=m(f"partner{n}"), kind="association",
                           role=m(f"partnerrole{n}"))
    submit(application, applicant)
    results = {pk: ("pass", m(f"point{n}")) for pk, _value in all_points(application).items()}
    services.exante_check_record(task_pk=open_task(application).pk, user=officer, outcome="pass", results=results,
                                 comment=m(f"checkcomment{n}"))
    assignment = Assignment.objects.get(application=application, reviewer=reviewer)
    assignment_declare(assignment_id=assignment.pk, user=reviewer, conflict=False)
    review_save(assignment_id=assignment.pk, user=reviewer, version=0, recommendation="grant",
                summary=m(f"reviewsummary{n}"), submit=True,
                scores={c.pk: (5, False, m(f"score{n}")) for c in assignment.rubric.criteria.all()})
    services.decision_record(task_pk=open_task(application).pk, user=secretary, outcome="granted",
                             amount=Decimal("15000"), conditions=m(f"conditions{n}"), motivation=m(f"motivation{n}"))
    if not carry_out:
        application.refresh_from_db()
        return application
    data = report_data(application, activities_done=m(f"done{n}"), lessons=m(f"lessons{n}"))
    data["costs"] = [{**line, "comment": m(f"costcomment{n}")} for line in data["costs"]]
    data["extra_costs"] = [{"description": m(f"extracost{n}"), "amount": Decimal("0"), "comment": m(f"why{n}")}]
    data["activities"] = [{**line, "status": "changed", "comment": m(f"activitycomment{n}")}
                          for line in data["activities"]]
    data["extra_activities"] = [{"description": m(f"extraactivity{n}"), "starts_on": timezone.localdate(),
                                 "ends_on": None, "comment": m(f"extracomment{n}")}]
    services.final_report_submit(task_pk=open_task(application).pk, user=applicant, data=data)
    services.report_approval_record(task_pk=open_task(application).pk, user=secretary, approve=True,
                                    comment=m(f"approval{n}"))
    application.refresh_from_db()
    return application


def test_no_marker_reaches_any_public_page_feed_or_export(client, call, settings):
    applicant = MembershipFactory(user__role=roles.APPLICANT, user__full_name=m("applicantname"),
                                  user__email="piimark.applicant@example.org").user
    people = (applicant,
              UserFactory(role=roles.CASE_OFFICER, full_name=m("officer"), email="piimark.officer@example.org"),
              UserFactory(role=roles.REVIEWER, full_name=m("reviewer"), email="piimark.reviewer@example.org"),
              UserFactory(role=roles.SECRETARY, full_name=m("secretary"), email="piimark.secretary@example.org"))
    secretary = people[3]
    carried = marked_case(call, people, carry_out=True, n=1)
    granted = marked_case(call, people, carry_out=False, n=2)
    assert (carried.status, granted.status) == ("carried_out", "granted")

    # the copy holds the applicant's texts: it cannot be published before staff have read and confirmed them
    practice = catalogue.practice_prepare(application_id=carried.pk, user=secretary)
    assert MARK in practice.title.lower() and MARK in practice.lessons.lower()
    with pytest.raises(NotAllowed):
        catalogue.practice_publish(practice_id=practice.pk, user=secretary)
    # staff rewrite every text and publish
    rewritten = {"title": "Samtalskvällar i Kalmar", "what_was_done": "Åtta samtalskvällar med dialogerna i fokus.",
                  "for_whom": "Nyanlända och etablerade invånare.", "lessons": "Kvällstid passar bäst.",
                  "organisation_name": practice.organisation_name}
    everything = {"organisation_name", "municipality", "fund", "year", "themes", "what_was_done", "for_whom",
                  "participants", "survey_share", "lessons", "criteria"}
    catalogue.practice_update(practice_id=practice.pk, user=secretary, version=practice.version, values=rewritten,
                              themes=list(practice.themes.all()), criteria=list(practice.criteria.all()),
                              shown=everything, texts_checked=True)
    catalogue.practice_publish(practice_id=practice.pk, user=secretary)
    practice = Practice.objects.get(pk=practice.pk)
    assert practice.is_public and practice.criteria.count() == 9

    year = call.budget_year
    pages = [
        reverse("home"), reverse("catalogue:practice_list"), reverse("catalogue:practice_list") + "?q=dialog",
        reverse("catalogue:practice_list") + f"?municipality=0880&year={practice.year}&theme=languages",
        reverse("catalogue:practice_detail", args=[practice.pk]), reverse("catalogue:practice_map"),
        reverse("catalogue:catalogue_json"), reverse("catalogue:catalogue_csv"), reverse("catalogue:feed"),
        reverse("catalogue:opendata"), reverse("catalogue:opendata_360", args=[year, "json"]),
        reverse("catalogue:opendata_360", args=[year, "csv"]),
    ]
    for language in ("sv", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert MARK not in body.lower(), (url, re.findall(r".{40}piimark.{40}", body, flags=re.I)[:3])
    # and the public pages do show the practice and both grants
    assert "Samtalskvällar i Kalmar" in client.get(reverse("catalogue:practice_detail", args=[practice.pk])).content.decode()
    package = client.get(reverse("catalogue:opendata_360", args=[year, "json"])).json()
    assert len(package["grants"]) == 2
    assert {g["title"] for g in package["grants"]} == {"Samtalskvällar i Kalmar",
                                                       f"{call.fund.name} {granted.case_number}"}
