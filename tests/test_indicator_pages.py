"""The indicator dashboard, its exports (CSV, Excel, PDF, JSON) and the beat mails."""

import csv
import io
import json
import re
from datetime import date

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook
from pypdf import PdfReader

from grants import tasks
from grants.indicators.exports import to_pdf, to_xlsx
from grants.indicators.mail import first_working_day, is_working_day, swedish_holidays
from grants.indicators import compute
from notifications.models import OutboxMessage
from tests.factories import MembershipFactory, UserFactory
from tests.indicator_data import build_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def world(db):
    return build_world()


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " "))


# -- the dashboard --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_the_dashboard_and_exports_refuse_applicants_and_reviewers(client, world, role):
    user = MembershipFactory(user__role=role).user if role == "applicant" else UserFactory(role=role)
    client.force_login(user)
    assert client.get("/indikatorer/").status_code == 403
    for fmt in ("csv", "xlsx", "pdf", "json"):
        assert client.get(f"/indikatorer/dialog-a/2025.{fmt}").status_code == 403
    assert "/indikatorer/" not in client.get("/").content.decode()


def test_the_dashboard_needs_a_login(client, world):
    response = client.get("/indikatorer/")
    assert response.status_code == 302 and "/konto/" in response["Location"]


def test_the_steering_group_sees_targets_charts_tables_and_pipeline(client, world):
    steering = UserFactory(role="steering_group")
    client.force_login(steering)
    assert 'href="/indikatorer/"' in client.get("/").content.decode()  # the menu link
    response = client.get("/indikatorer/?year=2025&fund=dialog-a")
    assert response.status_code == 200
    html = response.content.decode()
    # targets at a glance, both funds
    assert "Dialog A" in html and "Mikro B" in html
    assert re.search(r"Applications received: <span class=\"ind-big\">5</span> of 4", html)
    # charts: inline SVG, accessible, with the same numbers in a table
    svgs = re.findall(r"<svg xmlns[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg and "aria-labelledby=" in svg
        assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    # on a narrow screen each chart scrolls inside its own keyboard-reachable region, labelled by its heading
    regions = re.findall(r'<div class="chart-scroll" role="region" tabindex="0" aria-labelledby="([^"]+)"><svg', html)
    assert len(regions) == 2 and all(f'<h3 id="{heading}">' in html for heading in regions)
    assert "Applications received per month, Dialog A 2025" in html
    assert re.search(r"<th scope=\"row\">December</th>\s*<td class=\"num\">2</td>\s*<td class=\"num\">5</td>", html)
    # the tables
    assert "35,000\xa0kr" in html  # granted
    assert "Pipeline by stage" in html
    # the steering group cannot open the case list, so there are no drill-down links for it
    assert "/arenden/" not in html
    for fmt in ("csv", "xlsx", "pdf", "json"):
        assert f'href="/indikatorer/dialog-a/2025.{fmt}"' in html
    # no script of its own: only the one every page loads (tables as cards on narrow screens)
    assert re.findall(r"<script[^>]*>", html.split("<main", 1)[1]) == ['<script src="/static/js/tables.js" defer>']


def test_staff_get_drill_down_links_to_the_case_list(client, world, case_officer):
    client.force_login(case_officer)
    html = client.get("/indikatorer/?year=2026&fund=dialog-a").content.decode()
    pk = world.fund_a.pk
    assert f'href="/arenden/?fund={pk}"' in html
    assert f'href="/arenden/?fund={pk}&amp;stage=granted"' in html
    # the pipeline today: a6 granted, a8 waiting for the check, a1 and a3 carried out
    assert re.search(r'stage=granted">[^<]+</a></th><td class="num">1</td>', html)
    assert re.search(r'stage=carried_out">[^<]+</a></th><td class="num">2</td>', html)


def test_a_year_without_funds_and_a_bad_year(client, world, secretary):
    client.force_login(secretary)
    html = client.get("/indikatorer/?year=2031").content.decode()
    assert "No fund has a budget for 2031." in html
    assert client.get("/indikatorer/?year=abc").status_code == 200
    assert client.get("/indikatorer/dialog-a/1999.csv").status_code == 404
    assert client.get("/indikatorer/nope/2025.csv").status_code == 404
    assert client.get("/indikatorer/dialog-a/2025.exe").status_code == 404


# -- the exports ------------------------------------------------------------------------------------------------

def test_the_csv_and_json_exports_carry_the_figures(client, world, secretary):
    client.force_login(secretary)
    response = client.get("/indikatorer/dialog-a/2025.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="indikatorer-dialog-a-2025.csv"' in response["Content-Disposition"]
    rows = {row[2]: row[3] for row in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["actuals.applications.received"] == "5"
    assert rows["actuals.amounts.paid"] == "34000.00"
    data = json.loads(client.get("/indikatorer/dialog-a/2025.json").content)
    assert data["actuals"]["applications"]["withdrawn"] == 1
    assert data["status"]["applications"] == "met"


def test_the_excel_file_opens_and_holds_the_figures(client, world, secretary):
    client.force_login(secretary)
    response = client.get("/indikatorer/dialog-a/2025.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "Dialog A 2025"
    by_key = {row[3]: row[2] for row in sheet.iter_rows(values_only=True) if row[3] and str(row[3]).startswith("actuals.")}
    assert by_key["actuals.applications.received"] == 5
    assert by_key["actuals.applications.carried_out"] == 1
    assert by_key["actuals.amounts.granted"] == 35000
    assert by_key["actuals.amounts.returned"] == 1000
    assert by_key["actuals.participants.total"] == 20
    assert by_key["actuals.gender_balance.participants.women_percent"] == 55.0
    assert by_key["actuals.gender_balance.participants.met"] == "Met"
    assert by_key["actuals.median_days.granted"] == 175.0
    targets = [row for row in sheet.iter_rows(values_only=True) if row[0] == "Applications received"]
    assert targets[0][1:3] == (4, 5)
    months = book.worksheets[1]
    rows = list(months.iter_rows(values_only=True))
    assert rows[0][0] == "Month" and rows[12][0] == "December"
    assert [row[1] for row in rows[1:]] == [0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 2]
    assert rows[12][2] == 5 and rows[12][3] == 4  # running total and target line at the year's end


def test_the_pdf_report_is_swedish_and_holds_the_tables_and_charts(client, world, secretary):
    client.force_login(secretary)
    response = client.get("/indikatorer/dialog-a/2025.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title.endswith("2025")
    text = pdf_text(response.content)
    assert "Dialog A 2025" in text
    assert "35 000 kr" in text and "34 000 kr" in text and "67 000 kr" in text  # Swedish number format
    assert "Okt" in text and "Maj" in text and "Oktober" in text  # Swedish months, on the chart and in the table
    assert "Dialog A 2025" in text
    for figure in ("55,0 %", "175,0", "30,5"):
        assert figure in text
    # the chart is drawn (vector paths), not an image
    assert b"/Subtype /Image" not in response.content


def test_the_yearly_pdf_for_every_fund_has_a_page_per_fund(world):
    data = to_pdf([compute(world.fund_a, 2026), compute(world.fund_b, 2026)], year=2026)
    text = pdf_text(data)
    assert "Dialog A 2026" in text and "Mikro B 2026" in text
    assert "13 000 kr" in text and "2 000 kr" in text  # fund B: paid, returned
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    assert to_xlsx(compute(world.fund_b, 2026))[:2] == b"PK"


# -- working days ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("year, first", [
    (2026, date(2026, 1, 2)),  # 1 January is a Thursday: Friday the 2nd
    (2027, date(2027, 1, 4)),  # Friday 1st (holiday), weekend: Monday the 4th
    (2028, date(2028, 1, 3)),  # Saturday 1st: Monday the 3rd
    (2033, date(2033, 1, 3)),  # Saturday 1st
    (2032, date(2032, 1, 2)),  # Thursday 1st
])
def test_the_first_working_day_of_january(year, first):
    assert first_working_day(year, 1) == first


def test_swedish_holidays():
    assert not is_working_day(date(2026, 1, 6))  # trettondedag jul, a Tuesday
    assert not is_working_day(date(2026, 1, 1))
    assert not is_working_day(date(2026, 1, 3))  # Saturday
    assert is_working_day(date(2026, 1, 7))
    assert {date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 14), date(2026, 6, 19)} <= swedish_holidays(2026)
    assert first_working_day(2026, 5) == date(2026, 5, 4)  # 1 May is a Friday


# -- the beat mails: once per period ------------------------------------------------------------------------------

def kinds(kind):
    return OutboxMessage.objects.filter(kind=kind)


def test_the_monthly_status_goes_once_a_month_to_the_steering_group(world, case_officer):
    steering = [UserFactory(role="steering_group", full_name=f"Ledamot {n}") for n in range(2)]
    assert tasks.indicators_monthly_status("2026-11-01") == 0  # a Sunday
    assert tasks.indicators_monthly_status("2026-11-02") == 2
    assert tasks.indicators_monthly_status("2026-11-02") == 0  # run twice: nothing twice
    assert tasks.indicators_monthly_status("2026-11-03") == 0
    assert tasks.indicators_monthly_status("2027-01-04") == 0  # January brings the yearly report instead
    assert tasks.indicators_monthly_status("2026-12-01") == 2
    mails = kinds("indicators_monthly")
    assert mails.count() == 4
    assert {m.recipient for m in mails} == {p.email for p in steering}
    november = mails.filter(dedupe_key__endswith="|2026-11").first()
    assert "Dialog A" in november.body_text and "Mikro B" in november.body_text
    assert "/indikatorer/?year=2026" in november.body_text


def test_the_monthly_status_counts_until_the_end_of_the_month_before(world, settings):
    person = UserFactory(role="steering_group", language="en")
    tasks.indicators_monthly_status("2026-03-02")
    mail = kinds("indicators_monthly").get(recipient=person.email)
    assert "28 Feb 2026" in mail.subject
    # Dialog A at the end of February 2026: 1 application received of 10, 1 carried out of 5.
    assert "Applications received: 1 of 10" in mail.body_text
    assert "Granted and carried out: 1 of 5" in mail.body_text


def test_the_yearly_report_goes_once_with_its_pdf_on_the_first_working_day_of_january(world):
    steering = [UserFactory(role="steering_group") for _ in range(2)]
    assert tasks.indicators_yearly_report("2026-12-31") == 0
    assert tasks.indicators_yearly_report("2027-01-01") == 0  # New Year's Day
    assert tasks.indicators_yearly_report("2027-01-03") == 0  # Sunday
    assert not default_storage.exists("reports/indikatorrapport-2026.pdf")
    assert tasks.indicators_yearly_report("2027-01-04") == 2
    assert tasks.indicators_yearly_report("2027-01-04") == 0
    assert tasks.indicators_yearly_report("2027-01-05") == 0
    mails = kinds("indicators_yearly")
    assert mails.count() == 2 and {m.recipient for m in mails} == {p.email for p in steering}
    for mail in mails:
        assert mail.dedupe_key.endswith("|year-2026")
        assert mail.files == [{"name": "reports/indikatorrapport-2026.pdf", "filename": "indikatorrapport-2026.pdf",
                               "content_type": "application/pdf"}]
    with default_storage.open("reports/indikatorrapport-2026.pdf") as stored:
        text = pdf_text(stored.read())
    assert "Dialog A 2026" in text and "Mikro B 2026" in text and "8 000 kr" in text


def test_the_yearly_mail_goes_out_with_its_attachment(world, mailoutbox):
    UserFactory(role="steering_group")
    tasks.indicators_yearly_report("2027-01-04")
    from notifications.delivery import outbox_send

    for message in kinds("indicators_yearly"):
        if message.status != OutboxMessage.Status.SENT:
            outbox_send(message.pk)
    sent = [m for m in mailoutbox if "2026" in m.subject]
    assert sent and sent[-1].attachments[0][0] == "indikatorrapport-2026.pdf"
    assert sent[-1].attachments[0][1][:4] == b"%PDF"


def test_staff_are_warned_once_a_month_when_a_target_is_behind(world, case_officer, secretary):
    UserFactory(role="steering_group")
    # 30 June 2026: both of Dialog A's targets are behind; Mikro B has carried out 1 of 3, on its
    # pace (1.49 expected by now: not a whole case behind).
    assert tasks.indicators_behind_warning("2026-06-27") == 0  # Saturday
    assert tasks.indicators_behind_warning("2026-06-30") == 6  # 2 targets × 3 staff (world.staff is a secretary)
    assert tasks.indicators_behind_warning("2026-06-30") == 0
    assert tasks.indicators_behind_warning("2026-06-29") == 0  # the same month
    mails = kinds("indicators_behind")
    assert {m.recipient for m in mails} == {case_officer.email, secretary.email, world.staff.email}
    assert {m.dedupe_key.split("|")[-1] for m in mails} == {
        "behind-2026-06-dialog-a-applications", "behind-2026-06-dialog-a-carried_out"}
    assert "Dialog A" in mails.first().subject
    # On track in January: nothing to warn about.
    assert tasks.indicators_behind_warning("2026-01-30") == 0
