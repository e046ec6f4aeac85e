"""The whole journey through HTTP, as each role would click it."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from grants.models import Application, Decision, Event, FinalReport, LedgerEntry, Municipality, Payment
from grants.selectors import fund_year_balance
from notifications.models import OutboxMessage
from reviewers.models import Assignment, Review
from tests.auth_helpers import login_with_second_factor
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db


def login(client, user, password):
    """Staff log in with their password and a TOTP code (accounts/mfa.py)."""
    response = login_with_second_factor(client, user, password)
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:inbox")  # staff land on their tasks


def open_task(application) -> Task:
    return Task.objects.get(process__applicationprocess__application=application,
                            status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN")


def claim_and_open(client, task):
    response = client.post(reverse("workflows:claim", args=[task.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:task", args=[task.pk])
    response = client.get(reverse("workflows:task", args=[task.pk]))
    assert response.status_code == 200


def application_form_data(application, **overrides):
    """What she types into the empty draft: every field, two themes, two activities and a budget."""
    from grants.models import Theme
    from tests.factories import application_post_data

    data = application_post_data(application)
    data.update({
        "title": "Språkcafé i Nybro", "summary": "Veckoträffar.", "problem": "Få mötesplatser.",
        "motivation": "En fast mötesplats behövs.", "similar_projects": "Biblioteket; vi samarbetar.",
        "anchoring": "Styrelsebeslut.", "goals": "Fler möten.", "indicators": "60 % anger ökad kunskap.",
        "target_group": "Nyanlända och etablerade.", "planned_women": "10", "planned_men": "9",
        "planned_other": "1", "planned_newcomers": "10", "planned_established": "10",
        "accessibility_plan": "Ramp och tolk.", "equal_treatment_plan": "Brett inbjudna.",
        "signatory_name": "Karin", "signatory_role": "Ordförande", "signatory_email": "karin@example.org",
        "requested_amount": "24000", "start_date": "2027-02-01", "end_date": "2027-05-31",
        "themes": [str(pk) for pk in Theme.objects.filter(code__in=["participation", "languages"])
                   .values_list("pk", flat=True)],
        "activities-0-description": "Språkcafé varje tisdag", "activities-0-starts_on": "2027-02-02",
        "activities-0-ends_on": "2027-05-25",
        "budget-0-description": "Lokalhyra", "budget-0-amount": "10000",
        "budget-1-description": "Arvoden", "budget-1-amount": "14000",
    })
    data.update(overrides)
    return data


def test_whole_journey_from_registration_to_closed(client, call, case_officer, reviewer, secretary, password,
                                                   django_capture_on_commit_callbacks):
    # given: a fund that pays half on decision and the rest after the final report; a visitor sees its open call
    call.fund.advance_percent = 50
    call.fund.save()
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert call.title in response.content.decode()

    # when: she registers, verifies her e-mail address and registers her organisation
    with django_capture_on_commit_callbacks(execute=True):  # the verification mail goes out after commit
        response = client.post(reverse("account_signup"), {
            "full_name": "Amina Sökande", "language": "sv", "email": "amina@example.org",
            "password1": password, "password2": password,
        })
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    confirm_url = re.search(r"https?://[^/\s]+(/konto/confirm-email/[^\s]+/)", mail.outbox[0].body).group(1)
    response = client.post(confirm_url)
    assert response.status_code == 302
    response = client.post(reverse("grants:organisation_create"), {
        "name": "Föreningen Mötesplats", "org_number": "802456-1238",
        "municipality": Municipality.objects.get(name="Nybro").pk, "kind": "association",
    })
    assert response.status_code == 302

    # and: starts an application, saves a draft, comes back and submits
    response = client.post(reverse("grants:application_new", args=[call.pk]),
                           {"organisation": response.wsgi_request.user.organisations.get().pk})
    assert response.status_code == 302
    application = Application.objects.get()
    edit_url = reverse("grants:application_edit", args=[application.pk])
    response = client.post(edit_url, application_form_data(application, goals="", save="1"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.title, application.goals) == ("draft", "Språkcafé i Nybro", "")
    assert application.budget_lines.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url, application_form_data(application, submit="1"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert {m.to[0] for m in mail.outbox[1:]} == {"amina@example.org", case_officer.email}
    client.post(reverse("account_logout"))

    # then: the case officer finds it in the queue, claims it and passes the ex-ante check
    login(client, case_officer, password)
    task = open_task(application)
    assert task.flow_task.name == "exante_check"
    assert application.title in client.get(reverse("workflows:inbox")).content.decode()
    claim_and_open(client, task)
    page = client.get(reverse("workflows:task", args=[task.pk]))
    points = [name for name in page.context["form"].fields if name.startswith("item_") and "comment" not in name]
    assert len(points) == 13
    response = client.post(reverse("workflows:task", args=[task.pk]), {
        **{name: "pass" for name in points}, "outcome": "pass", "comment": "Bra.",
    })
    assert response.status_code == 302
    client.post(reverse("account_logout"))

    # and: the reviewer (asked automatically) declares no conflict, then scores every criterion
    response = login_with_second_factor(client, reviewer, password)
    assert response["Location"] == reverse("reviewers:home")
    assignment = Assignment.objects.get(application=application)
    assert assignment.reviewer == reviewer
    page = client.get(reverse("reviewers:assignment", args=[assignment.pk]))
    assert application.problem not in page.content.decode()  # nothing beyond title and organisation yet
    client.post(reverse("reviewers:assignment", args=[assignment.pk]), {"conflict": "no"})
    page = client.get(reverse("reviewers:assignment", args=[assignment.pk]))
    assert application.problem in page.content.decode()
    scores = {f"score_{c.pk}": "4" for c in assignment.rubric.criteria.all()}
    response = client.post(reverse("reviewers:assignment", args=[assignment.pk]), {
        "recommendation": "grant", "summary": "Tydliga mål.", "submit": "1", **scores,
        "version": page.context["form"]["version"].value(),  # 0: no draft yet
    })
    assert response.status_code == 302
    assert Review.objects.get().scores.count() == assignment.rubric.criteria.count() == 9
    client.post(reverse("account_logout"))

    # and: the secretary grants 20 000 of the 24 000 asked
    login(client, secretary, password)
    task = open_task(application)
    assert task.flow_task.name == "decision"
    claim_and_open(client, task)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("workflows:task", args=[task.pk]), {
            "outcome": "granted", "amount": "20000", "conditions": "Slutrapport i tid.", "motivation": "Bra.",
        })
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.amount, decision.status) == (Decimal("20000"), "effective")
    assert LedgerEntry.objects.get().amount == Decimal("20000")
    letter_mail = mail.outbox[-1]
    assert "20" in letter_mail.body and letter_mail.to == ["amina@example.org"]
    (filename, pdf, content_type), = letter_mail.attachments
    assert (content_type, pdf[:5]) == ("application/pdf", b"%PDF-")
    assert filename == f"beslut-{application.case_number}.pdf"

    # and: she records the advance as paid
    advance = Payment.objects.get()
    assert (advance.kind, advance.amount, advance.status) == ("advance", Decimal("10000"), "planned")
    response = client.post(reverse("grants:payment_mark_paid", args=[advance.pk]),
                           {"paid_on": timezone.localdate().isoformat(), "reference": "Ver 123"})
    assert response.status_code == 302
    client.post(reverse("account_logout"))

    # and: the applicant sees her turn and submits the final report
    response = client.post(reverse("account_login"), {"login": "amina@example.org", "password": password})
    assert response["Location"] == reverse("grants:my_applications")
    task = open_task(application)
    assert task.flow_task.name == "final_report"
    detail = client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    assert reverse("workflows:task", args=[task.pk]) in detail
    assert client.get(reverse("workflows:task", args=[task.pk])).status_code == 200
    from tests.flow_helpers import report_post_data

    # the rent cost 8 000 of 10 000, the fees 11 500 of 14 000: 19 500 in all
    response = client.post(reverse("workflows:task", args=[task.pk]),
                           report_post_data(application, spent=["8 000", "11500"]))
    assert response.status_code == 302
    assert FinalReport.objects.get().costs_total == Decimal("19500")
    client.post(reverse("account_logout"))

    # and: the secretary approves the report
    login(client, secretary, password)
    task = open_task(application)
    assert task.flow_task.name == "report_approval"
    claim_and_open(client, task)
    response = client.post(reverse("workflows:task", args=[task.pk]), {"approve": "yes", "comment": ""})
    assert response.status_code == 302

    # and: the rest is paid: what was spent (19 500) minus the advance; the unspent 500 goes back to the fund
    final = Payment.objects.get(kind="final")
    assert (final.amount, final.status) == (Decimal("9500"), "planned")
    client.post(reverse("grants:payment_mark_paid", args=[final.pk]), {"paid_on": timezone.localdate().isoformat()})
    balance = fund_year_balance(fund_year=call.fund.years.get())
    assert balance == {"budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("19500"),
                       "released": Decimal("500"), "available": Decimal("80500")}

    # then: the process is closed and every task has its owner and its times
    application.refresh_from_db()
    assert application.status == Application.Status.CARRIED_OUT
    assert application.case_number == f"{call.fund.case_prefix}-{timezone.localdate().year}-0001"
    assert FinalReport.objects.get().outcome == FinalReport.Outcome.APPROVED
    process = ApplicationProcess.objects.get(application=application)
    assert process.status == PROCESS.DONE
    assert process.finished is not None
    tasks = list(process.task_set.order_by("created", "pk"))
    human = [(t.flow_task.name, t.owner.email) for t in tasks if t.flow_task_type == "HUMAN"]
    assert human == [
        ("exante_check", case_officer.email), ("decision", secretary.email),
        ("final_report", "amina@example.org"), ("report_approval", secretary.email),
    ]
    assert all(t.status == STATUS.DONE and t.finished is not None for t in tasks)
    assert all(t.started is not None for t in tasks if t.flow_task_type == "HUMAN")
    assert list(application.events.values_list("kind", flat=True)) == [
        Event.Kind.CREATED, Event.Kind.SUBMITTED, Event.Kind.TASK_CLAIMED, Event.Kind.CHECKED,
        Event.Kind.REVIEWER_ASSIGNED, Event.Kind.NO_CONFLICT_DECLARED, Event.Kind.REVIEWED, Event.Kind.REVIEW_CLOSED,
        Event.Kind.TASK_CLAIMED,
        Event.Kind.PAYMENT_PLANNED,
        Event.Kind.DECIDED, Event.Kind.PAYMENT_PAID, Event.Kind.REPORT_SUBMITTED, Event.Kind.TASK_CLAIMED,
        Event.Kind.PAYMENT_PLANNED, Event.Kind.MONEY_RETURNED, Event.Kind.REPORT_APPROVED, Event.Kind.PAYMENT_PAID,
    ]
    assert OutboxMessage.objects.filter(application=application).count() == 9
