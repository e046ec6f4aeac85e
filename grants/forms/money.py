from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.forms.applications import MoneyField


class BudgetChangeForm(forms.Form):
    new_budget = MoneyField(label=_("New budget (SEK)"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("For example a decision of the steering group. Kept in the log."))


class PaymentPaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), initial=timezone.localdate,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Payment reference"), required=False, max_length=100,
                                help_text=_("For example the verification number in the accounts."))


class DecisionCorrectionForm(forms.Form):
    amount = MoneyField(label=_("Granted amount (SEK)"), min_value=1)
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    motivation = forms.CharField(label=_("Why the decision is corrected"), widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Shown to the applicant in the new decision letter."))


class RepaymentReceivedForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), initial=timezone.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Payment reference"), required=False, max_length=100,
                                help_text=_("For example the verification number in the accounts."))


class GrantEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the grant is ended"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: the organisation has said that the project will not take place. "
                    "The applicant sees this reason."),
    )
    accepted_costs = MoneyField(
        label=_("Costs the fund accepts (SEK)"), required=False,
        help_text=_("What the organisation has already spent in good faith and may keep, at most the grant. "
                    "Paid out beyond it is claimed back; if it is more than what was paid, the difference is "
                    "paid. Leave empty to claim back everything paid."),
    )


class CorrectionApprovalForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("The correction"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve: the corrected grant takes effect")),
                 ("no", _("Return it: the decision in effect stays"))],
    )
    comment = forms.CharField(label=_("Comment to your colleague"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Required when you return it."))
