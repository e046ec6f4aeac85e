"""The case page, the step pages and the scoring page read what they show with few queries, the same number for a
short history as for a long one: the application's parts (themes, activities, budget, partners, attachments) in one
query (grants.selectors.application_parts_read), the case's tasks once (the open one found among them), the review
summary's scores with their criteria. What they show is what the relations read one by one showed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from grants.models import ActivityLine, Application, Attachment, BudgetLine, Event, Partner, Theme
from grants.selectors import application_parts_read
from notifications.models import OutboxMessage
from reviewers.models import Assignment
from tests.flow_helpers import open_task, to_stage

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"'&"

PARTS = engines["django"].from_string(
    '{% load potten_attachments %}{% include "includes/application_facts.html" %}'
    '{% include "grants/attachments_section.html" with attachments=application.attachments.all|of_stage:"application"'
    ' can_edit=False %}')


def add_parts(application, user, *, many: int = 1) -> None:
    """Hostile text in every part a page shows; `many` of each kind."""
    application.themes.set(Theme.objects.order_by("-position")[:3])
    ActivityLine.objects.filter(application=application).delete()
    BudgetLine.objects.filter(application=application).delete()
    Partner.objects.filter(application=application).delete()
    Attachment.objects.filter(application=application).delete()
    start = application.start_date
    for n in range(many):
        ActivityLine.objects.create(application=application, position=2 * n, description=f"{HOSTILE} {n}",
                                    starts_on=start + timedelta(days=n), ends_on=start + timedelta(days=n + 3))
        ActivityLine.objects.create(application=application, position=2 * n + 1, description="", starts_on=None)
        BudgetLine.objects.create(application=application, position=2 * n, description=HOSTILE,
                                  amount=Decimal("1234.50"))
        BudgetLine.objects.create(application=application, position=2 * n + 1, description="Hyra", amount=None)
        Partner.objects.create(application=application, position=n, name=f"{HOSTILE} {n}",
                               kind=Partner.Kind.IDEA_BASED, role=HOSTILE if n % 2 else "")
        for stage in (Attachment.Stage.APPLICATION, Attachment.Stage.REPORT):
            Attachment.objects.create(application=application, file=f"x/{n}-{stage}.pdf",
                                      original_name=f"{HOSTILE}{n}.pdf", content_type="application/pdf",
                                      size=1500 + n, sha256="0" * 64, description=HOSTILE if n % 2 else "",
                                      stage=stage, uploaded_by=user)


@pytest.mark.parametrize("many", [1, 3])
def test_the_parts_read_in_one_query_are_shown_as_the_relations_read_one_by_one_show_them(draft, applicant, many):
    add_parts(draft, applicant, many=many)
    for language in ("sv", "en"):
        with translation.override(language):
            plain = Application.objects.select_related("organisation__municipality").get(pk=draft.pk)
            expected = PARTS.render({"application": plain})
            read = Application.objects.select_related("organisation__municipality").get(pk=draft.pk)
            with CaptureQueriesContext(connection) as reading:
                application_parts_read(read)
            with CaptureQueriesContext(connection) as rendering:
                shown = PARTS.render({"application": read})
            assert len(reading) == 1
            assert len(rendering) == 0
            assert shown == expected
            assert HOSTILE not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
            assert [t.pk for t in read.themes.all()] == [t.pk for t in plain.themes.all()]
            assert [a.pk for a in read.attachments.all()] == [a.pk for a in plain.attachments.all()]
            # a filter on a part still asks the database, as on any prefetched relation
            assert read.attachments.filter(stage=Attachment.Stage.REPORT).count() == many


def test_an_application_without_parts_shows_none(draft, applicant):
    draft.themes.clear()
    ActivityLine.objects.filter(application=draft).delete()
    BudgetLine.objects.filter(application=draft).delete()
    plain = Application.objects.select_related("organisation__municipality").get(pk=draft.pk)
    read = Application.objects.select_related("organisation__municipality").get(pk=draft.pk)
    application_parts_read(read)
    assert PARTS.render({"application": read}) == PARTS.render({"application": plain})


def page_queries(client, user, url) -> tuple[int, str]:
    client.force_login(user)
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.content.decode()


def lengthen(application, user, count: int) -> None:
    """More of everything the case page lists: parts, events, mails (one sent again by someone)."""
    add_parts(application, user, many=count)
    for n in range(count):
        Event.objects.create(application=application, kind=Event.Kind.SUBMITTED, actor=user, subject=user,
                             message=f"{HOSTILE} {n}")
        first = OutboxMessage.objects.create(
            dedupe_key=f"test-{count}-{n}", recipient=f"a{n}@example.org", kind="test",
            application=application, subject=HOSTILE, rendered=True, status=OutboxMessage.Status.SENT)
        OutboxMessage.objects.create(
            dedupe_key=f"test-{count}-{n}-again", recipient=f"a{n}@example.org", kind="test",
            application=application, subject=HOSTILE, rendered=True, resent_from=first, queued_by=user)


def test_the_case_page_takes_as_many_queries_for_a_long_history_as_for_a_short_one(
        client, draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    url = reverse("workflows:case_detail", args=[draft.pk])
    lengthen(draft, case_officer, 1)
    short, html = page_queries(client, secretary, url)
    assert reverse("workflows:task", args=[task.pk]) in html  # the open step, found among the tasks
    lengthen(draft, case_officer, 6)
    long, html = page_queries(client, secretary, url)
    assert long == short
    assert HOSTILE not in html
    assert html.count(f"Skickat igen av {case_officer.get_full_name()}") == 7
    # no button for someone who may not open the step (the case officer on a decision)
    _count, html = page_queries(client, case_officer, url)
    assert reverse("workflows:task", args=[task.pk]) not in html


def test_the_decision_and_scoring_pages_take_as_many_queries_for_many_parts_as_for_few(
        client, draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    assert task.pk == open_task(draft).pk
    assignment = Assignment.objects.get(application=draft, reviewer=reviewer)
    decision_url = reverse("workflows:task", args=[task.pk])
    scoring_url = reverse("reviewers:assignment", args=[assignment.pk])
    add_parts(draft, case_officer, many=1)
    few = page_queries(client, secretary, decision_url)[0], page_queries(client, reviewer, scoring_url)[0]
    add_parts(draft, case_officer, many=5)
    many = page_queries(client, secretary, decision_url)[0], page_queries(client, reviewer, scoring_url)[0]
    assert many == few
