from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.models import HIDEABLE_FIELDS, Practice
from grants.models import Theme
from reviewers.models import Criterion


class SearchForm(forms.Form):
    """The public search and filters. An invalid value is reported and that filter is left out."""

    q = forms.CharField(label=_("Search words"), required=False, max_length=200,
                        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
                        help_text=_("For example “dialog” or “språkcafé”. Different forms of a word are found too."))
    municipality = forms.ChoiceField(label=_("Municipality"), required=False)
    fund = forms.ChoiceField(label=_("Fund"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    criterion = forms.ChoiceField(label=_("Assessment criterion where the project scored well"), required=False)

    def __init__(self, *args, facets: dict, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["municipality"].choices = everything + list(facets["municipalities"])
        self.fields["fund"].choices = everything + [(f.slug, f.name) for f in facets["funds"]]
        self.fields["year"].choices = everything + [(str(y), str(y)) for y in facets["years"]]
        self.fields["theme"].choices = everything + [(t.code, t.name) for t in facets["themes"]]
        self.fields["criterion"].choices = everything + list(facets["criteria"])

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or ("" if name != "year" else None) for name in self.fields}


class PracticeForm(forms.ModelForm):
    """Staff's edit: every field, which fields are shown, and the confirmation that the texts are checked."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    shown = forms.MultipleChoiceField(
        label=_("Show on the public page"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Untick a field to hide it. A hidden field is left out of every public page, feed and "
                    "export, and cannot be searched or filtered on."))
    texts_checked = forms.BooleanField(
        label=_("I have read every text and removed anything that could identify a person"), required=False,
        help_text=_("Names, contact details, personal identity numbers, and details that point to a single "
                    "participant. Needed before the practice is published; saving without it takes the "
                    "confirmation back."))

    class Meta:
        model = Practice
        fields = ["title", "organisation_name", "municipality", "fund", "year", "themes", "what_was_done",
                  "for_whom", "participants", "survey_share", "lessons", "criteria"]
        widgets = {
            "themes": forms.CheckboxSelectMultiple, "criteria": forms.CheckboxSelectMultiple,
            "what_was_done": forms.Textarea(attrs={"rows": 6}), "for_whom": forms.Textarea(attrs={"rows": 3}),
            "lessons": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "title": _("A short name others understand, without names of people."),
            "participants": _("Only the total: never anything about single participants."),
            "criteria": _("Ticked from the start: the criteria where the reviewers' mean score was 4 or more."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        practice = self.instance
        labels = {name: Practice._meta.get_field(name).verbose_name for name in HIDEABLE_FIELDS}
        self.fields["shown"].choices = [(name, str(labels[name]).capitalize()) for name in HIDEABLE_FIELDS]
        self.initial.setdefault("shown", [name for name in HIDEABLE_FIELDS if getattr(practice, f"show_{name}")])
        self.initial.setdefault("version", practice.version)
        self.fields["themes"].queryset = Theme.objects.all()
        rubric = practice.application.assignments.values("rubric").first() if practice.pk else None
        scored = Criterion.objects.filter(rubric=rubric["rubric"]) if rubric else Criterion.objects.none()
        self.fields["criteria"].queryset = (scored | Criterion.objects.filter(pk__in=practice.criteria.all())
                                            ).distinct().order_by("position", "pk")
        for field in ("title", "organisation_name", "what_was_done", "for_whom", "lessons"):
            self.fields[field].widget.attrs.setdefault("spellcheck", "true")


class UnpublishForm(forms.Form):
    reason = forms.CharField(label=_("Why it is taken down (optional, kept in the case's history)"),
                             required=False, max_length=500)
