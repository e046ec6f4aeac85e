from django import forms
from django.utils.translation import gettext_lazy as _

from grants.models import Application, Organisation


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "org_number", "municipality", "kind"]
        help_texts = {
            "name": _("The organisation's name as registered."),
            "kind": _("Choose what fits best."),
        }


class ApplicationForm(forms.ModelForm):
    """The draft form. Every field may be empty while drafting; completeness is checked on submit."""

    class Meta:
        model = Application
        fields = list(Application.CONTENT_FIELDS)
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "problem": forms.Textarea(attrs={"rows": 6}),
            "goals": forms.Textarea(attrs={"rows": 6}),
            "target_group": forms.Textarea(attrs={"rows": 4}),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "planned_women": _("How many women do you expect to take part?"),
            "planned_men": _("How many men do you expect to take part?"),
            "planned_other": _("Participants with another gender identity, or who do not want to say."),
            "start_date": _("The first day of the project."),
            "end_date": _("The last day of the project."),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The project cannot end before it starts."))
        return cleaned


class NewApplicationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Applying organisation"), queryset=None, empty_label=None,
        help_text=_("The organisation that applies and is responsible for the project."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
