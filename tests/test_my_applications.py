""""My applications": each row written in Python is exactly what the template's loop wrote (sv and en, hostile
text escaped), the applicant's open steps are listed with their links, and the page reads as many queries for a
few applications as for many."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts import roles
from grants.models import Application
from grants.views.applicant import application_row_html
from tests.factories import ApplicationFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.flow_helpers import all_points, open_task, submit
from workflows import services

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"'&"

# The row of templates/grants/my_applications.html before it was written in Python.
TEMPLATE_ROW = """<tr>
      <td><a href="{{ application.url }}">{{ application }}</a></td>
      <td>{{ application.organisation.name }}</td>
      <td>{{ application.call.title }}</td>
      <td><span class="status">{{ application.status_text }}</span></td>
      <td>{{ application.updated_at|daytime }}</td>
    </tr>"""


@pytest.fixture
def applications(applicant, organisation, call, case_officer):
    other = OrganisationFactory(name=f"Föreningen {HOSTILE}")
    MembershipFactory(user=applicant, organisation=other)
    call.title = f"Utlysning {HOSTILE}"
    call.save()
    made = [
        ApplicationFactory(organisation=organisation, call=call, created_by=applicant, title=f"Projekt {HOSTILE}"),
        ApplicationFactory(organisation=other, call=call, created_by=applicant, title=""),
        ApplicationFactory(organisation=other, call=call, created_by=applicant, title="Skickad",
                           requested_amount=Decimal("20000")),
        ApplicationFactory(organisation=organisation, call=call, created_by=applicant, title="Kompletteras"),
    ]
    submit(made[2], applicant)
    submit(made[3], applicant)
    services.exante_check_record(
        task_pk=open_task(made[3]).pk, user=case_officer, outcome="completion", results=all_points(made[3]),
        comment="Mål.", completion_fields=["goals"], completion_deadline=timezone.localdate() + timedelta(days=7))
    # moments on different days and at midnight in Stockholm (22:00 UTC in summer time)
    Application.objects.filter(pk=made[0].pk).update(updated_at=timezone.now().replace(
        month=6, day=30, hour=22, minute=0, second=0, microsecond=0))
    return made


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_row_written_in_python_is_what_the_template_wrote(client, applicant, applications, language):
    client.force_login(applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("grants:my_applications"))
    html = response.content.decode()
    template = engines["django"].from_string(TEMPLATE_ROW)
    mine = Application.objects.filter(pk__in=[a.pk for a in applications]).select_related(
        "organisation", "call").order_by("-updated_at", "-pk")
    labels = {value: str(label) for value, label in Application.Status.choices}
    with translation.override(language):
        expected = []
        for application in mine:
            application.url = reverse("grants:application_edit" if application.is_draft
                                      else "grants:application_detail", args=[application.pk])
            application.status_text = labels[application.status]
            expected.append(template.render({"application": application}))
    assert [str(row) for row in response.context["applications"].rows_html] == expected
    assert all(row in html for row in expected)
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in html
    untitled = "Ansökan utan namn" if language == "sv" else "Untitled application"
    assert f">{untitled}</a>" in html


def test_a_row_escapes_every_value():
    row = application_row_html(url=f"/a/{HOSTILE}", label=HOSTILE, organisation=HOSTILE, call=HOSTILE,
                               status=HOSTILE, saved=HOSTILE)
    assert "<script>" not in row and row.count("&lt;script&gt;") == 6


def test_the_open_steps_are_listed_with_their_links(client, applicant, applications):
    client.force_login(applicant)
    response = client.get(reverse("grants:my_applications"))
    task = open_task(applications[3])
    (row,) = response.context["tasks"].object_list
    assert (row["pk"], row["application"], response.context["tasks"].paginator.count) == (task.pk, "Kompletteras", 1)
    assert row["step"] == str(task.flow_task.task_title)
    assert f'<li><a href="{reverse("workflows:task", args=[task.pk])}">{row["step"]}: Kompletteras</a></li>' in (
        response.content.decode())


def test_a_user_without_organisations_reads_no_steps(client, db):
    client.force_login(UserFactory(role=roles.APPLICANT))
    client.get(reverse("grants:my_applications"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("grants:my_applications"))
    assert response.status_code == 200
    assert response.context["tasks"].paginator.count == 0
    assert not [q for q in queries if "viewflow_task" in q["sql"]]
