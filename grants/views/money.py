"""Staff pages for the money: fund budgets with their ledger, payments and repayments, decision letters,
corrections and their second approval, ending a grant that will not be carried out."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.template.backends.utils import csrf_input
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants import selectors
from grants.services import ledger
from grants.forms.applications import add_service_errors
from common.paging import page_of, url_for
from grants.models import Decision, FundYear, Payment, Repayment
from grants.views.money_rows import form_texts, money_row_html
from grants.forms.money import (
    BudgetChangeForm, CorrectionApprovalForm, DecisionCorrectionForm, GrantEndForm, PaymentPaidForm,
    RepaymentReceivedForm,
)
from common.errors import NotAllowed
from common.formatting import day, money
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
    entries = fund_year.ledger.select_related("application", "created_by").only(
        *LEDGER_ROW_FIELDS).order_by("-created_at", "-pk")
    changes = fund_year.budget_changes.select_related("changed_by").order_by("-changed_at", "-pk")
    return render(request, "grants/fund_budget.html", {
        "fund_year": fund_year, "balance": selectors.fund_year_balance(fund_year=fund_year),
        "entries": page_of(request, entries, param="entries"), "changes": page_of(request, changes, param="changes"),
        "form": form, "may_change": may_change,
        "may_see_cases": request.user.has_perm("grants.view_all_applications"),
    }, status=status)


# What the money lists show of a row and its application; nothing else is loaded.
_CASE_FIELDS = ("application__title", "application__case_number", "application__organisation__name")
PAYMENT_ROW_FIELDS = ("kind", "amount", "status", "created_at", "paid_on", "reference", *_CASE_FIELDS)
REPAYMENT_ROW_FIELDS = ("reason", "amount", "status", "due_on", "received_on", "reference", *_CASE_FIELDS)
# The payments page's histories (paid, paid back): the latest first, in shorter pages than what is still to do,
# and paged back this many pages.
HISTORY_PER_PAGE = 25
HISTORY_PAGES = 200
LEDGER_ROW_FIELDS = ("fund_year", "kind", "amount", "note", "created_at", "application__title",
                     "application__case_number", "created_by__full_name", "created_by__email")


@login_required
def payments(request):
    """Four lists, each in pages with its own page parameter: to pay and to be paid back (50 a page), and the
    histories paid and paid back (HISTORY_PER_PAGE a page)."""
    _require_staff(request.user)
    payments = Payment.objects.select_related("application__organisation").only(*PAYMENT_ROW_FIELDS)
    repayments = Repayment.objects.select_related("application__organisation").only(*REPAYMENT_ROW_FIELDS)
    planned = payments.filter(status=Payment.Status.PLANNED).order_by("created_at", "pk")
    paid = payments.filter(status=Payment.Status.PAID).order_by("-paid_on", "-pk")
    claims = repayments.filter(status=Repayment.Status.CLAIMED).order_by("due_on", "pk")
    received = repayments.filter(status=Repayment.Status.RECEIVED).order_by("-received_on", "-pk")
    # The histories (paid, paid back) grow without end: counted up to HISTORY_PAGES pages, from their index,
    # and paged that far (the page says so); what is still to do is counted in full.
    history = HISTORY_PAGES * HISTORY_PER_PAGE
    paid_count = paid.order_by()[:history].count()
    received_count = received.order_by()[:history].count()
    today = timezone.localdate()
    may_pay, csrf = request.user.has_perm("grants.decide_application"), csrf_input(request)
    planned_page = _money_rows(page_of(request, planned, param="planned"), "grants:payment_mark_paid", "created_at")
    claims_page = _money_rows(page_of(request, claims, param="claims"), "grants:repayment_mark_received", "due_on",
                              today=today)
    for kind, page in (("planned", planned_page), ("claims", claims_page)):
        texts = form_texts(kind)
        for row in page.object_list:
            row.row_html = money_row_html(row, texts=texts, may_pay=may_pay, csrf_input=csrf, today=today.isoformat())
    return render(request, "grants/payments.html", {
        "planned": planned_page,
        "paid": _money_rows(page_of(request, paid, param="paid", count=paid_count, per_page=HISTORY_PER_PAGE),
                            None, "paid_on"),
        "paid_capped": paid_count >= history, "received_capped": received_count >= history,
        "history_rows": history,
        "form": PaymentPaidForm(),
        "claims": claims_page,
        "received": _money_rows(page_of(request, received, param="received", count=received_count,
                                        per_page=HISTORY_PER_PAGE), None, "received_on"),
        "may_pay": may_pay,
    })


def _money_rows(page, action: str | None, date_field: str, *, today=None):
    """Write what each row of a payments list shows once, in Python (its links, amount, date, case, kind or
    reason, and its id as text: a number in a template is localized, once for each time it is shown)."""
    case_url = url_for("workflows:case_detail")
    action_url = url_for(action) if action else None
    labels = {}  # (field, value) -> its translated label, once per page rather than once per row
    for row in page.object_list:
        application = row.application
        row.pk_text = str(row.pk)
        choice = "kind" if isinstance(row, Payment) else "reason"
        value = getattr(row, choice)
        if (choice, value) not in labels:
            labels[choice, value] = getattr(row, f"get_{choice}_display")()
        row.choice_text = labels[choice, value]
        row.case_url = case_url(row.application_id)
        row.case_label = application.case_number or str(application)
        row.case_number = application.case_number or ""
        row.organisation = application.organisation.name
        row.amount_text = money(row.amount)
        when = getattr(row, date_field)
        row.day_text = day(when) if when else ""
        row.overdue = today is not None and when is not None and when < today
        if action_url is not None:
            row.action_url = action_url(row.pk)
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
