"""Issue 15 over HTTP: the login page, the return after confirming an address, the case page's task button,
attachments and outcome buttons on the step pages, the check's prefill and "mark all as met", the completion
page's draft saving, the favicon and the formatting helpers."""

import json
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from common.formatting import day, daytime, money
from grants.models import Application, Attachment, CheckItemResult, ChecklistItem, Event, ExAnteCheck
from tests.attachment_files import pdf_bytes
from tests.auth_helpers import confirmation_link, logged_in_user_id, signup
from tests.flow_helpers import all_points, open_task, submit, to_stage
from tests.test_attachments import upload
from workflows import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]  # media: files stay out of var/media


# -- formatting: one helper for dates, one for amounts ------------------------------------------------------

@pytest.mark.parametrize(("language", "value", "expected"), [
    ("sv", Decimal("19200"), "19\u00a0200\u00a0kr"),
    ("sv", Decimal("19200.00"), "19\u00a0200\u00a0kr"),
    ("sv", Decimal("19200.50"), "19\u00a0200,50\u00a0kr"),
    ("sv", Decimal("24000"), "24\u00a0000\u00a0kr"),
    ("sv", 0, "0\u00a0kr"),
    ("en", Decimal("19200"), "19,200\u00a0kr"),
    ("en", Decimal("19200.5"), "19,200.50\u00a0kr"),
    ("sv", None, ""),
])
def test_money_writes_kronor_with_ore_only_when_there_are_ore(language, value, expected):
    with translation.override(language):
        assert money(value) == expected


@pytest.mark.parametrize(("language", "expected"), [("sv", "3 dec. 2026"), ("en", "3 Dec 2026")])
def test_day_writes_the_swedish_abbreviation(language, expected):
    with translation.override(language):
        assert day(date(2026, 12, 3)) == expected
        # a moment is written in local time: 23:30 UTC on 2 December is 3 December in Stockholm
        moment = datetime(2026, 12, 2, 23, 30, tzinfo=ZoneInfo("UTC"))
        assert day(moment) == expected
        assert daytime(moment) == f"{expected} 00:30"
        assert daytime(moment, seconds=True) == f"{expected} 00:30:00"


def test_every_swedish_month_abbreviation():
    with translation.override("sv"):
        assert [day(date(2026, month, 1), with_year=False) for month in range(1, 13)] == [
            "1 jan.", "1 feb.", "1 mars", "1 apr.", "1 maj", "1 juni", "1 juli", "1 aug.", "1 sep.", "1 okt.",
            "1 nov.", "1 dec."]


# -- the login page ------------------------------------------------------------------------------------------

def _login_page(client, language):
    client.cookies["django_language"] = language
    response = client.get(reverse("account_login") + "?next=/utlysningar/1/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_login_page_points_who_has_no_account_to_sign_up(client):
    html = _login_page(client, "sv")
    assert "Har du inget konto än? <a href=\"/konto/signup/?next=%2Futlysningar%2F1%2F\">Skapa ett konto</a> först." in html
    assert "Har du redan ett konto" not in html
    html = _login_page(client, "en")
    assert "No account yet? <a href=\"/konto/signup/?next=%2Futlysningar%2F1%2F\">Create an account</a> first." in html


def test_the_login_page_tab_order_is_email_password_button_then_forgot(client):
    html = _login_page(client, "sv")
    main = html[html.index("<main"):]
    order = [main.index(marker) for marker in (
        'name="login"', 'name="password"', 'type="submit" class="button"', 'href="/konto/password/reset/"')]
    assert order == sorted(order)
    assert main.count('href="/konto/password/reset/"') == 1


def test_after_confirming_in_another_browser_the_visitor_goes_where_they_were_going(
        client, password, call, django_capture_on_commit_callbacks):
    going_to = reverse("grants:call_detail", args=[call.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "ny@example.org", password, next_url=going_to)
    assert response.status_code == 302
    link = confirmation_link("ny@example.org")
    assert link.endswith(f"?next=%2Futlysningar%2F{call.pk}%2F")
    other_browser = Client()
    page = other_browser.get(link).content.decode()
    assert f'<input type="hidden" name="next" value="{going_to}">' in page
    response = other_browser.post(link.split("?")[0], {"next": going_to})
    assert (response.status_code, response["Location"]) == (302, going_to)
    assert EmailAddress.objects.get(email="ny@example.org").verified


def test_a_confirmation_link_never_leads_to_another_site(client, password, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ny@example.org", password, next_url="https://evil.example.com/")
    assert "?next=" not in confirmation_link("ny@example.org")


def test_confirming_in_the_browser_of_the_sign_up_logs_in_and_goes_where_the_visitor_was_going(
        client, password, call, django_capture_on_commit_callbacks):
    going_to = reverse("grants:call_detail", args=[call.pk])
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ny@example.org", password, next_url=going_to)
    response = client.post(confirmation_link("ny@example.org"))
    assert response.status_code == 302
    assert response["Location"] == going_to
    assert logged_in_user_id(client) is not None


def test_the_confirmation_mail_greets_from_potten_not_from_a_host(client, password,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ny@example.org", password)
    body = mail.outbox[-1].body
    assert body.startswith("Hej från Potten!")
    assert "127.0.0.1" not in body.splitlines()[0] and "testserver" not in body.splitlines()[0]


# -- the case page's task button -----------------------------------------------------------------------------

def test_the_case_page_links_to_the_open_task_only_for_who_may_open_it(
        client, draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "exante_check", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    task_url = reverse("workflows:task", args=[task.pk])
    case_url = reverse("workflows:case_detail", args=[draft.pk])
    client.force_login(case_officer)
    assert task_url in client.get(case_url).content.decode()
    assert client.get(task_url).status_code == 200
    client.force_login(secretary)
    assert task_url not in client.get(case_url).content.decode()
    assert client.get(task_url).status_code == 404


def test_the_case_officer_gets_no_button_to_a_final_report_task(
        client, draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    client.force_login(case_officer)
    html = client.get(reverse("workflows:case_detail", args=[draft.pk])).content.decode()
    assert reverse("workflows:task", args=[task.pk]) not in html
    assert client.get(reverse("workflows:task", args=[task.pk])).status_code == 404


# -- attachments where staff judge the application -----------------------------------------------------------

def test_the_check_and_decision_pages_show_the_attachments_with_type_and_size(
        client, draft, applicant, case_officer, reviewer, secretary):
    client.force_login(applicant)
    assert upload(client, draft, "budget.pdf", pdf_bytes(), json_reply=True).status_code == 201
    attachment = Attachment.objects.get()
    download = reverse("grants:attachment_download", args=[attachment.pk])
    task = to_stage(draft, "exante_check", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    for user, stage in ((case_officer, "exante_check"), (secretary, "decision")):
        if stage == "decision":
            task = to_stage_from_check(draft, case_officer, reviewer)
        client.force_login(user)
        services.task_claim(task_pk=task.pk, user=user)
        html = client.get(reverse("workflows:task", args=[task.pk])).content.decode()
        row = re.search(r'<a href="' + re.escape(download) + r'">budget\.pdf.*?</tr>', html, re.S)
        assert row, html
        cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
        assert cells == ["PDF", f"{attachment.size // 1024 + 1}\u00a0kB" if attachment.size % 1024 else
                         f"{attachment.size // 1024}\u00a0kB"]
        response = client.get(download)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()


def to_stage_from_check(application, officer, reviewer):
    from tests.flow_helpers import check_pass, review

    check_pass(application, officer)
    review(application, reviewer)
    return open_task(application)


# -- the ex-ante check: prefill, "mark all as met", buttons, past tense, events with outcome -------------

def _check_page(client, task, data=None):
    url = reverse("workflows:task", args=[task.pk])
    return client.post(url, data) if data is not None else client.get(url)


def test_mark_all_as_met_fills_every_point_and_records_nothing(client, draft, applicant, case_officer):
    submit(draft, applicant)
    task = open_task(draft)
    services.task_claim(task_pk=task.pk, user=case_officer)
    client.force_login(case_officer)
    items = list(ChecklistItem.objects.filter(fund_id=draft.call.fund_id, is_active=True))
    response = _check_page(client, task, {"all_met": "1", "comment": "Bra.", f"item_{items[0].pk}_comment": "Ok"})
    assert response.status_code == 200
    form = response.context["form"]
    assert {name: form[name].value() for name in form.fields if re.fullmatch(r"item_\d+", name)} == {
        f"item_{item.pk}": "pass" for item in items}
    assert form["comment"].value() == "Bra."
    assert form[f"item_{items[0].pk}_comment"].value() == "Ok"
    assert ExAnteCheck.objects.count() == 0
    assert Application.objects.get(pk=draft.pk).status == Application.Status.SUBMITTED


def test_a_recheck_starts_from_the_last_checks_answers(client, draft, applicant, case_officer):
    submit(draft, applicant)
    items = list(ChecklistItem.objects.filter(fund_id=draft.call.fund_id, is_active=True))
    results = all_points(draft)
    results[items[0].pk] = ("fail", "Budgeten saknas.")
    services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="completion",
                                 results=results, comment="Lägg till budgeten.", completion_fields=["title"],
                                 completion_deadline=date(2030, 1, 1))
    services.completion_submit(task_pk=open_task(draft).pk, user=applicant, changes={"fields": {"title": "Ny"}})
    task = open_task(draft)
    services.task_claim(task_pk=task.pk, user=case_officer)
    client.force_login(case_officer)
    response = _check_page(client, task)
    form = response.context["form"]
    assert form[f"item_{items[0].pk}"].value() == "fail"
    assert form[f"item_{items[0].pk}_comment"].value() == "Budgeten saknas."
    assert {form[f"item_{item.pk}"].value() for item in items[1:]} == {"pass"}
    html = response.content.decode()
    # past outcomes in the past tense; the buttons say what they do
    assert "Skickad tillbaka för komplettering" in html
    assert re.findall(r'<button type="submit" name="outcome" value="(\w+)"[^>]*>([^<]+)</button>', html) == [
        ("pass", "Skicka vidare till bedömning"), ("completion", "Begär komplettering"),
        ("ineligible", "Avvisa")]


def test_the_events_of_a_check_say_its_outcome(draft, applicant, case_officer):
    submit(draft, applicant)
    with translation.override("sv"):
        services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="pass",
                                     results=all_points(draft), comment="Komplett.")
    event = Event.objects.get(application=draft, kind=Event.Kind.CHECKED)
    assert event.message == "Skickad vidare till bedömning. Komplett."
    assert CheckItemResult.objects.filter(result="pass").count() == len(all_points(draft))


def test_the_decision_buttons_grant_the_amount_or_reject_and_release_stands_apart(
        client, draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    services.task_claim(task_pk=task.pk, user=secretary)
    client.force_login(secretary)
    html = client.get(reverse("workflows:task", args=[task.pk])).content.decode()
    amount = money(draft.requested_amount)
    with translation.override("sv"):
        amount = money(draft.requested_amount)
    assert re.findall(r'<button type="submit" name="outcome" value="(\w+)"[^>]*>([^<]+)</button>', html) == [
        ("granted", f"Bevilja {amount}"), ("rejected", "Avslå")]
    release = html.index(reverse("workflows:release", args=[task.pk]))
    assert release < html.index('id="h-step"')  # at the top of the page, far from the decision's buttons
    assert "Skicka</button>" not in html
    # pressing "Avslå" with a motivation rejects
    response = client.post(reverse("workflows:task", args=[task.pk]), {
        "outcome": "rejected", "amount": "", "conditions": "", "motivation": "Utanför fondens syfte."})
    assert response.status_code == 302
    assert Application.objects.get(pk=draft.pk).status == Application.Status.REJECTED


# -- the completion page keeps what is typed -----------------------------------------------------------------

def _to_completion(draft, applicant, case_officer):
    submit(draft, applicant)
    services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="completion",
                                 results=all_points(draft), comment="Förtydliga sammanfattningen.",
                                 completion_fields=["summary", "attachments"], completion_deadline=date(2030, 1, 1))
    return open_task(draft)


def test_the_completion_page_autosaves_only_the_reopened_fields(client, draft, applicant, case_officer):
    task = _to_completion(draft, applicant, case_officer)
    draft.refresh_from_db()
    client.force_login(applicant)
    url = reverse("workflows:completion_autosave", args=[task.pk])
    html = client.get(reverse("workflows:task", args=[task.pk])).content.decode()
    assert f'data-autosave-url="{url}"' in html
    response = client.post(url, {"version": draft.version, "summary": "En ny sammanfattning.", "title": "Ändrad"})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert (body["ok"], body["version"]) == (True, draft.version + 1)
    application = Application.objects.get(pk=draft.pk)
    assert (application.summary, application.title) == ("En ny sammanfattning.", draft.title)
    assert application.status == Application.Status.COMPLETION
    # the page shows it again (after an upload, for instance)
    assert upload(client, draft, "budget.pdf", pdf_bytes(), json_reply=True).status_code == 201
    assert "En ny sammanfattning." in client.get(reverse("workflows:task", args=[task.pk])).content.decode()


def test_an_old_completion_form_or_another_organisation_changes_nothing(
        client, draft, applicant, other_applicant, case_officer):
    task = _to_completion(draft, applicant, case_officer)
    draft.refresh_from_db()
    url = reverse("workflows:completion_autosave", args=[task.pk])
    client.force_login(applicant)
    response = client.post(url, {"version": draft.version - 1, "summary": "Gammal flik."})
    assert response.status_code == 409
    client.force_login(other_applicant)
    assert client.post(url, {"version": draft.version, "summary": "Inte min."}).status_code == 404
    application = Application.objects.get(pk=draft.pk)
    assert (application.summary, application.version) == (draft.summary, draft.version)


def test_save_draft_on_the_completion_page_keeps_the_text_without_sending(client, draft, applicant, case_officer):
    task = _to_completion(draft, applicant, case_officer)
    draft.refresh_from_db()
    client.force_login(applicant)
    response = client.post(reverse("workflows:task", args=[task.pk]), {
        "version": draft.version, "summary": "Sparad men inte skickad.", "save": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:task", args=[task.pk])
    application = Application.objects.get(pk=draft.pk)
    assert (application.summary, application.status) == ("Sparad men inte skickad.", Application.Status.COMPLETION)
    assert open_task(draft).pk == task.pk


# -- favicon ----------------------------------------------------------------------------------------------------

def test_the_favicon_is_linked_and_answers(client):
    html = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")


def test_the_example_organisation_numbers_pass_the_forms_own_check():
    from django.core.exceptions import ValidationError

    from grants.models import Organisation
    from grants.validators import validate_org_number

    texts = [str(Organisation._meta.get_field("org_number").help_text)]
    with pytest.raises(ValidationError) as refused:
        validate_org_number("12")
    texts.append(refused.value.messages[0])
    examples = [re.search(r"\d{6}-\d{4}", text).group(0) for text in texts]
    assert examples == ["802456-1238", "802456-1238"]
    assert [validate_org_number(example) for example in examples] == [None, None]


# -- the CSV in Swedish Excel's dialect -------------------------------------------------------------------------

def test_the_indicator_csv_in_swedish_excels_dialect(client, secretary, settings, tmp_path):
    from tests.indicator_data import build_world

    settings.MEDIA_ROOT = tmp_path
    build_world()
    client.force_login(secretary)
    response = client.get("/indikatorer/dialog-a/2025.csv?dialect=excel")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="indikatorer-dialog-a-2025-excel.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffFond;År;Avsnitt;Indikator;Värde\r\n")
    rows = [line.split(";") for line in body[1:].split("\r\n") if line]
    assert {len(row) for row in rows} == {5}
    by_label = {row[3]: row[4] for row in rows[1:]}
    assert (by_label["Utbetalt"], by_label["Deltagare: kvinnor (% om bara kvinnor och män räknas)"]) == ("34000", "55,0")
    assert by_label["Inkomna ansökningar (alla, även avvisade och återtagna)"] == "5"
    assert all(row[:2] == ["Dialog A", "2025"] for row in rows[1:])
    # without the request, the CSV stays the machine-readable one (comma, dotted keys)
    plain = client.get("/indikatorer/dialog-a/2025.csv").content.decode()
    assert plain.startswith("fund,year,indicator,value\n")


# -- make run with POTTEN_VAR_DIR: beat keeps its schedule there ----------------------------------------------

@pytest.mark.parametrize(("var_dir", "expected"), [("/srv/potten-var", "/srv/potten-var/celerybeat-schedule"),
                                                   (None, "var/celerybeat-schedule")])
def test_beat_writes_its_schedule_file_under_potten_var_dir(var_dir, expected):
    import os
    import shlex
    import subprocess
    from pathlib import Path

    line = next(line for line in Path("Procfile").read_text().splitlines() if line.startswith("beat:"))
    command = line.split(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if k != "POTTEN_VAR_DIR"} | ({"POTTEN_VAR_DIR": var_dir} if var_dir else {})
    # honcho runs each line through the shell: expand it the same way and read the --schedule argument
    words = subprocess.run(["sh", "-c", f"printf '%s\\n' {command}"], env=env, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert words[words.index("--schedule") + 1] == expected
    assert shlex.split(command)[0] == ".venv/bin/celery"


# -- the accessibility statement, the role's landing page and menu, the workflow diagram -----------------------

def test_the_accessibility_statement_is_linked_from_every_page(client):
    html = client.get(reverse("home")).content.decode()
    assert '<a href="/tillganglighet/">Tillgänglighetsredogörelse</a>' in html
    page = client.get("/tillganglighet/").content.decode()
    assert "<h1>Tillgänglighetsredogörelse</h1>" in page
    assert "lagen (2018:1937) om tillgänglighet till digital offentlig service" in page
    assert "Myndigheten för digital förvaltning (DIGG)" in page


@pytest.mark.parametrize(("role", "landing"), [
    ("case_officer", "/uppgifter/"), ("secretary", "/uppgifter/"), ("reviewer", "/bedomning/"),
    ("steering", "/indikatorer/"), ("applicant", "/ansokningar/")])
def test_each_role_lands_on_its_work(client, request, password, role, landing):
    user = request.getfixturevalue(role)
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert (response.status_code, response["Location"]) == (302, landing)


def test_staff_see_their_grouped_menu_and_not_my_applications(client, case_officer, applicant):
    client.force_login(case_officer)
    html = client.get(reverse("workflows:inbox")).content.decode()
    assert re.findall(r'<span class="nav-group-label" id="nav-[\w-]+">([^<]+)</span>', html) == [
        "Handläggning", "Pengar", "Uppföljning", "Bidrag"]
    assert reverse("grants:my_applications") not in html
    assert '<main id="main" class="wrap wide"' in html
    client.force_login(applicant)
    html = client.get(reverse("grants:my_applications")).content.decode()
    assert reverse("grants:my_applications") in html and reverse("workflows:inbox") not in html
    assert '<main id="main" class="wrap"' in html


def test_the_case_page_shows_viewflows_diagram_with_the_current_step(
        client, draft, applicant, case_officer, reviewer, secretary):
    to_stage(draft, "exante_check", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    client.force_login(case_officer)
    html = client.get(reverse("workflows:case_detail", args=[draft.pk])).content.decode()
    diagram = reverse("workflows:case_diagram", args=[draft.pk])
    assert f'<img src="{diagram}"' in html
    assert "Aktuellt steg: Förhandsbedömning" in html
    response = client.get(diagram)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "Förhandsbedömning" in svg
    assert re.search(r'<g id="exante_check"[^>]* class="new">', svg)  # the open step
    assert re.search(r'<g id="start"[^>]* class="done">', svg)  # the step done
    client.force_login(applicant)
    assert client.get(diagram).status_code == 404
