"""The Django admin, as a superuser over HTTP: records of what happened can be read, never added, changed or
deleted there (the services write them under their locks, with the ledger and the audit trail); a submitted
application's money, status and case number are fixed; configuration stays editable."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from grants import admin_rows
from grants.admin import ApplicationAdmin
from grants.services import ledger
from grants.models import (
    Application, BudgetChange, BudgetLine, Call, CheckItemResult, Decision, Event, ExAnteCheck, FinalReport, Fund,
    LedgerEntry, Payment, Repayment, Theme,
)
from notifications.models import OutboxMessage, ReminderSettings
from reviewers.models import Assignment, Review, ReviewRevision, ReviewSettings, Rubric
from tests.factories import ApplicationFactory, CallFactory, UserFactory
from tests.flow_helpers import open_task, to_stage
from workflows import services

pytestmark = pytest.mark.django_db

RECORDS = [Decision, LedgerEntry, Event, BudgetChange, ExAnteCheck, FinalReport, Review, Payment, Repayment,
           OutboxMessage]
WATCHED = [*RECORDS, CheckItemResult, ReviewRevision, Assignment, Application, BudgetLine]


class FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.data.append((a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.data.append((self._textarea, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value = self.data.pop()
            self.data.append((name, value + data.lstrip("\n") if not value else value + data))


def change_form(client, url, **changes) -> dict:
    """The change form as loaded, with `changes` typed in (single values; multiple selects keep lists)."""
    response = client.get(url)
    assert response.status_code == 200
    parser = FormFields()
    parser.feed(response.content.decode())
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data.pop("csrfmiddlewaretoken", None)
    data.update({name: [str(value)] for name, value in changes.items()})
    return data


def snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Ada Admin")


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def finished_case(draft, applicant, case_officer, reviewer, secretary, fund_year):
    """A case with a record in every table: check, review (changed once after submission), decision, ledger,
    the advance of 15 000 paid, the final report of 14 000 approved (1 000 claimed back), budget change, mail."""
    to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    ReviewRevision.objects.create(review=Review.objects.get(), version=1, content={}, changed_by=reviewer)
    ledger.payment_mark_paid(payment_id=Payment.objects.get(application=draft).pk, user=secretary,
                             paid_on=timezone.localdate())
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=secretary, new_budget=Decimal("120000"),
                                   reason="Regionen skjuter till medel.")
    draft.refresh_from_db()
    return draft


def test_every_record_is_there_to_be_refused(finished_case):
    assert {model.__name__: model.objects.exists() for model in WATCHED} == {m.__name__: True for m in WATCHED}


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_a_record_can_be_read_but_never_added_changed_or_deleted(staff, finished_case, model):
    # given
    record = model.objects.order_by("pk").first()
    before = snapshot()
    # when: every way the admin writes
    add_get = staff.get(admin_url(model, "add"))
    add_post = staff.post(admin_url(model, "add"), {"application": finished_case.pk, "amount": "1"})
    change_get = staff.get(admin_url(model, "change", record.pk))
    change_post = staff.post(admin_url(model, "change", record.pk), {"amount": "1", "message": "ändrad"})
    delete_get = staff.get(admin_url(model, "delete", record.pk))
    delete_post = staff.post(admin_url(model, "delete", record.pk), {"post": "yes"})
    bulk_delete = staff.post(admin_url(model, "changelist"),
                             {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
    # then: readable, and every write refused with nothing changed and no mail queued
    assert staff.get(admin_url(model, "changelist")).status_code == 200
    assert change_get.status_code == 200
    assert b'name="_save"' not in change_get.content  # shown read-only, without a save button
    assert [r.status_code for r in (add_get, add_post, change_post, delete_get, delete_post)] == [403] * 5
    assert bulk_delete.status_code == 200 and b"delete_selected" not in bulk_delete.content  # no such action
    assert snapshot() == before


def test_a_submitted_applications_money_status_and_case_number_are_fixed(staff, finished_case, fund_year):
    # given
    other_call = CallFactory(fund=fund_year.fund, budget_year=fund_year.year)
    url = admin_url(Application, "change", finished_case.pk)
    before = snapshot()
    fixed = {"status": "draft", "case_number": "X-1", "requested_amount": "29999", "call": other_call.pk,
             "organisation": finished_case.organisation_id, "reopened_fields": '["requested_amount"]',
             "budget_lines-0-amount": "1", "report_due_on": "2099-01-01"}
    data = change_form(staff, url, title="Språkcafé i Nybro", **fixed)
    # when
    response = staff.post(url, data)
    # then: the title changed; the money, the process and the budget lines did not
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get(pk=finished_case.pk)
    assert application.title == "Språkcafé i Nybro"
    after = snapshot()
    for row in after["Application"] + before["Application"]:
        row.pop("title"), row.pop("updated_at")
    assert after == before
    assert staff.post(admin_url(Application, "delete", finished_case.pk), {"post": "yes"}).status_code == 403


def test_a_drafts_amount_and_budget_can_still_be_edited_in_the_admin(staff, draft):
    url = admin_url(Application, "change", draft.pk)
    line = draft.budget_lines.first()
    data = change_form(staff, url, requested_amount="12000", **{"budget_lines-0-amount": "12000"})
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db(), line.refresh_from_db()
    assert (draft.requested_amount, line.amount, draft.status, draft.case_number) == (
        Decimal("12000"), Decimal("12000"), "draft", None)


def test_an_assignment_is_read_only_its_deadline_moves_through_the_audited_service(staff, finished_case):
    assignment = Assignment.objects.get()
    url = admin_url(Assignment, "change", assignment.pk)
    before = snapshot()
    assert staff.get(url).status_code == 200
    moved = staff.post(url, {"status": "declaring", "deadline": "2099-01-01"})
    added = staff.get(admin_url(Assignment, "add"))
    deleted = staff.post(admin_url(Assignment, "delete", assignment.pk), {"post": "yes"})
    assert [moved.status_code, added.status_code, deleted.status_code] == [403, 403, 403]
    assert snapshot() == before


@pytest.mark.parametrize("model, field, value", [
    (Fund, "name", "Dialogpotten 2"),
    (Call, "title", "Vårens utlysning"),
    (Theme, "name_en", "Participation and more"),
    (ReminderSettings, "overdue_max", "5"),
    (ReviewSettings, "quorum", "2"),
    (Rubric, "name", "Bedömningsmall"),
    (User, "full_name", "Hugo H. Handläggare"),
    (Group, "name", "Handläggare (ny)"),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_configuration_stays_editable(staff, call, case_officer, model, field, value):
    from workflows.reminders import reminder_settings_by_fund
    from reviewers.services import rubric_for_fund
    from reviewers.services import settings_for_fund as review_settings

    fund = call.fund
    objects = {Fund: fund, Call: call, Theme: Theme.objects.first(),
               ReminderSettings: lambda: reminder_settings_by_fund()[fund.pk],
               ReviewSettings: lambda: review_settings(fund), Rubric: lambda: rubric_for_fund(fund),
               User: case_officer, Group: case_officer.groups.first()}
    obj = objects[model]() if callable(objects[model]) else objects[model]
    url = admin_url(model, "change", obj.pk)
    response = staff.post(url, change_form(staff, url, **{field: value}))
    assert response.status_code == 302, response.content.decode()[:3000]
    obj.refresh_from_db()
    assert str(getattr(obj, field)) == value


# -- the application list's rows, written in Python (grants/admin_rows.py) --------------------------------------

def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_application_lists_rows_are_what_django_writes(staff, call, applicant, organisation, language,
                                                          monkeypatch, settings):
    # given: applications with every kind of cell: text to escape, no title, a blank title, no amount, no
    # submission, decimals with öre, each stage, two calls
    other_call = CallFactory(fund=call.fund, title="Höst <utlysning> & mer")
    titles = ['Språk<script>alert("x")</script> & café', "", "   ", "Läxhjälp", "Körsång"]
    for n, title in enumerate(titles):
        application = ApplicationFactory(organisation=organisation, call=call if n % 2 else other_call,
                                         created_by=applicant, title=title)
        Application.objects.filter(pk=application.pk).update(
            status=["submitted", "review", "decision", "granted", "draft"][n],
            requested_amount=[Decimal("20000"), None, Decimal("1234.50"), Decimal("5"), Decimal("999999.99")][n],
            submitted_at=None if n == 4 else timezone.now())
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = admin_url(Application, "changelist")
    for params in ({}, {"q": "a"}, {"status__exact": "review"}, {"o": "-2"}):
        # when: the list is written by the rows here, and by Django
        written_here = staff.get(url, params)
        with monkeypatch.context() as patched:
            patched.setattr(admin_rows, "_rows", lambda cl: None)
            written_by_django = staff.get(url, params)
        # then: the same page, character for character (but the form's CSRF token), and the rows were ours
        assert written_here.status_code == written_by_django.status_code == 200
        here, django = _without_csrf(written_here.content.decode()), _without_csrf(written_by_django.content.decode())
        assert here == django, params
        rows = admin_rows._rows(written_here.context["cl"])
        assert rows is not None and len(rows) == len(written_here.context["cl"].result_list)
    assert "&lt;script&gt;" in here and "<script>alert" not in here


def test_a_list_with_a_column_not_written_here_is_left_to_django(staff, draft, monkeypatch):
    monkeypatch.setattr(ApplicationAdmin, "list_display", ["__str__", "organisation", "version"])
    response = staff.get(admin_url(Application, "changelist"))
    assert response.status_code == 200
    assert admin_rows._rows(response.context["cl"]) is None
    assert str(draft) in response.content.decode()


# -- the sidebar's list of apps and models, written in Python (grants/admin_nav.py) ------------------------------

def _django_app_list(app_list, path, *, show_changelinks):
    """What Django's admin/app_list.html writes for the same list and path."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    return render_to_string("admin/app_list.html", {"app_list": app_list, "request": RequestFactory().get(path),
                                                    "show_changelinks": show_changelinks})


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("who", ["superuser", "viewer", "nobody"])
def test_the_sidebar_is_what_django_writes(client, superuser, draft, language, who, monkeypatch, settings):
    # given: a superuser (every link), staff who may view some records and change funds (view-only rows, rows
    # without an add link, an app with few models), and staff who may see nothing (the empty list's text)
    from django.contrib.auth.models import Permission

    from grants import admin_nav

    user = superuser
    if who != "superuser":
        user = UserFactory(is_staff=True, full_name="Vera Visare")
        if who == "viewer":
            user.user_permissions.set(Permission.objects.filter(codename__in=[
                "view_application", "view_decision", "change_fund", "add_call", "view_call", "view_outboxmessage"]))
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = ["/admin/", "/admin/grants/", admin_url(Application, "changelist"),
             admin_url(Application, "change", draft.pk), admin_url(Fund, "changelist")]
    for url in pages:
        # when: each page is written with the sidebar written here, and with Django's template
        here = client.get(url)
        with monkeypatch.context() as patched:
            patched.setattr(admin_nav, "app_list_html", _django_app_list)
            django = client.get(url)
        # then: the same page, character for character (but the forms' CSRF tokens)
        assert here.status_code == django.status_code, url
        assert _without_csrf(here.content.decode()) == _without_csrf(django.content.decode()), url
        if here.status_code == 200 and url not in ("/admin/", "/admin/grants/"):  # the index pages have none
            assert 'id="nav-sidebar"' in here.content.decode(), url
    # and the list written here is Django's for every way of calling it (the index page shows the change links)
    app_list = client.get("/admin/").context["available_apps"]
    for path in pages + ["/admin/grants/application/?q=%C3%A5", "/admin/grants/fund/1/change/"]:
        for show_changelinks in (False, True):
            assert (admin_nav.app_list_html(app_list, path, show_changelinks=show_changelinks)
                    == _django_app_list(app_list, path, show_changelinks=show_changelinks)), (path, show_changelinks)


def test_the_fund_filter_lists_what_djangos_lists(staff, call, monkeypatch):
    # given: funds whose names sort differently from their ids, one chosen in the filter
    from grants.admin import CallOfFundFilter
    from tests.factories import FundFactory

    for name in ["Öresundsfonden", "Asylfonden", "<b>Kultur</b> & fritid"]:
        FundFactory(name=name)
    url = admin_url(Application, "changelist")
    for params in ({}, {"call__fund__id__exact": str(call.fund_id)}):
        # when: the list is written with the fund filter here, and with Django's own
        here = staff.get(url, params)
        with monkeypatch.context() as patched:
            patched.setattr(ApplicationAdmin, "list_filter", ["status", "call__fund", CallOfFundFilter])
            django = staff.get(url, params)
        # then: the same page, character for character (but the form's CSRF token)
        assert here.status_code == django.status_code == 200
        assert _without_csrf(here.content.decode()) == _without_csrf(django.content.decode()), params
    assert "&lt;b&gt;Kultur&lt;/b&gt; &amp; fritid" in here.content.decode()


def test_the_filters_are_what_django_writes(staff, call, monkeypatch, settings):
    # given: a second fund with calls (the call filter lists them once a fund is chosen), names to escape
    from tests.factories import FundFactory

    other = CallFactory(fund=FundFactory(name="<i>Kultur</i> & fritid"), title="Vår & höst")
    ApplicationFactory(call=other, title="Körsång")
    url = admin_url(Application, "changelist")
    for language in ("sv", "en"):
        staff.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for params in ({}, {"status__exact": "draft"}, {"call__fund__id__exact": str(other.fund_id)},
                       {"call__fund__id__exact": str(other.fund_id), "call__id__exact": str(other.pk), "q": "å"},
                       {"_facets": "True"}):
            # when: the list is written with the filters written here, and with Django's tag
            here = staff.get(url, params)
            with monkeypatch.context() as patched:
                patched.setattr(admin_rows, "list_filter", lambda cl, spec: admin_rows.admin_list_filter(cl, spec))
                django = staff.get(url, params)
            # then: the same page, character for character (but the form's CSRF token)
            assert here.status_code == django.status_code == 200
            assert _without_csrf(here.content.decode()) == _without_csrf(django.content.decode()), params
            assert 'id="changelist-filter"' in here.content.decode()
    assert "&lt;i&gt;Kultur&lt;/i&gt; &amp; fritid" in here.content.decode()


def test_the_application_search_needs_every_word_in_the_title_the_organisation_or_the_case_number(staff, call):
    """Every word of the admin's search must be found, each in any of the three (on PostgreSQL the longest word
    through the trigram indexes and the others on its matches); regular-expression characters are plain text."""
    from tests.factories import OrganisationFactory

    ronneby = OrganisationFactory(name="Föreningen Ronneby (ideell)")
    kalmar = OrganisationFactory(name="Kalmar språkvänner")
    expected = {
        "both": ApplicationFactory(call=call, organisation=ronneby, title="Språkcafé på lördagar"),
        "title only": ApplicationFactory(call=call, organisation=kalmar, title="Ronneby språkcafé"),
        "one word": ApplicationFactory(call=call, organisation=ronneby, title="Läxhjälp"),
        "case": ApplicationFactory(call=call, organisation=kalmar, title="Simskola"),
        "odd": ApplicationFactory(call=call, organisation=OrganisationFactory(name="Stiftelsen O'Brien 100% \\d"),
                                  title="Kör"),
    }
    Application.objects.filter(pk=expected["case"].pk).update(case_number="DP-2026-0417")

    def found(q):
        response = staff.get("/admin/grants/application/", {"q": q})
        assert response.status_code == 200
        return {name for name, application in expected.items()
                if f"/admin/grants/application/{application.pk}/change/" in response.content.decode()}

    assert found("ronneby språkcafé") == {"both", "title only"}
    assert found("SPRÅKCAFÉ Ronneby lördagar") == {"both"}
    assert found("ronneby") == {"both", "title only", "one word"}
    assert found("0417 kalmar") == {"case"}
    assert found("(ideell) ronneby") == {"both", "one word"}
    assert found("ronneby .*") == set() and found("ideell)") == {"both", "one word"}
    # quotes, percent signs and backslashes are plain text too (PostgreSQL: written into the SQL as literals)
    assert found("o'brien") == found("100%") == found("\\d") == found("100% O'BRIEN kör") == {"odd"}
    assert found("10%0") == found("o''brien") == found("\\\\d") == set()
