from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.formatting import money
from grants.forms.applications import MoneyField
from grants.models import Application, CheckItemResult, Decision, ExAnteCheck


LIST_PART_LABELS = {
    "themes": _("Themes"), "activities": _("Activities"), "budget": _("Budget lines"),
    "partners": _("Partners"), "attachments": _("Attachments"),
}


def content_field_choices():
    """Every part of an application a completion request can reopen."""
    def label(name):
        text = str(Application._meta.get_field(name).verbose_name)
        return text[:1].upper() + text[1:]

    return [(name, label(name)) for name in Application.CONTENT_FIELDS] + [
        (name, LIST_PART_LABELS[name]) for name in Application.LIST_PARTS
    ]


def check_initial(check) -> dict:
    """The answers of an earlier check, to start a re-check from."""
    if check is None:
        return {}
    initial = {}
    for result in check.results.all():
        initial[f"item_{result.item_id}"] = result.result
        initial[f"item_{result.item_id}_comment"] = result.comment
    return initial


class ExAnteCheckForm(forms.Form):
    """The fund's checklist, one point at a time, then the outcome (one button per outcome)."""

    TYPED_FIELDS = ("override_reason", "comment", "completion_deadline")
    button_field = "outcome"

    outcome = forms.ChoiceField(label=_("Outcome"), choices=ExAnteCheck.Outcome.choices, widget=forms.RadioSelect)
    override_reason = forms.CharField(
        label=_("Reason to pass despite points not met"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only when a point is not met and you still pass the application to review. Kept in the audit trail."),
    )
    comment = forms.CharField(
        label=_("Comment to the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you ask for completion or reject the application."),
    )
    completion_fields = forms.MultipleChoiceField(
        label=_("Fields to complete"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=content_field_choices,
        help_text=_("Only these fields are reopened for the applicant."),
    )
    completion_deadline = forms.DateField(
        label=_("Completion deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        checklist = {}
        for item in self.items:
            checklist[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=CheckItemResult.Result.choices, widget=forms.RadioSelect,
                error_messages={"required": _("Choose met, not met or not applicable.")},
            )
            checklist[f"item_{item.pk}_comment"] = forms.CharField(
                label=_("Comment on “%(point)s”") % {"point": item.text}, required=False, max_length=500,
            )
        self.fields = {**checklist, **self.fields}

    def groups(self):
        """[(group label, [(result field, comment field), …]), …] for the template."""
        out = {}
        for item in self.items:
            out.setdefault(item.get_group_display(), []).append(
                (self[f"item_{item.pk}"], self[f"item_{item.pk}_comment"]))
        return list(out.items())

    def outcome_fields(self):
        """The fields that go with the outcome buttons (the outcome itself is the button pressed)."""
        return [self[name] for name in ("override_reason", "comment", "completion_fields", "completion_deadline")]

    def buttons(self):
        """(value, label, style) of each outcome button: each says what it does."""
        return [(ExAnteCheck.Outcome.PASS, ExAnteCheck.Outcome.PASS.label, ""),
                (ExAnteCheck.Outcome.COMPLETION, ExAnteCheck.Outcome.COMPLETION.label, "secondary"),
                (ExAnteCheck.Outcome.INELIGIBLE, ExAnteCheck.Outcome.INELIGIBLE.label, "danger")]

    def results(self) -> dict:
        return {item.pk: (self.cleaned_data[f"item_{item.pk}"], self.cleaned_data[f"item_{item.pk}_comment"])
                for item in self.items}


class OutcomeButtons:
    """The outcome is the button pressed, and each button says what it does: the field is not shown as radio
    buttons (the template renders buttons()), and its error is shown next to the buttons."""

    button_field = "outcome"

    def visible_fields(self):
        return [field for field in super().visible_fields() if field.name != self.button_field]

    def buttons(self):
        styles = ["", "secondary", "danger"]
        return [(value, label, styles[min(index, 2)])
                for index, (value, label) in enumerate(self.fields[self.button_field].choices) if value != ""]


class DecisionForm(OutcomeButtons, forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    amount = MoneyField(label=_("Amount to grant (SEK)"), required=False, min_value=1)
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Conditions that come with the grant (beslutsvillkor)."))
    motivation = forms.CharField(label=_("Motivation"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("Required when the application is rejected."))

    def grant_labels(self):
        """The grant button's label without an amount, and with a place for it (for static/js/step_buttons.js)."""
        return _("Grant"), _("Grant %(amount)s")

    def buttons(self):
        """"Grant 24 000 kr" (the amount in the field; static/js/step_buttons.js keeps it current) and "Reject"."""
        try:
            amount = self.fields["amount"].to_python(self["amount"].value())
        except ValidationError:
            amount = None
        label = _("Grant %(amount)s") % {"amount": money(amount)} if amount else _("Grant")
        return [(Decision.Outcome.GRANTED, label, ""), (Decision.Outcome.REJECTED, _("Reject"), "danger")]


class SecondApprovalForm(OutcomeButtons, forms.Form):
    button_field = "approve"
    approve = forms.TypedChoiceField(
        label=_("The grant"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve: the grant takes effect")), ("no", _("Return to the decision"))],
    )
    comment = forms.CharField(label=_("Comment to your colleague"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Required when you return it."))


class ReportApprovalForm(OutcomeButtons, forms.Form):
    button_field = "approve"
    approve = forms.TypedChoiceField(
        label=_("Final report"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve: the project is carried out")), ("no", _("Ask for completion"))],
    )
    comment = forms.CharField(label=_("Comment to the applicant"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required when you ask for completion."))
