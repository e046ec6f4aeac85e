from django import forms
from django.utils.translation import gettext_lazy as _

from grants.forms import MoneyField
from grants.models import Application, Decision, ExAnteCheck, FinalReport
from reviewers.models import Criterion, Review


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
    formal_ok = forms.BooleanField(
        label=_("The formal requirements are met"), required=False,
        help_text=_("Eligible organisation in an eligible municipality, an open call, an amount within the "
                    "fund's ceiling, an authorised signatory and the required attachments."),
    )
    evaluable_ok = forms.BooleanField(
        label=_("The application is evaluable"), required=False,
        help_text=_("Problem analysis, measurable goals with indicators, target group, planned participants "
                    "by gender, and a budget that adds up."),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ExAnteCheck.Outcome.choices, widget=forms.RadioSelect)
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


class ReviewForm(forms.Form):
    no_conflict = forms.BooleanField(
        label=_("I have no conflict of interest with this application or organisation"), required=False,
        help_text=_("You have a conflict if you, a relative or a close colleague is involved in the "
                    "organisation or the project. If you do, release the task instead."),
    )
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=Review.Recommendation.choices,
                                       widget=forms.RadioSelect)
    summary = forms.CharField(label=_("Summary for the applicant"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Shown to the applicant without your name."))

    SCORE_CHOICES = [(str(i), str(i)) for i in range(6)]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(Criterion.objects.filter(is_active=True))
        for criterion in self.criteria:
            self.fields[f"score_{criterion.code}"] = forms.TypedChoiceField(
                label=criterion.name, choices=self.SCORE_CHOICES, coerce=int, widget=forms.RadioSelect,
                help_text=criterion.question,
                error_messages={"required": _("Give a score from 0 to 5.")},
            )
            self.fields[f"comment_{criterion.code}"] = forms.CharField(
                label=_("Comment on %(criterion)s") % {"criterion": criterion.name}, required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def scores(self) -> dict:
        return {
            c.code: (self.cleaned_data[f"score_{c.code}"], self.cleaned_data.get(f"comment_{c.code}", ""))
            for c in self.criteria
        }


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    amount = MoneyField(label=_("Amount to grant (SEK)"), required=False, min_value=1)
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Conditions that come with the grant (beslutsvillkor)."))
    motivation = forms.CharField(label=_("Motivation"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("Required when the application is rejected."))


class FinalReportForm(forms.ModelForm):
    class Meta:
        model = FinalReport
        field_classes = {"costs_total": MoneyField}
        fields = [
            "activities_done", "participants_women", "participants_men", "participants_other",
            "participants_newcomers", "participants_established", "trainers_women", "trainers_men",
            "costs_total", "survey_share", "lessons", "publish_consent",
        ]


class ReportApprovalForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Final report"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve: the project is carried out")), ("no", _("Ask for completion"))],
    )
    comment = forms.CharField(label=_("Comment to the applicant"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required when you ask for completion."))
