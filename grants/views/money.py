"""Staff pages for the money: fund budgets with their ledger, payments and repayments, decision letters,
corrections and their second approval, ending a grant that will not be carried out."""

from datetime import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.template.backends.utils import csrf_input
from django.shortcuts import redirect, render
from django.db import connection
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants import selectors
from grants.services import ledger
from grants.forms.applications import add_service_errors
from common.paging import page_of, url_for
from grants.models import Decision, FundYear, Payment, Repayment
from grants.views.money_rows import LEDGER_ROW_COLUMNS, form_texts, history_rows_html, ledger_rows_html, money_row_writer
from grants.forms.money import (
    BudgetChangeForm, CorrectionApprovalForm, DecisionCorrectionForm, GrantEndForm, PaymentPaidForm,
    RepaymentReceivedForm,
)
from common.errors import NotAllowed
from common.formatting import day, money_writer
from workflows import services as flow_services


def _require_staff(user):
    if not user.has_perm("grants.view_all_applications"):
        raise PermissionDenied


def _require_budget_reader(user):
    """Staff, and the steering group (who read the budgets and change nothing)."""
    if not (user.has_perm("grants.view_all_applications") or user.has_perm("grants.view_indicators")):
        raise PermissionDenied


def _require_decider(user):
    """Writes on the money: project secretaries only; everyone else gets 403 before anything is looked up."""
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied


@login_required
def fund_years(request):
    _require_budget_reader(request.user)
    years = FundYear.objects.select_related("fund").only("year", "budget", "fund__name").order_by(
        "fund__name", "-year", "pk")
    page = page_of(request, years)
    balances = selectors.fund_year_balances(page.object_list)  # the page's balances in one query
    return render(request, "grants/fund_years.html", {
        "rows": [(fy, balances[fy.pk]) for fy in page.object_list], "page": page,
    })


@login_required
def fund_budget(request, pk: int):
    _require_budget_reader(request.user)
    if request.method not in ("GET", "HEAD"):
        _require_decider(request.user)
    fund_year = FundYear.objects.select_related("fund").filter(pk=pk).first()
    if fund_year is None:
        raise Http404
    may_change = request.user.has_perm("grants.decide_application")
    form = BudgetChangeForm(request.POST or None, initial={"new_budget": fund_year.budget})
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=request.user,
                                               new_budget=form.cleaned_data["new_budget"],
                                               reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The budget is changed."))
                return redirect("grants:fund_budget", fund_year.pk)
        status = 400
    # counted without the rows' joins (a count of a values() query keeps them)
    entries = page_of(request, fund_year.ledger.order_by("-created_at", "-pk").values_list(*LEDGER_ROW_COLUMNS),
                      param="entries", count=fund_year.ledger.count())
    may_see_cases = request.user.has_perm("grants.view_all_applications")
    entries.rows_html = ledger_rows_html(entries.object_list, may_see_cases=may_see_cases, nothing=_("Nothing yet."))
    changes = fund_year.budget_changes.select_related("changed_by").order_by("-changed_at", "-pk")
    return render(request, "grants/fund_budget.html", {
        "fund_year": fund_year, "balance": selectors.fund_year_balance(fund_year=fund_year),
        "entries": entries, "changes": page_of(request, changes, param="changes"),
        "form": form, "may_change": may_change,
    }, status=status)


# What the money lists show of a row and its application, read as values (no model instances): the row's key,
# its application's, the kind (payments) or reason (repayments), the amount, the date shown, the reference and the
# case (title, case number, organisation).
_CASE_FIELDS = ("application__title", "application__case_number", "application__organisation__name")
ROW_COLUMNS = ("pk", "application_id", "choice", "amount", "when", "reference", "title", "case_number",
               "organisation")
# The payments page's histories (paid, paid back): the latest first, in shorter pages than what is still to do,
# and paged back this many pages.
HISTORY_PER_PAGE = 25
HISTORY_PAGES = 200
# The four lists' counts in one query: what is to do in full, the histories up to HISTORY_PAGES pages (from
# their status indexes).
PAYMENTS_COUNTS_SQL = (
    "SELECT (SELECT COUNT(*) FROM {payment} WHERE status = %s),"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM {payment} WHERE status = %s LIMIT %s) paid),"
    " (SELECT COUNT(*) FROM {repayment} WHERE status = %s),"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM {repayment} WHERE status = %s LIMIT %s) received)"
).format(payment=Payment._meta.db_table, repayment=Repayment._meta.db_table)


class MoneyRow:
    """One row of a payments list: ROW_COLUMNS, and what `_money_rows` adds."""

    def __init__(self, values):
        self.__dict__.update(zip(ROW_COLUMNS, values))


@login_required
def payments(request):
    """Four lists, each in pages with its own page parameter: to pay and to be paid back (50 a page), and the
    histories paid and paid back (HISTORY_PER_PAGE a page). Their counts in one query, each page's rows in one."""
    _require_staff(request.user)
    case = ("application_id",)
    planned = Payment.objects.filter(status=Payment.Status.PLANNED).order_by("created_at", "pk").values_list(
        "pk", *case, "kind", "amount", "created_at", "reference", *_CASE_FIELDS)
    paid = Payment.objects.filter(status=Payment.Status.PAID).order_by("-paid_on", "-pk").values_list(
        "pk", *case, "kind", "amount", "paid_on", "reference", *_CASE_FIELDS)
    claims = Repayment.objects.filter(status=Repayment.Status.CLAIMED).order_by("due_on", "pk").values_list(
        "pk", *case, "reason", "amount", "due_on", "reference", *_CASE_FIELDS)
    received = Repayment.objects.filter(status=Repayment.Status.RECEIVED).order_by("-received_on", "-pk").values_list(
        "pk", *case, "reason", "amount", "received_on", "reference", *_CASE_FIELDS)
    # The histories (paid, paid back) grow without end: counted up to HISTORY_PAGES pages, from their index,
    # and paged that far (the page says so); what is still to do is counted in full.
    history = HISTORY_PAGES * HISTORY_PER_PAGE
    with connection.cursor() as cursor:
        cursor.execute(PAYMENTS_COUNTS_SQL, [Payment.Status.PLANNED, Payment.Status.PAID, history,
                                             Repayment.Status.CLAIMED, Repayment.Status.RECEIVED, history])
        planned_count, paid_count, claims_count, received_count = cursor.fetchone()
    today = timezone.localdate()
    may_pay, csrf = request.user.has_perm("grants.decide_application"), csrf_input(request)
    texts = {"money": money_writer(), "untitled": _("Untitled application"), "case_url": url_for("workflows:case_detail"),
             "day": {}}
    kinds, reasons = dict(Payment.Kind.choices), dict(Repayment.Reason.choices)
    lists = {
        "planned": _money_rows(page_of(request, planned, param="planned", count=planned_count), kinds, texts,
                               action="grants:payment_mark_paid"),
        "claims": _money_rows(page_of(request, claims, param="claims", count=claims_count), reasons, texts,
                              action="grants:repayment_mark_received", today=today),
        "paid": _money_rows(page_of(request, paid, param="paid", count=paid_count, per_page=HISTORY_PER_PAGE),
                            kinds, texts),
        "received": _money_rows(page_of(request, received, param="received", count=received_count,
                                        per_page=HISTORY_PER_PAGE), reasons, texts),
    }
    for kind in ("planned", "claims"):
        write = money_row_writer(texts=form_texts(kind), may_pay=may_pay, csrf_input=csrf, today=today.isoformat())
        lists[kind].rows_html = mark_safe(  # noqa: S308 -- every row escaped
            "".join("\n    " + write(row) for row in lists[kind].object_list))
    nothing = _("Nothing yet.")
    for kind in ("paid", "received"):
        lists[kind].rows_html = history_rows_html(lists[kind].object_list, nothing)
    return render(request, "grants/payments.html", {
        **lists,
        "paid_capped": paid_count >= history, "received_capped": received_count >= history,
        "history_rows": history,
        "may_pay": may_pay,
    })


def _money_rows(page, labels: dict, texts: dict, *, action: str | None = None, today=None):
    """The page's rows (values, ROW_COLUMNS) as MoneyRow with what each shows written once, in Python: its links,
    amount, date, case, kind or reason (`labels`: value -> label), and its id as text (a number in a template is
    localized, once for each time it is shown). `texts`: what the page's lists share (the amount's writer, the
    case link, the dates written so far)."""
    case_url, money_text, untitled, days = texts["case_url"], texts["money"], texts["untitled"], texts["day"]
    action_url = url_for(action) if action else None
    rows = []
    for values in page.object_list:
        row = MoneyRow(values)
        row.pk_text = str(row.pk)
        row.choice_text = str(labels.get(row.choice, row.choice))
        row.case_url = case_url(row.application_id)
        row.case_label = row.case_number or row.title or untitled
        row.case_number = row.case_number or ""
        row.amount_text = money_text(row.amount)
        when = row.when
        if when is None:
            row.day_text = ""
        else:
            # day() of a moment writes its local date: one text for each date shown
            shown = timezone.localtime(when).date() if isinstance(when, datetime) else when
            if shown not in days:
                days[shown] = day(shown)
            row.day_text = days[shown]
        row.overdue = today is not None and when is not None and when < today
        if action_url is not None:
            row.action_url = action_url(row.pk)
        rows.append(row)
    page.object_list = rows
    return page


def _record_on_payments_page(request, form_class, record, *, invalid: str, done: str, missing):
    """POST from the payments page: validate the form, run the ledger service, say how it went, go back."""
    _require_staff(request.user)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, invalid)
        return redirect("grants:payments")
    try:
        record(form.cleaned_data)
    except missing:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(e for errors in exc.message_dict.values() for e in errors))
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("grants:payments")


@login_required
@require_POST
def repayment_mark_received(request, pk: int):
    return _record_on_payments_page(
        request, RepaymentReceivedForm,
        lambda data: ledger.repayment_mark_received(repayment_id=pk, user=request.user,
                                                    received_on=data["received_on"], reference=data["reference"]),
        invalid=_("Enter the date the money was received."),
        done=_("The repayment is recorded and the money is back in the fund."), missing=Repayment.DoesNotExist)


@login_required
@require_POST
def payment_mark_paid(request, pk: int):
    return _record_on_payments_page(
        request, PaymentPaidForm,
        lambda data: ledger.payment_mark_paid(payment_id=pk, user=request.user, paid_on=data["paid_on"],
                                              reference=data["reference"]),
        invalid=_("Enter the date the payment was made."), done=_("The payment is recorded."),
        missing=Payment.DoesNotExist)


@login_required
def decision_letter(request, pk: int):
    """The letter of a decision in effect (or replaced): for the organisation's contacts and for staff."""
    decision = Decision.objects.select_related("application").filter(pk=pk).exclude(letter="").first()
    if decision is None or decision.status in (Decision.Status.PENDING, Decision.Status.ANNULLED):
        raise Http404
    application = decision.application
    is_contact = selectors.user_is_contact(request.user, organisation_id=application.organisation_id)
    if not is_contact and not request.user.has_perm("grants.view_all_applications"):
        raise Http404
    response = FileResponse(decision.letter.open("rb"), as_attachment=True, content_type="application/pdf",
                            filename=f"beslut-{application.case_number or application.pk}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def decision_correct(request, application_pk: int):
    """A correction is a new decision linked to the one it replaces; the old letter stays as it was."""
    application = selectors.application_get_for_staff(user=request.user, pk=application_pk)
    if not request.user.has_perm("grants.decide_application"):
        raise PermissionDenied
    current = ledger.effective_grant(application)
    if current is None:
        raise Http404
    form = DecisionCorrectionForm(request.POST or None, initial={
        "amount": current.amount, "conditions": current.conditions})
    if request.method == "POST" and form.is_valid():
        try:
            flow_services.decision_correct(application_id=application.pk, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The decision is corrected and the new letter is sent."))
            return redirect("workflows:case_detail", application.pk)
    return render(request, "grants/decision_correct.html", {
        "application": application, "current": current, "form": form,
        "balance": selectors.fund_year_balance(fund_year=ledger.fund_year_for(application)),
    }, status=400 if form.errors else 200)


@login_required
def correction_approval(request, application_pk: int, pk: int):
    """Another project secretary approves or returns a correction above the fund's four-eyes limit."""
    application = selectors.application_get_for_staff(user=request.user, pk=application_pk)
    if not request.user.has_perm("grants.decide_application"):
        raise PermissionDenied
    pending = application.decisions.select_related("decided_by", "corrects").filter(
        pk=pk, status=Decision.Status.PENDING, corrects__isnull=False).first()
    if pending is None:
        raise Http404
    form = CorrectionApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flow_services.correction_approval_record(decision_id=pending.pk, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The second approval is recorded."))
            return redirect("workflows:case_detail", application.pk)
    return render(request, "grants/correction_approval.html", {
        "application": application, "pending": pending, "form": form,
        "own_decision": pending.decided_by_id == request.user.pk,
        "balance": selectors.fund_year_balance(fund_year=ledger.fund_year_for(application)),
    }, status=400 if form.errors else 200)


@login_required
def grant_end(request, application_pk: int):
    """End a granted project that will not be carried out: the money goes back, what was paid is claimed back."""
    application = selectors.application_get_for_staff(user=request.user, pk=application_pk)
    if not request.user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if application.status != application.Status.GRANTED and request.method != "POST":
        raise Http404
    form = GrantEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flow_services.grant_end(application_id=application.pk, user=request.user, reason=form.cleaned_data["reason"],
                             accepted_costs=form.cleaned_data["accepted_costs"] or Decimal("0"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The grant is ended and the applicant is told."))
            return redirect("workflows:case_detail", application.pk)
    return render(request, "grants/grant_end.html", {
        "application": application, "form": form, "grant": ledger.effective_grant(application),
        "paid": ledger.paid_total(application),
        "planned": application.payments.filter(status=Payment.Status.PLANNED),
    }, status=400 if form.errors else 200)
