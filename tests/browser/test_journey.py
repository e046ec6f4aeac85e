"""One application from sign-up to closed in Chromium, clicking only what the pages offer: the applicant's part
with the keyboard alone (sign-up, e-mail confirmation, organisation, application, completion with an upload
between edits, final report), the staff's part as staff click it (check with completion, re-check, review,
grant with the button that names the amount, report approval)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from tests.browser import pages
from tests.browser.conftest import DEMO_PASSWORD, SUMMARY
from tests.browser.keyboard import Keyboard
from tests.factories import luhn_org_number

# The live server needs committed data (transaction=True); serialized_rollback brings back what the migrations
# put in (roles, municipalities) after the other browser test flushed the tables.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "Ett-långt-lösenord-för-Karin-7"


def staff_page(chromium, base_url, user, problems):
    context = pages.new_context(chromium, language="sv", base_url=base_url)
    page = context.new_page()
    pages.watch(page, problems)
    pages.log_in(page, user.email, DEMO_PASSWORD)
    return page


def claim_open_task(page, application_title):
    """From the inbox: take the task of this application and open it."""
    page.goto("/uppgifter/")
    row = page.locator("tr", has_text=application_title).filter(has=page.locator("button"))
    row.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/uppgifter/" in page.url


def test_one_application_from_sign_up_to_closed(chromium, live_server, demo, tmp_path):
    from grants.models import Application, Call
    from workflows.models import ApplicationProcess

    base_url = live_server.url
    problems = pages.Problems()
    call = Call.objects.get(fund__slug="dialogpotten")
    title = "Språkcafé i Nybro"

    # -- the applicant, keyboard only -------------------------------------------------------------------
    context = pages.new_context(chromium, language="sv", base_url=base_url)
    page = context.new_page()
    pages.watch(page, problems)
    keys = Keyboard(page)
    page.goto("/")
    keys.follow(f"main a[href='/utlysningar/{call.pk}/']")
    keys.follow(f"main a[href='/ansokningar/ny/{call.pk}/']")
    assert page.url.startswith(f"{base_url}/konto/login/")
    keys.follow("main a[href^='/konto/signup/']")
    keys.type("input[name=full_name]", "Karin Karlsson")
    keys.type("input[name=email]", "karin@example.org")
    keys.type("input[name=password1]", NEW_PASSWORD)
    keys.type("input[name=password2]", NEW_PASSWORD)
    keys.follow("main form button[type=submit]")
    assert "/konto/confirm-email/" in page.url, page.url

    message = next(m for m in reversed(mail.outbox) if m.to == ["karin@example.org"])
    assert message.body.startswith("Hej från Potten!")
    link = re.search(r"https?://\S+/konto/confirm-email/\S+", message.body).group(0)
    page.goto(link)  # she opens the link in the mail
    keys.follow("main form button[type=submit]")
    # logged in, and back on the way to the application: first the organisation
    assert "/organisation/ny/" in page.url, page.url
    keys.type("input[name=name]", "Nybro Språkvänner")
    keys.type("input[name=org_number]", luhn_org_number("802479123"))
    keys.select("select[name=municipality]", "Nybro")
    keys.select("select[name=kind]", value="association")
    keys.follow("main form button[type=submit]")
    assert f"/ansokningar/ny/{call.pk}/" in page.url, page.url
    keys.follow("main form button[type=submit]")
    assert re.search(r"/ansokningar/\d+/redigera/$", page.url), page.url
    application = Application.objects.get(title="", organisation__name="Nybro Språkvänner")

    start, end = timezone.localdate() + timedelta(days=40), timezone.localdate() + timedelta(days=120)
    texts = {
        "title": title, "summary": "Veckoträffar där nyanlända och etablerade samtalar.",
        "problem": "Få mötesplatser.", "motivation": "En fast mötesplats behövs.",
        "similar_projects": "Biblioteket; vi samarbetar.", "anchoring": "Styrelsebeslut.",
        "goals": "Fler möten.", "indicators": "60 % anger ökad kunskap.",
        "target_group": "Nyanlända och etablerade.", "planned_women": "10", "planned_men": "9",
        "planned_other": "1", "planned_newcomers": "10", "planned_established": "10",
        "accessibility_plan": "Ramp och tolk.", "equal_treatment_plan": "Brett inbjudna.",
        "signatory_name": "Karin Karlsson", "signatory_role": "Ordförande", "signatory_email": "karin@example.org",
        "requested_amount": "24 000",
        "activities-0-description": "Språkcafé varje tisdag", "budget-0-description": "Lokalhyra och fika",
        "budget-0-amount": "24000",
    }
    for name, text in texts.items():
        keys.type(f"#application-form [name='{name}']", text)
    for name, day in (("start_date", start), ("end_date", end), ("activities-0-starts_on", start),
                      ("activities-0-ends_on", end)):
        keys.date(f"#application-form [name='{name}']", day)
    keys.check("#application-form input[name=themes] >> nth=0")
    keys.follow("button[name=submit]")
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED, page.locator(".error-summary").all_inner_texts()

    # -- the case officer asks for completion ---------------------------------------------------------------
    officer = staff_page(chromium, base_url, demo["case_officer"], problems)
    claim_open_task(officer, title)
    officer.locator("button[name=all_met]").click()
    officer.wait_for_load_state()
    officer.fill("textarea[name=comment]", "Beskriv träffarna närmare och bifoga en budget.")
    officer.check("input[name=completion_fields][value=summary]")
    officer.check("input[name=completion_fields][value=attachments]")
    officer.fill("input[name=completion_deadline]", (timezone.localdate() + timedelta(days=14)).isoformat())
    officer.locator("button[name=outcome][value=completion]").click()
    officer.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.COMPLETION

    # -- the applicant completes: types, uploads a file, and the typing is still there --------------------
    page.goto(f"/ansokningar/{application.pk}/")
    keys.follow("main a[href^='/uppgifter/']")
    completed = "Veckoträffar varje tisdag kväll, med samtalsledare och fika."
    keys.type("textarea[name=summary]", completed)
    pdf = tmp_path / "budget.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    keys.focus("input[type=file]")
    page.locator("input[type=file]").set_input_files(str(pdf))  # the file chooser is the system's
    keys.follow("form[enctype='multipart/form-data'] button[type=submit]")
    assert page.locator("textarea[name=summary]").input_value() == completed
    assert page.locator("a", has_text="budget.pdf").count() == 1
    keys.follow("button[form=application-form]:not([name=save])")
    application.refresh_from_db()
    assert (application.status, application.summary) == (Application.Status.SUBMITTED, completed)

    # -- the re-check starts from the last answers; pass ---------------------------------------------------
    claim_open_task(officer, title)
    assert officer.locator("text=budget.pdf").count() >= 1  # the attachment, where the check asks for it
    officer.locator("button[name=outcome][value=pass]").click()
    officer.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.REVIEW

    # -- the reviewer ---------------------------------------------------------------------------------------
    reviewer = staff_page(chromium, base_url, demo["reviewer"], problems)
    reviewer.goto("/bedomning/")
    reviewer.locator("a", has_text=title).first.click()
    reviewer.wait_for_load_state()
    reviewer.check("input[name=conflict][value=no]")
    reviewer.locator("main form button[type=submit]").first.click()
    reviewer.wait_for_load_state()
    for group in reviewer.eval_on_selector_all("input[type=radio][name^=score_]",
                                               "els => [...new Set(els.map(e => e.name))]"):
        reviewer.check(f"input[name={group}][value='4']")
    reviewer.check("input[name=recommendation] >> nth=0")
    reviewer.fill("textarea[name=summary]", "Ett genomtänkt projekt.")
    reviewer.locator("button[name=submit]").click()
    reviewer.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.DECISION, application.status

    # -- the secretary grants with the button that says what it does ---------------------------------------
    secretary = staff_page(chromium, base_url, demo["secretary"], problems)
    claim_open_task(secretary, title)
    grant = secretary.locator("button[name=outcome][value=granted]")
    assert grant.inner_text() == "Bevilja 24\u00a0000\u00a0kr"
    secretary.fill("input[name=amount]", "20000")
    assert grant.inner_text() == "Bevilja 20\u00a0000\u00a0kr"
    secretary.fill("input[name=amount]", "24000")
    grant.click()
    secretary.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.GRANTED

    # -- the applicant's final report, keyboard only ----------------------------------------------------------
    page.goto(f"/ansokningar/{application.pk}/")
    keys.follow("main a[href^='/uppgifter/']")
    keys.date("#report-form [name=started_on]", timezone.localdate() - timedelta(days=30))
    keys.date("#report-form [name=ended_on]", timezone.localdate())
    report = {
        "activities_done": "Tolv träffar.", "participants_women": "11", "participants_men": "9",
        "participants_other": "0", "participants_newcomers": "10", "participants_established": "10",
        "trainers_women": "1", "trainers_men": "1", "survey_share": "70", "lessons": "Kvällar passar bäst.",
        "costs-0-amount": "24000",
    }
    for name, text in report.items():
        keys.type(f"#report-form [name='{name}']", text)
    for radio in page.eval_on_selector_all("#report-form input[type=radio][name$='-status']",
                                           "els => [...new Set(els.map(e => e.name))]"):
        keys.choose(radio, "done")
    keys.check("#report-form input[name=publish_consent]")
    keys.follow("#report-form button[name=submit], button[form=report-form][name=submit]")
    assert application.final_reports.count() == 1, page.locator(".error-summary").all_inner_texts()

    # -- the secretary approves: carried out, closed -------------------------------------------------------
    claim_open_task(secretary, title)
    secretary.locator("button[name=approve][value=yes]").click()
    secretary.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.CARRIED_OUT
    assert ApplicationProcess.objects.get(application=application).status == PROCESS.DONE
    assert not problems.items, "\n".join(problems.items)
    SUMMARY.append(f"browser journey: sign-up → closed; the applicant moved between controls with {keys.presses} "
                   "presses of Tab / Shift+Tab and clicked nothing")


def test_saving_while_an_autosave_is_on_its_way_is_no_edit_conflict(chromium, live_server, demo):
    """The applicant types, the autosave reaches the server (a new version) but its answer is slow, and she
    presses "Save draft" meanwhile: the form waits for the answer and sends the new version, so her save is
    stored instead of being refused as someone else's edit (static/js/application_form.js)."""
    from grants.models import Application

    draft = Application.objects.get(title="Språkcafé i Kalmar", status=Application.Status.DRAFT)
    problems = pages.Problems()
    context = pages.new_context(chromium, language="sv", base_url=live_server.url)
    page = context.new_page()
    pages.watch(page, problems)
    pages.log_in(page, demo["applicant"].email, DEMO_PASSWORD)
    page.goto(f"/ansokningar/{draft.pk}/redigera/")
    page.wait_for_selector("#application-form")
    held = []

    def answer_late(route):  # the request reaches the server; its answer waits until the test lets it go
        held.append((route, route.fetch()))

    page.route(f"**/ansokningar/{draft.pk}/autospara/", answer_late)
    page.fill("#application-form [name=summary]", "Veckoträffar i biblioteket.")
    for _poll in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "no autosave was sent"
    draft.refresh_from_db()
    assert draft.summary == "Veckoträffar i biblioteket." and draft.version >= 2  # stored: a new version
    page.fill("#application-form [name=summary]", "Veckoträffar i biblioteket, varje tisdag.")
    page.locator("#application-form button[name=save]").click()
    page.wait_for_timeout(300)
    route, response = held.pop()
    route.fulfill(response=response)
    # the page that comes back: "the draft is saved", or the edit conflict's error summary
    page.wait_for_selector(".messages, .error-summary")
    assert not page.locator(".error-summary").count(), page.locator(".error-summary").all_inner_texts()
    draft.refresh_from_db()
    assert draft.summary == "Veckoträffar i biblioteket, varje tisdag."
    assert not problems.items, "\n".join(problems.items)
