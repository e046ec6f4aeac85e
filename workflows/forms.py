from django import forms
from django.utils.translation import gettext_lazy as _

from grants.forms import MoneyField
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


class ExAnteCheckForm(forms.Form):
    """The fund's checklist, one point at a time, then the outcome."""

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
        return [self[name] for name in ("outcome", "override_reason", "comment", "completion_fields",
                                        "completion_deadline")]

    def results(self) -> dict:
        return {item.pk: (self.cleaned_data[f"item_{item.pk}"], self.cleaned_data[f"item_{item.pk}_comment"])
                for item in self.items}


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    amount = MoneyField(label=_("Amount to grant (SEK)"), required=False, min_value=1)
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Conditions that come with the grant (beslutsvillkor)."))
    motivation = forms.CharField(label=_("Motivation"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("Required when the application is rejected."))


class SecondApprovalForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("The grant"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve: the grant takes effect")), ("no", _("Return to the decision"))],
    )
    comment = forms.CharField(label=_("Comment to your colleague"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Required when you return it."))


class ReportApprovalForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Final report"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve: the project is carried out")), ("no", _("Ask for completion"))],
    )
    comment = forms.CharField(label=_("Comment to the applicant"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required when you ask for completion."))
