from django import forms
from django.utils.translation import gettext_lazy as _

from reviewers.models import Review


class DeclarationForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Conflict of interest"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("no", _("I have no conflict of interest with this application or organisation")),
                 ("yes", _("I have a conflict of interest"))],
        help_text=_("You have a conflict if you, a relative or a close colleague is involved in the organisation "
                    "or the project, or if you could gain or lose from the decision."),
    )
    reason = forms.CharField(label=_("Describe the conflict"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when you have a conflict. Kept in the case's audit trail."))


class ReviewForm(forms.Form):
    """A score 0–5 (or not applicable) and a comment per criterion, with its anchored descriptions."""

    # The review's version when the form was opened; 0 before the first save. Always checked on save.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0, required=False)
    recommendation = forms.ChoiceField(label=_("Recommendation"), required=False, widget=forms.RadioSelect,
                                       choices=Review.Recommendation.choices)
    summary = forms.CharField(label=_("Summary for the applicant"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Shown to the applicant without your name."))

    def __init__(self, *args, criteria=(), review=None, **kwargs):
        initial = kwargs.pop("initial", {}) or {}
        if review is not None:
            initial.update({"version": review.version, "recommendation": review.recommendation,
                            "summary": review.summary})
            for score in review.scores.all():
                initial[f"score_{score.criterion_id}"] = "na" if score.not_applicable else (
                    "" if score.score is None else str(score.score))
                initial[f"comment_{score.criterion_id}"] = score.comment
        super().__init__(*args, initial=initial, **kwargs)
        self.criteria = list(criteria)
        fields = {}
        for criterion in self.criteria:
            choices = [(str(score), f"{score} – {text}" if text else str(score)) for score, text in criterion.anchors()]
            fields[f"score_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.name, required=False, widget=forms.RadioSelect,
                choices=choices + [("na", _("Not applicable"))], help_text=criterion.question,
            )
            fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on %(criterion)s") % {"criterion": criterion.name}, required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields = {**fields, **self.fields}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("version") is None and "version" not in self.errors:
            raise forms.ValidationError(_("The form is incomplete. Reload the page and try again."),
                                        code="no_version")
        return cleaned

    def scores(self) -> dict:
        out = {}
        for criterion in self.criteria:
            value = self.cleaned_data.get(f"score_{criterion.pk}") or ""
            out[criterion.pk] = (int(value) if value.isdigit() else None, value == "na",
                                 self.cleaned_data.get(f"comment_{criterion.pk}", ""))
        return out


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), queryset=None)

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers
        self.fields["reviewer"].label_from_instance = lambda user: user.get_full_name()


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label=_("New deadline"),
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text=_("The reviewer sees the new date at once. Other reviewers keep theirs."))
