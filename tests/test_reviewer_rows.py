"""The reviewer's list: its rows written in Python (reviewers/rows.py) are exactly what the template's loops wrote,
in sv and en, with hostile text escaped."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from grants.models import Application
from reviewers import services
from reviewers.models import Assignment
from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"'&"

# The loops of templates/reviewers/home.html before the rows were written in Python.
TEMPLATE_TODO = """{% load i18n %}{% for a in todo %}
    <tr><td><a href="{{ a.url }}">{{ a.application.title }}</a></td><td>{{ a.application.organisation.name }}</td>
      <td>{{ a.application.call.fund.name }}</td>
      <td>{{ a.deadline|day }}{% if a.overdue %} <strong class="error-text">{% translate "overdue" %}</strong>{% elif a.due_soon %} <strong>{% translate "due soon" %}</strong>{% endif %}</td>
      <td>{{ a.status_text }}</td></tr>
  {% endfor %}"""
TEMPLATE_DONE = """{% for a in done %}<li><a href="{{ a.url }}">{{ a.application.title }}</a> – {{ a.application.organisation.name }}</li>{% endfor %}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_written_in_python_are_what_the_template_wrote(client, applicant, call, language):
    reviewer = UserFactory(role="reviewer")
    rubric = services.rubric_for_fund(call.fund)
    call.fund.name = f"Fond {HOSTILE}"
    call.fund.save()
    organisation = OrganisationFactory(name=f"Förening {HOSTILE}")
    today = timezone.localdate()
    for title, days, status in ((f"Försenad {HOSTILE}", -1, "active"), ("", 0, "declaring"), ("Snart", 3, "active"),
                                ("Senare", 40, "declaring"), (f"Klar {HOSTILE}", -5, "submitted"), ("Klar 2", 2, "submitted")):
        application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant, lines=False,
                                         title=title, status=Application.Status.REVIEW, submitted_at=timezone.now())
        Assignment.objects.create(application=application, reviewer=reviewer, rubric=rubric, status=status,
                                  deadline=today + timedelta(days=days))
    client.force_login(reviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("reviewers:home"))
    html = response.content.decode()
    labels = {value: str(label) for value, label in Assignment.Status.choices}
    with translation.override(language):
        mine = Assignment.objects.filter(reviewer=reviewer).select_related(
            "application__organisation", "application__call__fund").order_by("deadline", "pk")
        todo = [a for a in mine if a.status in Assignment.OPEN]
        for a in todo:
            a.url = reverse("reviewers:assignment", args=[a.pk])
            a.status_text = labels[a.status]
            a.overdue = a.deadline < today
            a.due_soon = not a.overdue and a.deadline <= today + timedelta(days=3)
        done = [a for a in mine if a.status == Assignment.Status.SUBMITTED]
        for a in done:
            a.url = reverse("reviewers:assignment", args=[a.pk])
        expected_todo = engines["django"].from_string(TEMPLATE_TODO).render({"todo": todo})
        expected_done = engines["django"].from_string(TEMPLATE_DONE).render({"done": done})
    assert len(todo) == 4 and len(done) == 2
    assert f"<tbody>{expected_todo}</tbody>" in html
    assert f"<ul>{expected_done}</ul>" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in html
    assert html.count("error-text") == 1 and html.count(" <strong>") == 2
