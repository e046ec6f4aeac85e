"""The staff overview ("Ärenden"): every submitted application with its stage, time in stage and
assignee; filters, sorting, counts per stage and pages; a constant number of queries."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from accounts import roles
from accounts.models import User
from grants.models import Application
from tests.factories import (
    ApplicationFactory, CallFactory, FundYearFactory, MembershipFactory, OrganisationFactory, UserFactory,
)
from tests.flow_helpers import all_points, open_task, submit, to_stage
from workflows import overview, services
from workflows import views as workflow_views
from common.paging import page_of
from workflows.case_rows import task_row_html, task_table_html

pytestmark = pytest.mark.django_db

URL = reverse("workflows:case_list")
# The most queries the page may make, whatever the number of applications (measured: see the report): the
# open tasks of the page's rows are one query of their own (no subqueries per row), and the task holders
# one; the page count is the sum of the stage counts (no count of its own).
MAX_QUERIES = 13


@pytest.fixture
def world(applicant, organisation, call, case_officer, reviewer, secretary):
    return SimpleNamespace(applicant=applicant, organisation=organisation, call=call, officer=case_officer,
                           reviewer=reviewer, secretary=secretary)


def make(world, title="Språkcafé", *, stage="exante_check", organisation=None, call=None, amount="20000",
         claimed_by=None, case_number=None, submitted_days_ago=None, stage_days_ago=None):
    """A submitted application whose open step is `stage` (a node name, or "completion")."""
    application = ApplicationFactory(organisation=organisation or world.organisation, call=call or world.call,
                                     created_by=world.applicant, title=title, requested_amount=Decimal(amount))
    if stage == "completion":
        submit(application, world.applicant)
        services.exante_check_record(
            task_pk=open_task(application).pk, user=world.officer, outcome="completion",
            results=all_points(application), comment="Mål.", completion_fields=["goals"],
            completion_deadline=timezone.localdate() + timedelta(days=7),
        )
    else:
        to_stage(application, stage, applicant=world.applicant, officer=world.officer, reviewer=world.reviewer,
                 secretary=world.secretary)
    if claimed_by is not None:
        services.task_claim(task_pk=open_task(application).pk, user=claimed_by)
    changes = {}
    if case_number is not None:
        changes["case_number"] = case_number or None
    now = timezone.now()
    if submitted_days_ago is not None:
        changes["submitted_at"] = now - timedelta(days=submitted_days_ago)
    if stage_days_ago is not None:
        changes["status_changed_at"] = now - timedelta(days=stage_days_ago)
    if changes:
        Application.objects.filter(pk=application.pk).update(**changes)
    application.refresh_from_db()
    return application


def listing(client, user, **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def pks(response):
    return [case.pk for case in response.context["cases"]]


def row(response, application):
    return next(case for case in response.context["cases"] if case.pk == application.pk)


def pagination_links(response) -> list[dict]:
    html = response.content.decode()
    nav = re.search(r'<nav class="pagination"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return [{**parse_qs(urlsplit(unescape(href)).query), "_current": "aria-current" in rest}
            for href, rest in re.findall(r'<a href="([^"]*)"([^>]*)>', nav)]


# -- who may see it -----------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["applicant", "reviewer", "steering"])
def test_only_staff_who_see_all_applications_get_the_page(client, world, steering, persona):
    make(world)
    client.force_login({"applicant": world.applicant, "reviewer": world.reviewer, "steering": steering}[persona])
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("persona", ["officer", "secretary"])
def test_case_officer_and_secretary_see_every_submitted_application_but_no_draft(client, world, draft, persona):
    other = OrganisationFactory()
    MembershipFactory(user=world.applicant, organisation=other)
    first = make(world, "Första")
    second = make(world, "Andra", organisation=other, stage="review")
    response = listing(client, getattr(world, persona))
    assert set(pks(response)) == {first.pk, second.pk}
    assert draft.pk not in pks(response)
    assert response.context["stage_total"] == 2


# -- the columns -----------------------------------------------------------------------------------------

def test_a_row_shows_case_number_stage_days_assignee_step_amount_and_dates(client, world):
    application = make(world, "Läxhjälp", amount="12500", claimed_by=world.officer, case_number="T-2026-0042",
                       stage_days_ago=3)
    response = listing(client, world.officer)
    case = row(response, application)
    assert case.case_number == "T-2026-0042"
    assert case.status_label == "Submitted, awaiting ex-ante check"
    assert case.days_in_stage == 3
    assert (case.assignee_id, case.assignee_name) == (world.officer.pk, "Hugo Handläggare")
    assert str(case.open_step) == "Ex-ante check"
    assert case.open_task_pk == open_task(application).pk
    assert case.may_act is True
    html = response.content.decode()
    assert 'class="table-scroll" role="region" tabindex="0" aria-labelledby="cases-heading"' in html
    assert "T-2026-0042" in html
    assert reverse("workflows:case_detail", args=[application.pk]) in html
    assert reverse("workflows:task", args=[case.open_task_pk]) in html
    assert "Hugo Handläggare" in html
    assert "12,500\xa0kr" in html
    since = case.stage_since
    assert f'<time datetime="{since:%Y-%m-%d}"' in html
    assert application.organisation.name in html and application.call.fund.name in html
    assert application.call.title in html


def test_assignee_and_task_link_follow_who_holds_the_step_and_who_may_act(client, world, case_officer):
    colleague = UserFactory(role=roles.CASE_OFFICER, full_name="")
    mine = make(world, "Min", claimed_by=world.officer)
    theirs = make(world, "Kollegans", claimed_by=colleague)
    waiting = make(world, "Väntar")
    in_review = make(world, "Bedöms", stage="review")
    completing = make(world, "Kompletteras", stage="completion")
    response = listing(client, world.officer)
    rows = {case.pk: case for case in response.context["cases"]}
    assert (rows[mine.pk].assignee_name, rows[mine.pk].may_act) == ("Hugo Handläggare", True)
    # a colleague without a name is shown by e-mail, and the officer may not act on their task
    assert (rows[theirs.pk].assignee_name, rows[theirs.pk].may_act) == (colleague.email, False)
    assert (rows[waiting.pk].assignee_id, rows[waiting.pk].may_act) == (None, True)
    # a review is not the officer's step
    assert (str(rows[in_review.pk].open_step), rows[in_review.pk].may_act) == ("Review", False)
    # the applicant's step: held by the applicant, staff cannot act
    assert rows[completing.pk].is_applicant_step and not rows[completing.pk].may_act
    assert rows[completing.pk].assignee_id == world.applicant.pk
    html = response.content.decode()
    assert "Not taken" in html and "The applicant" in html
    assert reverse("workflows:task", args=[rows[theirs.pk].open_task_pk]) not in html
    assert reverse("workflows:task", args=[rows[waiting.pk].open_task_pk]) in html


# The row of the case list as the template wrote it before workflows/case_rows.py wrote it in Python.
TEMPLATE_ROW = """{% load i18n %}<tr>
      <td>{% if case.case_number %}{{ case.case_number }}{% else %}<span aria-hidden="true">—</span><span class="visually-hidden">{% translate "No case number" %}</span>{% endif %}</td>
      <td><a href="{{ case.url }}">{{ case.label }}</a></td>
      <td>{{ case.organisation_name }}</td>
      <td>{{ case.fund_name }}</td>
      <td>{{ case.call_title }}</td>
      <td>{{ case.status_label }}</td>
      <td class="num"><time datetime="{{ case.stage_since.isoformat }}" title="{{ case.stage_since_title }}">{{ case.days_in_stage }}</time><span class="visually-hidden">{{ case.stage_since_text }}</span></td>
      <td>{% if case.open_step %}{% if case.may_act %}<a href="{{ case.task_url }}">{{ case.open_step }}<span class="visually-hidden">: {{ case.label }}</span></a>{% else %}{{ case.open_step }}{% endif %}{% else %}<span aria-hidden="true">—</span><span class="visually-hidden">{% translate "No open step" %}</span>{% endif %}</td>
      <td>{% if not case.open_task_pk %}<span aria-hidden="true">—</span><span class="visually-hidden">{% translate "Nobody" %}</span>{% elif case.is_applicant_step %}{% translate "The applicant" %}{% if case.assignee_name %} ({{ case.assignee_name }}){% endif %}{% elif case.assignee_name %}{{ case.assignee_name }}{% else %}{% translate "Not taken" %}{% endif %}</td>
      <td class="num">{{ case.amount_text }}</td>
      <td>{% if case.submitted_at %}<time datetime="{{ case.submitted_iso }}">{{ case.submitted_text }}</time>{% endif %}</td>
    </tr>"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_row_written_in_python_is_what_the_template_wrote(client, world, language):
    colleague = UserFactory(role=roles.CASE_OFFICER, full_name="")
    make(world, "Min <b>&</b>", claimed_by=world.officer, case_number="T-2026-0001")
    make(world, "Kollegans", claimed_by=colleague, case_number="")
    make(world, '"Väntar"', amount="1234.50")
    make(world, "Bedöms", stage="review", stage_days_ago=40)
    make(world, "Kompletteras", stage="completion")
    closed = make(world, "Avvisad")
    services.exante_check_record(task_pk=open_task(closed).pk, user=world.officer, outcome="ineligible",
                                 results=all_points(closed), comment="Nej.")
    Application.objects.filter(pk=closed.pk).update(title="")  # shown as untitled
    client.force_login(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(URL)
    template = engines["django"].from_string(TEMPLATE_ROW)
    with translation.override(language):
        for case in response.context["cases"]:
            assert case.row_html == template.render({"case": case}), case.title
    assert len(response.context["cases"]) == 6
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in response.content.decode()


# The parts of the page the template wrote before workflows/case_rows.py and common/paging.py wrote them.
TEMPLATE_PARTS = {
    "stages_html": """{% load i18n %}<ul class="overview-stages" aria-labelledby="stages-heading">
  <li><a href="{% querystring stage=None page=None %}"{% if not form.stage.value %} aria-current="true"{% endif %}>{% translate "All stages" %}: {{ stage_total }}</a></li>
  {% for stage in stage_counts %}
    <li><a href="{% querystring stage=stage.value page=None %}"{% if stage.current %} aria-current="true"{% endif %}>{{ stage.label }}: {{ stage.count }}</a></li>
  {% endfor %}
</ul>""",
    "header_html": """{% load i18n %}{% for column in columns %}
    <th scope="col"{% if column.numeric %} class="num"{% endif %}{% if column.aria_sort %} aria-sort="{{ column.aria_sort }}"{% endif %}>{% if column.key %}<a href="{% querystring sort=column.sort page=None %}">{{ column.label }}<span class="visually-hidden">, {% blocktranslate with order=column.sort_label %}sort: {{ order }}{% endblocktranslate %}</span></a>{% else %}{{ column.label }}{% endif %}</th>{% endfor %}""",
    "rows_html": """{% for case in cases %}
    {{ case.row_html }}{% endfor %}""",
    "pagination_html": """{% load i18n %}{% translate "Pages of cases" as pages_label %}{% include "includes/page_range_pagination.html" with label=pages_label %}""",
}


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("params", [
    {}, {"stage": "review"}, {"stage": ["review", "decision"], "sort": "-amount", "page": "2"},
    {"q": "<script>alert(1)</script>\"'&", "sort": "title", "stage": "nope"}, {"sort": "case", "page": "x"},
    {"assignee": "none", "sort": "-age", "page": "0"}])
def test_the_stages_headers_rows_and_pages_written_in_python_are_what_the_template_wrote(
        client, world, language, params, monkeypatch):
    monkeypatch.setattr(overview, "PAGE_SIZE", 2)
    for n in range(7):
        make(world, f"Ansökan {n} <b>&</b>", stage="review" if n % 3 else "exante_check", amount=str(1000 + n))
    make(world, "Beslut", stage="decision")
    client.force_login(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(URL, params)
    assert response.status_code == 200
    context = response.context
    values = {name: context[name] for name in ("form", "stage_counts", "stage_total", "columns", "cases", "page_obj",
                                               "page_range")}
    values["ellipsis"] = Paginator.ELLIPSIS
    with translation.override(language):
        for name, source in TEMPLATE_PARTS.items():
            expected = engines["django"].from_string(source).render(values, response.wsgi_request)
            assert context[name] == expected, (name, params)
    html = response.content.decode()
    assert "<script>alert" not in html
    if params.get("q"):  # the search is in the form and in every link, escaped; it matches nothing
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in html
        assert "q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26" in html
    else:
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in html


# The row of a task list (the inboxes) as workflows/task_table.html wrote it before it was written in Python.
TEMPLATE_TASK_ROW = """{% load i18n %}<tr>
      <td>{{ task.step }}</td>
      <td><a href="{{ task.url }}">{{ task.application }}</a></td>
      <td>{{ task.organisation }}</td>
      <td><time datetime="{{ task.created_iso }}">{{ task.created_text }}</time></td>
      {% if kind == "others" %}<td>{{ task.owner_name }}</td>{% endif %}
      <td>
        {% if kind == "queue" %}
          <form method="post" action="{{ task.claim_url }}">{{ csrf_input }}
            <button type="submit" class="button secondary">{% translate "Take" %}<span class="visually-hidden"> {{ task.application }}</span></button></form>
        {% elif kind == "mine" %}
          <form method="post" action="{{ task.release_url }}">{{ csrf_input }}
            <button type="submit" class="link-button">{% translate "Release" %}<span class="visually-hidden"> {{ task.application }}</span></button></form>
        {% endif %}
      </td>
    </tr>"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_inbox_row_written_in_python_is_what_the_template_wrote(client, world, language):
    colleague = UserFactory(role=roles.CASE_OFFICER, full_name="")
    make(world, "Min <b>&</b>", claimed_by=world.officer)
    make(world, "Kollegans", claimed_by=colleague)
    make(world, '"Väntar"')
    client.force_login(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("workflows:inbox"))
    template = engines["django"].from_string(TEMPLATE_TASK_ROW)
    csrf = mark_safe('<input type="hidden" name="csrfmiddlewaretoken" value="x">')  # as csrf_input writes it
    rows = [row for name in ("mine", "queue", "others") for row in response.context[name].object_list]
    assert len(rows) == 3
    with translation.override(language):
        take, release = conditional_escape(translation.gettext("Take")), conditional_escape(
            translation.gettext("Release"))
        for row in rows:
            for kind in ("mine", "queue", "others", "applicant"):
                written = task_row_html(row, kind=kind, take=take, release=release, csrf_input=csrf)
                assert written == template.render({"task": row, "kind": kind, "csrf_input": csrf}), (kind, row)
    html = response.content.decode()
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html and 'name="csrfmiddlewaretoken"' in html


# A list of the inbox as workflows/task_table.html wrote it before it was written in Python (task_table_html).
TEMPLATE_TASK_TABLE = """{% load i18n %}
<h2 id="tasks-{{ kind }}">{{ caption }}{% if page.paginator.count %} <span class="count">({{ page.paginator.count }})</span>{% endif %}</h2>
{% if page.paginator.count %}
<div class="table-scroll" role="region" tabindex="0" aria-labelledby="tasks-{{ kind }}"><table class="cards">
  <thead><tr><th scope="col">{% translate "Step" %}</th><th scope="col">{% translate "Application" %}</th>
    <th scope="col">{% translate "Organisation" %}</th><th scope="col">{% translate "Waiting since" %}</th>
    {% if kind == "others" %}<th scope="col">{% translate "Taken by" %}</th>{% endif %}
    <th scope="col"><span class="visually-hidden">{% translate "Actions" %}</span></th></tr></thead>
  <tbody>{% for row in page.rows_html %}
    {{ row }}{% endfor %}
  </tbody>
</table></div>
{% blocktranslate asvar pages_label %}Pages of “{{ caption }}”{% endblocktranslate %}
{% include "includes/pagination.html" with page=page label=pages_label %}
{% else %}<p>{{ empty }}</p>{% endif %}
"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_inbox_list_written_in_python_is_what_the_template_wrote(rf, language):
    template = engines["django"].from_string(TEMPLATE_TASK_TABLE)
    rows = [mark_safe(f"<tr><td>{number}</td></tr>") for number in range(9)]
    with translation.override(language):
        for kind, caption, empty in (("mine", "My tasks", "You have no tasks of your own."),
                                     ("queue", "Waiting to be taken", "No tasks are waiting."),
                                     ("others", "Taken by colleagues", "None."),
                                     ("applicant", "For your organisation", ""),
                                     ("queue", '<b>"Lista" & co</b>', "<i>Inga</i>")):
            caption, empty = translation.gettext(caption), translation.gettext(empty) if empty else ""
            for count, per_page, number in ((0, 2, "1"), (3, 5, "1"), (9, 1, "5"), (9, 2, "9")):
                page = page_of(rf.get("/", {kind: number, "q": "<x>"}), list(range(count)), param=kind,
                               per_page=per_page)
                page.rows_html = rows[:len(page.object_list)]
                written = task_table_html(page, kind=kind, caption=caption, empty=empty)
                assert written == template.render({"page": page, "kind": kind, "caption": caption, "empty": empty}), (
                    kind, count, per_page)


def test_each_inbox_list_pages_on_its_own(client, world, monkeypatch):
    monkeypatch.setattr(workflow_views, "INBOX_PER_PAGE", 1)
    make(world, "Första", claimed_by=world.officer)
    make(world, "Andra", claimed_by=world.officer)
    make(world, "Väntar <1>")
    make(world, "Väntar <2>")
    client.force_login(world.officer)
    response = client.get(reverse("workflows:inbox") + "?queue=2")
    shown = {name: [row.application for row in response.context[name].object_list] for name in ("mine", "queue")}
    assert shown == {"mine": ["Första"], "queue": ["Väntar <2>"]}
    assert (response.context["mine"].number, response.context["queue"].number) == (1, 2)
    html = response.content.decode()
    assert "Väntar &lt;2&gt;" in html and "Väntar &lt;1&gt;" not in html
    # each list's links keep the other list's page
    assert 'href="?queue=2&amp;mine=2"' in html and 'href="?queue=1"' in html
    past_the_end = client.get(reverse("workflows:inbox") + "?mine=9&queue=x")
    assert (past_the_end.context["mine"].number, past_the_end.context["queue"].number) == (2, 1)
    assert [row.application for row in past_the_end.context["mine"].object_list] == ["Andra"]


def test_a_closed_case_has_no_open_step_and_no_assignee(client, world):
    application = make(world, "Avvisad")
    services.exante_check_record(task_pk=open_task(application).pk, user=world.officer, outcome="ineligible",
                                 results=all_points(application), comment="Inte en ideell förening.")
    case = row(listing(client, world.officer), application)
    assert case.status == Application.Status.INELIGIBLE
    assert (case.open_task_pk, case.assignee_id, case.open_step, case.may_act) == (None, None, "", False)


def test_days_in_stage_count_calendar_days_in_stockholm():
    stockholm = ZoneInfo("Europe/Stockholm")
    # 23:30 UTC on 1 March is already 2 March in Stockholm
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert overview.days_in_stage(late_evening, today=date(2026, 3, 5)) == 3
    assert overview.days_in_stage(datetime(2026, 3, 5, 0, 5, tzinfo=stockholm), today=date(2026, 3, 5)) == 0
    # across the change to summer time (29 March 2026)
    assert overview.days_in_stage(datetime(2026, 3, 28, 12, 0, tzinfo=stockholm), today=date(2026, 3, 30)) == 2


# -- filters -----------------------------------------------------------------------------------------------

@pytest.fixture
def spread(world):
    """Two funds, three calls, two organisations, every open stage, some steps taken."""
    colleague = UserFactory(role=roles.CASE_OFFICER, full_name="Cecilia Kollega")
    fund_year_b = FundYearFactory(budget=Decimal("100000"), fund__name="Mikroprojekt")
    call_b = CallFactory(fund=fund_year_b.fund, budget_year=fund_year_b.year, title="Höstens utlysning")
    call_a2 = CallFactory(fund=world.call.fund, budget_year=world.call.budget_year, title="Extra utlysning")
    other = OrganisationFactory(name="Kulturföreningen Norrsken")
    MembershipFactory(user=world.applicant, organisation=other)
    apps = SimpleNamespace(
        a=make(world, "Språkcafé i Kalmar", claimed_by=world.officer, case_number="T-2026-0001"),
        b=make(world, "Läxhjälp", claimed_by=colleague, case_number="T-2026-0002"),
        c=make(world, "Körsång", stage="review", call=call_a2, case_number="T-2026-0003"),
        d=make(world, "Stickcafé", stage="review", organisation=other, case_number="T-2026-0004"),
        e=make(world, "Fotbollsskola", stage="decision", call=call_b, claimed_by=world.secretary,
               case_number="T-2026-0005"),
        f=make(world, "Matlagning", stage="completion", call=call_b, organisation=other, case_number=""),
        g=make(world, "Läsecirkel", call=call_b, case_number="T-2026-0007"),
        h=make(world, "Dans för alla", stage="decision", case_number="T-2026-0008"),
    )
    return SimpleNamespace(apps=apps, colleague=colleague, fund_b=fund_year_b.fund, call_b=call_b,
                           call_a2=call_a2, other=other)


def names(response, spread):
    by_pk = {application.pk: name for name, application in vars(spread.apps).items()}
    return {by_pk[pk] for pk in pks(response)}


def test_no_filter_shows_all(client, world, spread):
    assert names(listing(client, world.officer), spread) == set("abcdefgh")


def test_filter_by_fund(client, world, spread):
    assert names(listing(client, world.officer, fund=spread.fund_b.pk), spread) == {"e", "f", "g"}
    assert names(listing(client, world.officer, fund=world.call.fund_id), spread) == {"a", "b", "c", "d", "h"}


def test_filter_by_call(client, world, spread):
    assert names(listing(client, world.officer, call=spread.call_a2.pk), spread) == {"c"}
    assert names(listing(client, world.officer, call=world.call.pk), spread) == {"a", "b", "d", "h"}


def call_options(response) -> list[str]:
    """The values of the call list's options, in order ("" is "All calls")."""
    select = re.search(r'<select name="call"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_call_list_shows_only_the_chosen_funds_calls(client, world, spread):
    """The call choice is bounded: no fund chosen lists no call (it says to choose a fund), a fund lists its
    own calls, newest first, and a call named alone (a link) lists its fund's calls with it chosen; filtering
    by any call still works, and the filter stays a labelled select."""
    calls_a = {str(world.call.pk), str(spread.call_a2.pk)}
    response = listing(client, world.officer)
    assert call_options(response) == [""]
    assert "Choose a fund and press Show to list its calls." in unescape(response.content.decode())
    assert '<label for="id_call">' in response.content.decode()

    response = listing(client, world.officer, fund=world.call.fund_id)
    assert call_options(response)[0] == "" and set(call_options(response)[1:]) == calls_a
    response = listing(client, world.officer, fund=spread.fund_b.pk)
    assert call_options(response) == ["", str(spread.call_b.pk)]

    response = listing(client, world.officer, call=spread.call_a2.pk)
    assert set(call_options(response)[1:]) == calls_a
    assert f'<option value="{spread.call_a2.pk}" selected>' in response.content.decode()
    assert names(response, spread) == {"c"}
    # A call of another fund than the chosen one is still shown (chosen) and filters: nothing matches both.
    response = listing(client, world.officer, fund=world.call.fund_id, call=spread.call_b.pk)
    assert str(spread.call_b.pk) in call_options(response)
    assert names(response, spread) == set()


def test_the_filter_form_reads_each_list_once(world, spread, django_assert_num_queries):
    """The fund and call lists are read once each and the same rows validate the chosen values: on PostgreSQL in
    one query with the assignees, elsewhere one query each (the assignees, the funds, the fund's calls)."""
    data = {"fund": str(world.call.fund_id), "call": str(spread.call_a2.pk)}
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        form = overview.OverviewFilterForm(data, user=world.officer)
        assert form.filters()["call"] == spread.call_a2 and form.filters()["fund"] == world.call.fund
    assert len(form.fields["call"].widget.choices) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the lists in one query are PostgreSQL's")
def test_the_filter_lists_in_one_query_are_the_lists_read_one_by_one(world, spread):
    """filter_choices (one query, the task holders from the taken staff tasks' own index) gives what the three
    queries of filter_choices_each give: the holders (an inactive one who holds a step, one without a name), the
    funds, the calls of the chosen fund or of the chosen call's fund."""
    nameless = UserFactory(role=roles.SECRETARY, full_name="")
    services.task_claim(task_pk=open_task(make(world, "Tagen", stage="decision")).pk, user=nameless)
    UserFactory(role=roles.CASE_OFFICER, full_name="<b>Ö&</b>")
    User.objects.filter(pk=UserFactory(role=roles.CASE_OFFICER).pk).update(is_active=False)
    spread.colleague.groups.clear()
    User.objects.filter(pk=spread.colleague.pk).update(is_active=False)
    cases = [(None, None), (world.call.fund_id, None), (None, spread.call_b.pk), (spread.fund_b.pk, spread.call_a2.pk),
             (None, 999999), (999999, None)]
    for fund, call in cases:
        together = overview.filter_choices(fund=fund, call=call)
        assert together == overview.filter_choices_each(fund=fund, call=call), (fund, call)
    holders, funds, calls = overview.filter_choices(fund=world.call.fund_id, call=None)
    assert {pk for pk, _label in holders} >= {spread.colleague.pk, nameless.pk, world.officer.pk}
    assert (nameless.pk, nameless.email) in holders and len(calls) == 2 and len(funds) == 2


def test_filter_by_one_or_several_stages(client, world, spread):
    assert names(listing(client, world.officer, stage="review"), spread) == {"c", "d"}
    assert names(listing(client, world.officer, stage=["submitted", "decision"]), spread) == {"a", "b", "e", "g", "h"}
    assert names(listing(client, world.officer, stage="granted"), spread) == set()


def test_filter_by_assignee(client, world, spread):
    assert names(listing(client, world.officer, assignee="me"), spread) == {"a"}
    assert names(listing(client, world.secretary, assignee="me"), spread) == {"e"}
    assert names(listing(client, world.officer, assignee=spread.colleague.pk), spread) == {"b"}
    assert names(listing(client, world.officer, assignee=world.secretary.pk), spread) == {"e"}
    # not taken: a staff step nobody has claimed; the applicant's step is held by the applicant
    not_taken = ["submitted", "completion", "decision"]  # stages whose step one person takes and holds
    assert names(listing(client, world.officer, assignee="none", stage=not_taken), spread) == {"g", "h"}
    assert names(listing(client, world.officer, assignee=world.applicant.pk), spread) == set("abcdefgh")  # no choice


def test_the_assignee_choices_are_staff_who_can_hold_a_step(client, world, spread, steering):
    choices = dict(listing(client, world.officer).context["form"].fields["assignee"].choices)
    assert {"", "none", "me"} <= set(choices)
    people = {key for key in choices if key not in ("", "none", "me")}
    assert people == {str(u.pk) for u in (world.officer, world.secretary, spread.colleague)}


def test_the_assignee_choices_leave_out_inactive_staff_but_keep_whoever_holds_a_step(client, world, spread):
    # given: an inactive case officer, and the colleague who holds a step leaves the role (and is deactivated)
    inactive = UserFactory(role=roles.CASE_OFFICER, full_name="Ivar Inaktiv")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    spread.colleague.groups.clear()
    User.objects.filter(pk=spread.colleague.pk).update(is_active=False)
    # when
    choices = dict(listing(client, world.officer).context["form"].fields["assignee"].choices)
    # then: the holder of a step is still a choice (its cases can be found), the inactive officer is not
    people = [key for key in choices if key not in ("", "none", "me")]
    assert set(people) == {str(u.pk) for u in (world.officer, world.secretary, spread.colleague)}
    assert choices[str(spread.colleague.pk)] == str(spread.colleague)


def test_search_title_organisation_and_case_number_ignoring_case(client, world, spread):
    assert names(listing(client, world.officer, q="CAFÉ"), spread) == {"a", "d"}  # title, even beyond ASCII
    assert names(listing(client, world.officer, q="kalmar"), spread) == {"a"}
    assert names(listing(client, world.officer, q="norrsken"), spread) == {"d", "f"}  # organisation
    assert names(listing(client, world.officer, q="KULTURFÖRENINGEN"), spread) == {"d", "f"}
    assert names(listing(client, world.officer, q="t-2026-0005"), spread) == {"e"}  # case number
    assert names(listing(client, world.officer, q="  0007 "), spread) == {"g"}
    assert names(listing(client, world.officer, q="ingenting"), spread) == set()
    assert names(listing(client, world.officer, q="(.*"), spread) == set()  # the text is not a pattern


def test_filters_combine(client, world, spread):
    response = listing(client, world.officer, fund=spread.fund_b.pk, stage=["submitted", "completion"], q="norrsken")
    assert names(response, spread) == {"f"}


def test_an_invalid_filter_value_is_reported_and_filters_nothing(client, world, spread):
    response = listing(client, world.officer, fund="999999", stage="review")
    assert "fund" in response.context["form"].errors
    assert names(response, spread) == {"c", "d"}
    assert 'role="alert"' in response.content.decode()


# -- counts per stage ----------------------------------------------------------------------------------------

def test_stage_counts_are_exact_and_link_to_the_stage(client, world, spread):
    response = listing(client, world.officer)
    counts = {stage["value"]: stage["count"] for stage in response.context["stage_counts"]}
    assert counts == {"submitted": 3, "completion": 1, "review": 2, "decision": 2, "granted": 0,
                      "report_submitted": 0, "carried_out": 0, "rejected": 0, "ineligible": 0, "withdrawn": 0,
                      "ended": 0}
    assert response.context["stage_total"] == 8
    html = unescape(response.content.decode())
    assert 'href="?stage=review"' in html
    assert "Under review: 2" in html


def test_stage_counts_follow_the_other_filters_but_not_the_stage(client, world, spread):
    response = listing(client, world.officer, fund=spread.fund_b.pk, stage="decision")
    counts = {stage["value"]: stage["count"] for stage in response.context["stage_counts"]}
    assert {k: v for k, v in counts.items() if v} == {"submitted": 1, "completion": 1, "decision": 1}
    current = [stage["value"] for stage in response.context["stage_counts"] if stage["current"]]
    assert current == ["decision"]
    html = unescape(response.content.decode())
    assert f'href="?fund={spread.fund_b.pk}&stage=review"' in html
    assert 'aria-current="true">Awaiting decision: 1' in html


def test_stage_counts_take_one_query(world, spread, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = overview.stage_counts(overview.applications_overview(user=world.officer))
    assert sum(counts.values()) == 8


# -- sorting ------------------------------------------------------------------------------------------------

@pytest.fixture
def sortable(world):
    return SimpleNamespace(
        alfa=make(world, "alfa", amount="5000", case_number="T-2026-0003", submitted_days_ago=5, stage_days_ago=1),
        bravo=make(world, "Bravo", amount="25000", case_number="T-2026-0001", submitted_days_ago=1,
                   stage_days_ago=9),
        charlie=make(world, "Charlie", amount="12000", case_number="", submitted_days_ago=3, stage_days_ago=4),
        delta=make(world, "delta", amount="18000", case_number="T-2026-0002", submitted_days_ago=10,
                   stage_days_ago=0),
    )


@pytest.mark.parametrize(("sort", "order"), [
    ("", ["bravo", "charlie", "alfa", "delta"]),  # default: submitted, newest first
    ("-submitted", ["bravo", "charlie", "alfa", "delta"]),
    ("submitted", ["delta", "alfa", "charlie", "bravo"]),
    ("-age", ["bravo", "charlie", "alfa", "delta"]),  # longest in the stage first
    ("age", ["delta", "alfa", "charlie", "bravo"]),
    ("amount", ["alfa", "charlie", "delta", "bravo"]),
    ("-amount", ["bravo", "delta", "charlie", "alfa"]),
    ("case", ["bravo", "delta", "alfa", "charlie"]),  # no case number: last either way
    ("-case", ["alfa", "delta", "bravo", "charlie"]),
    ("title", ["alfa", "bravo", "charlie", "delta"]),  # regardless of case
    ("-title", ["delta", "charlie", "bravo", "alfa"]),
])
def test_sorting(client, world, sortable, sort, order):
    response = listing(client, world.officer, **({"sort": sort} if sort else {}))
    assert pks(response) == [getattr(sortable, name).pk for name in order]


def test_an_unknown_sort_falls_back_to_newest_first(client, world, sortable):
    response = listing(client, world.officer, sort="organisation__name")
    assert pks(response) == [sortable.bravo.pk, sortable.charlie.pk, sortable.alfa.pk, sortable.delta.pk]
    assert "sort" in response.context["form"].errors


def test_sortable_headers_toggle_the_direction_and_keep_the_filters(client, world, sortable):
    response = listing(client, world.officer, sort="amount", q="a")
    columns = {column["key"]: column for column in response.context["columns"] if column["key"]}
    assert (columns["amount"]["sort"], columns["amount"]["aria_sort"]) == ("-amount", "ascending")
    assert (columns["age"]["sort"], columns["age"]["aria_sort"]) == ("-age", "")
    html = unescape(response.content.decode())
    assert 'aria-sort="ascending"' in html
    assert 'href="?sort=-amount&q=a"' in html


# -- pages ----------------------------------------------------------------------------------------------------

def test_pages_keep_the_filters_and_mark_the_current_page(client, world, monkeypatch):
    monkeypatch.setattr(overview, "PAGE_SIZE", 2)
    made = [make(world, f"Projekt {n}", amount=str(1000 * (n + 1)), submitted_days_ago=n) for n in range(5)]
    make(world, "Annat", stage="review")
    params = {"stage": "submitted", "sort": "amount", "q": "projekt"}
    first = listing(client, world.officer, **params)
    assert pks(first) == [made[0].pk, made[1].pk]
    assert first.context["page_obj"].paginator.num_pages == 3
    links = pagination_links(first)
    assert links, "no pagination links"
    for link in links:
        assert {k: v for k, v in link.items() if k not in ("page", "_current")} == {
            "stage": ["submitted"], "sort": ["amount"], "q": ["projekt"]}
    assert [link["page"] for link in links if link["_current"]] == [["1"]]
    html = first.content.decode()
    assert re.search(r'<nav class="pagination" aria-label="[^"]+">', html)
    assert 'aria-current="page"' in html

    second = listing(client, world.officer, **params, page="2")
    assert pks(second) == [made[2].pk, made[3].pk]
    assert [link["page"] for link in pagination_links(second) if link["_current"]] == [["2"]]
    third = listing(client, world.officer, **params, page="3")
    assert pks(third) == [made[4].pk]
    # a page beyond the last shows the last; nonsense shows the first
    assert pks(listing(client, world.officer, **params, page="99")) == [made[4].pk]
    assert pks(listing(client, world.officer, **params, page="x")) == [made[0].pk, made[1].pk]


# -- a constant number of queries ---------------------------------------------------------------------------------

def populate(world, count):
    """`count` applications in mixed stages, some steps taken; the newest two are with the applicant
    (completion, final report after a grant), so that the first page always holds an applicant's step."""
    special = [("completion", None), ("final_report", None)]
    cycle = [("exante_check", None), ("exante_check", world.officer), ("review", None),
             ("decision", None), ("decision", world.secretary)]
    for n in range(count):
        last = n - (count - len(special))
        stage, holder = special[last] if last >= 0 else cycle[n % len(cycle)]
        make(world, f"Ansökan {n}", stage=stage, claimed_by=holder, amount=str(15000 + n))


FILTERED = {"assignee": "none", "stage": ["submitted", "decision"], "q": "ansökan", "sort": "-age"}


@pytest.mark.parametrize("count", [5, 60])
@pytest.mark.parametrize("filtered", [False, True])
def test_the_page_takes_the_same_number_of_queries_for_5_and_60_applications(
        client, world, count, filtered, django_assert_max_num_queries):
    populate(world, count)
    params = {**FILTERED, "fund": world.call.fund_id, "call": world.call.pk} if filtered else {}
    client.force_login(world.officer)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(URL, params)
    assert response.status_code == 200
    if not filtered:
        assert response.context["stage_total"] == count
        assert len(response.context["cases"]) == min(count, 50)
    else:
        assert response.context["cases"] and all(case.assignee_id is None for case in response.context["cases"])


def test_query_count_does_not_grow(client, world):
    """The exact number, not only the bound: 5 and 60 applications take as many queries."""
    client.force_login(world.officer)
    measured = []
    for total in (5, 60):
        populate(world, total - Application.objects.exclude(status="draft").count())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        measured.append(len(queries))
    assert measured[0] == measured[1] <= MAX_QUERIES


@pytest.mark.parametrize("data", [None, {"fund": "999999", "stage": ["review", "nope"], "q": "<b>&"},
                                  {"call": "1", "assignee": "me", "sort": "-amount"}])
def test_the_filter_fields_written_in_python_are_what_the_field_template_writes(world, spread, data):
    from grants.templatetags.potten import field_html

    template = engines["django"].from_string('{% include "includes/field.html" %}')
    for language in ("sv", "en"):
        with translation.override(language):
            form = overview.OverviewFilterForm(data, user=world.officer)
            form.filters()
            for name in ("q", "fund", "call", "assignee", "sort", "stage"):
                assert field_html(form[name]) == template.render({"field": form[name]}), (language, name)
    if data and "fund" in data:  # the error branch of the template was compared too
        assert "fund" in form.errors
