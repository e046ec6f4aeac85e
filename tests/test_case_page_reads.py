"""The case page, the step pages and the scoring page read what they show with few queries, the same number for a
short history as for a long one: the application's parts (themes, activities, budget, partners, attachments) in one
query (grants.selectors.application_parts_read), the case's tasks once (the open one found among them), the review
summary's scores with their criteria. What they show is what the relations read one by one showed."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from grants.models import (
    ActivityLine, Application, Attachment, BudgetLine, Event, ExAnteCheck, Partner, Payment, Repayment, Theme,
)
from grants.services import ledger
from grants.selectors import application_parts_read, fund_year_balance, fund_year_with_balance
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


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_case_page_shows_the_same_as_when_every_part_was_read_on_its_own(
        client, monkeypatch, draft, applicant, case_officer, reviewer, secretary, fund_year, language):
    """A granted case with payments, a ledger and a claim: the page with its parts read together is the page with
    each relation read by the template itself."""
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    payment = Payment.objects.filter(application=draft).order_by("pk").first()
    ledger.payment_mark_paid(payment_id=payment.pk, user=secretary, paid_on=timezone.localdate(), reference=HOSTILE)
    ledger.repayment_claim(application=draft, amount=Decimal("100.50"), reason=Repayment.Reason.UNSPENT,
                           user=secretary)
    add_parts(draft, applicant, many=2)
    assert draft.ledger.count() >= 2 and draft.payments.count() >= 1 and draft.repayments.count() == 1
    url = reverse("workflows:case_detail", args=[draft.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    count, together = page_queries(client, secretary, url)
    monkeypatch.setattr("workflows.views.application_parts_read", lambda application, also=(): None)
    count_alone, alone = page_queries(client, secretary, url)
    assert without_csrf(together) == without_csrf(alone)
    # each of the eight parts on its own, and whether there is a final report
    assert count_alone == count + 8
    assert HOSTILE not in together
    assert ("100,50" if language == "sv" else "100.50") in together  # the claim's table is shown


def test_the_fund_year_with_its_balance_in_one_query_is_the_balance_of_every_other_page(
        draft, applicant, case_officer, reviewer, secretary, fund_year):
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    payment = Payment.objects.filter(application=draft).order_by("pk").first()
    ledger.payment_mark_paid(payment_id=payment.pk, user=secretary, paid_on=timezone.localdate())
    with CaptureQueriesContext(connection) as queries:
        found, balance = fund_year_with_balance(fund_id=fund_year.fund_id, year=fund_year.year)
    assert len(queries) == 1
    assert found == fund_year
    assert balance == fund_year_balance(fund_year=fund_year)
    assert balance["paid"] > 0 and balance["budget"] == fund_year.budget
    assert fund_year_with_balance(fund_id=fund_year.fund_id, year=fund_year.year + 1) == (None, None)


# What the case page's history tables wrote through the template, before their rows were written in Python.
TASK_ROWS = engines["django"].from_string(
    '{% for task in tasks %}<tr><td>{{ task.flow_task.task_title }}</td><td>{{ task.get_status_display }}</td>\n'
    '    <td>{{ task.owner.get_full_name|default:"–" }}</td><td>{{ task.created|daytime }}</td>'
    '<td>{{ task.finished|daytime|default:"–" }}</td></tr>{% endfor %}')
EVENT_ROWS = engines["django"].from_string(
    '{% for event in events %}<tr><td>{{ event.created_at|daytime:"s" }}</td><td>{{ event.get_kind_display }}</td>\n'
    '    <td>{{ event.actor.get_full_name|default:"–" }}</td><td>{% if event.subject %}'
    '{{ event.subject.get_full_name }}{% if event.message %}: {% endif %}{% endif %}{{ event.message|linebreaksbr }}'
    '</td></tr>{% endfor %}')


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_history_rows_written_in_python_are_what_the_template_wrote(
        draft, applicant, case_officer, reviewer, secretary, language):
    from workflows.case_rows import case_event_rows_html, case_task_rows_html
    from workflows.selectors import tasks_of_application
    from workflows.views import CASE_EVENT_FIELDS

    to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    case_officer.full_name = HOSTILE
    case_officer.save()
    applicant.full_name = ""  # shown by e-mail address
    applicant.save()
    Event.objects.create(application=draft, kind=Event.Kind.SUBMITTED, actor=None, subject=case_officer,
                         message=f"{HOSTILE}\nrad två")
    Event.objects.create(application=draft, kind=Event.Kind.SUBMITTED, actor=applicant, subject=case_officer,
                         message="")
    Event.objects.create(application=draft, kind=Event.Kind.SUBMITTED, actor=case_officer, message="a\r\nb")
    with translation.override(language):
        tasks = list(tasks_of_application(draft))
        events = list(draft.events.select_related("actor", "subject").only(*CASE_EVENT_FIELDS))
        assert len(tasks) >= 4 and any(task.owner is None for task in tasks) and any(t.finished for t in tasks)
        assert case_task_rows_html(tasks) == TASK_ROWS.render({"tasks": tasks})
        shown = case_event_rows_html(events)
        assert shown == EVENT_ROWS.render({"events": events})
        assert HOSTILE not in shown and "<br>" in shown
        assert case_task_rows_html([]) == "" and case_event_rows_html([]) == ""


# What notifications/case_outbox.html wrote for each mail before its rows were written in Python.
MAIL_ROWS = engines["django"].from_string(
    '{% load i18n %}{% for mail in outbox %}<tr>\n'
    '    <td>{{ mail.created_at|daytime }}</td><td>{{ mail.recipient }}</td>\n'
    '    <td>{% if mail.rendered %}{{ mail.subject }}{% else %}{% translate "A reminder; its text is written when it '
    'is sent" %}{% endif %}{% if mail.resent_from_id %}<br><small>{% blocktranslate with name=mail.queued_by.'
    'get_full_name|default:"–" %}Sent again by {{ name }}{% endblocktranslate %}</small>{% endif %}</td>\n'
    '    <td>{{ mail.get_status_display }}{% if mail.digest_id %} <small>({% translate "in the daily summary" %})'
    '</small>{% endif %}{% if mail.last_error %}<br><small>{% translate "Last error:" %} {{ mail.last_error }}'
    '</small>{% endif %}</td>\n'
    '    <td class="num">{{ mail.attempts }}</td>\n'
    '    <td>{{ mail.sent_at|daytime|default:"–" }}</td>\n'
    '    <td>{% if mail.can_resend %}<form method="post" action="{% url \'notifications:resend\' application.pk '
    'mail.pk %}" class="inline-form">{{ csrf }}\n'
    '      <button type="submit" class="link-button" aria-label="{% blocktranslate with subject=mail.subject '
    'recipient=mail.recipient %}Send again: {{ subject }} to {{ recipient }}{% endblocktranslate %}">'
    '{% translate "Send again" %}</button></form>{% else %}–{% endif %}</td>\n'
    '  </tr>{% empty %}<tr><td colspan="7">{% translate "No e-mails." %}</td></tr>{% endfor %}')


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_mail_rows_written_in_python_are_what_the_template_wrote(draft, case_officer, language):
    from django.utils.safestring import mark_safe

    from workflows.case_rows import case_mail_rows_html
    from workflows.views import CASE_MAIL_FIELDS

    csrf = mark_safe('<input type="hidden" name="csrfmiddlewaretoken" value="x">')
    assert case_mail_rows_html([], application_pk=draft.pk, csrf_input=csrf) == MAIL_ROWS.render(
        {"outbox": [], "application": draft, "csrf": csrf})
    now = timezone.now()
    sent = OutboxMessage.objects.create(dedupe_key="a", recipient="a@example.org", kind="test", application=draft,
                                        subject=HOSTILE, status=OutboxMessage.Status.SENT, attempts=1, sent_at=now)
    OutboxMessage.objects.create(dedupe_key="b", recipient="b@example.org", kind="test", application=draft,
                                 subject=HOSTILE, status=OutboxMessage.Status.FAILED, attempts=1234,
                                 last_error=HOSTILE, resent_from=sent, queued_by=case_officer)
    OutboxMessage.objects.create(dedupe_key="c", recipient="c@example.org", kind="reminder", application=draft,
                                 subject="", rendered=False, resent_from=sent, queued_by=None)
    OutboxMessage.objects.create(dedupe_key="d", recipient="d@example.org", kind="test", application=draft,
                                 subject="Sammanfattning", digest=sent, status=OutboxMessage.Status.SENT,
                                 body_purged_at=now)
    case_officer.full_name = HOSTILE
    case_officer.save()
    with translation.override(language):
        mails = list(draft.outbox.select_related("queued_by").only(*CASE_MAIL_FIELDS))
        shown = case_mail_rows_html(mails, application_pk=draft.pk, csrf_input=csrf)
        assert shown == MAIL_ROWS.render({"outbox": mails, "application": draft, "csrf": csrf})
        assert HOSTILE not in shown and shown.count("<form") == 2 and "<small>" in shown


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_decision_page_shows_the_same_as_when_every_part_was_read_on_its_own(
        client, monkeypatch, draft, applicant, case_officer, reviewer, secretary, language):
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    ExAnteCheck.objects.filter(application=draft).update(comment=f"{HOSTILE}\nmer")
    add_parts(draft, applicant, many=2)
    url = reverse("workflows:task", args=[task.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    count, together = page_queries(client, secretary, url)
    monkeypatch.setattr("workflows.step_views.application_parts_read", lambda application, also=(): None)
    count_alone, alone = page_queries(client, secretary, url)
    assert without_csrf(together) == without_csrf(alone)
    assert count_alone == count + 5  # each of the six parts on its own
    assert HOSTILE not in together and "&lt;script&gt;" in together
