from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import SingleLineFieldsMixin
from grants.models import ActivityLine, Application, BudgetLine, Organisation, Partner, Theme
from decimal import Decimal

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form, exc) -> None:
    """Show a service's ValidationError on the form: next to its field, or at the top."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class MoneyField(forms.DecimalField):
    """An amount in kronor as people type it: "25 000", "25000,50", "25 000 kr"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u2212", "-").replace(",", ".")
            value = value.removesuffix("kr").removesuffix("SEK").removesuffix(":-")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return str(value.quantize(Decimal("1")))
        return value


class OrganisationForm(SingleLineFieldsMixin, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "org_number", "municipality", "kind"]
        help_texts = {
            "name": _("The organisation's name as registered."),
            "kind": _("Choose what fits best."),
        }

    def validate_unique(self):
        """Not here: a number that is already registered becomes a request to join (and the form
        must not tell anyone which numbers are registered)."""


class ApplicationForm(SingleLineFieldsMixin, forms.ModelForm):
    """The application's own fields. Every field may be empty while drafting; completeness
    is checked when the application is submitted (grants.services.submission_errors)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Application
        fields = list(Application.CONTENT_FIELDS) + ["themes"]
        field_classes = {"requested_amount": MoneyField}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "problem": forms.Textarea(attrs={"rows": 6}),
            "motivation": forms.Textarea(attrs={"rows": 4}),
            "similar_projects": forms.Textarea(attrs={"rows": 4}),
            "anchoring": forms.Textarea(attrs={"rows": 4}),
            "goals": forms.Textarea(attrs={"rows": 5}),
            "indicators": forms.Textarea(attrs={"rows": 4}),
            "target_group": forms.Textarea(attrs={"rows": 4}),
            "accessibility_plan": forms.Textarea(attrs={"rows": 4}),
            "equal_treatment_plan": forms.Textarea(attrs={"rows": 4}),
            "themes": forms.CheckboxSelectMultiple,
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "signatory_email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }
        help_texts = {
            "planned_women": _("How many women do you expect to take part?"),
            "planned_men": _("How many men do you expect to take part?"),
            "planned_other": _("Participants with another gender identity, or who do not want to say."),
            "start_date": _("The first day of the project."),
            "end_date": _("The last day of the project."),
            "requested_amount": _("The amount you apply for, in Swedish kronor. It must be the sum of the budget lines."),
        }

    def __init__(self, *args, only=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = Theme.objects.all()
        self.fields["themes"].label_from_instance = lambda theme: theme.name
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for name in list(self.fields):
            if only is not None and name not in only and name != "version":
                del self.fields[name]
        for field in self.fields.values():
            field.required = False
            if isinstance(field.widget, (forms.TextInput, forms.Textarea, forms.EmailInput)):
                field.widget.attrs.setdefault("spellcheck", "true")

    def clean_requested_amount(self):
        amount = self.cleaned_data.get("requested_amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("The amount must be more than 0 kronor."))
        return amount

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The project cannot end before it starts."))
        return cleaned


class ActivityForm(SingleLineFieldsMixin, forms.Form):
    description = forms.CharField(label=_("Activity"), max_length=300, required=False,
                                  help_text=_("For example: language café every Tuesday, or a study visit."))
    starts_on = forms.DateField(label=_("Date"), required=False, widget=DATE_WIDGET,
                                help_text=_("The day it happens, or the first day."))
    ends_on = forms.DateField(label=_("Last date (if more than one day)"), required=False, widget=DATE_WIDGET,
                              help_text=_("Leave empty if it is one day."))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The activity cannot end before it starts."))
        return cleaned


class BudgetLineForm(SingleLineFieldsMixin, forms.Form):
    description = forms.CharField(label=_("Cost"), max_length=300, required=False,
                                  help_text=_("What the money pays for, for example room rent or food."))
    amount = MoneyField(label=_("Amount (SEK)"), required=False,
                        help_text=_("In kronor. All the rows together must be the amount you apply for."))


class PartnerForm(SingleLineFieldsMixin, forms.Form):
    name = forms.CharField(label=_("Partner"), max_length=200, required=False,
                           help_text=_("The name of the organisation, authority or company."))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—")] + list(Partner.Kind.choices),
                             help_text=_("A microproject needs at least one authority and one idea-based "
                                         "organisation."))
    role = forms.CharField(label=_("Role in the project"), max_length=300, required=False,
                           help_text=_("What the partner does, for example lends a room or leads a group."))


class LineFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form in self.forms:
            # Always clean every row: an unchanged row must still be read back, or saving would drop it.
            form.empty_permitted = False
            form.use_required_attribute = False

    def rows(self) -> list[dict]:
        """The rows someone has typed in, in order; valid values only (a draft keeps what it can)."""
        rows = []
        for form in self.forms:
            values = {name: form.cleaned_data.get(name) if form.is_bound and hasattr(form, "cleaned_data")
                      else None for name in form.fields}
            if any(v not in (None, "") for v in values.values()):
                rows.append(values)
        return rows


def _formset(form_class, max_num):
    return forms.formset_factory(form_class, formset=LineFormSet, extra=2, max_num=max_num, validate_max=True,
                                 absolute_max=max_num)


ActivityFormSet = _formset(ActivityForm, 30)
BudgetFormSet = _formset(BudgetLineForm, 40)
PartnerFormSet = _formset(PartnerForm, 15)

# The list parts of an application: (prefix, formset class, model, fields, related name).
LIST_PARTS = {
    "activities": (ActivityFormSet, ActivityLine, ("description", "starts_on", "ends_on"), "activities"),
    "budget": (BudgetFormSet, BudgetLine, ("description", "amount"), "budget_lines"),
    "partners": (PartnerFormSet, Partner, ("name", "kind", "role"), "partners"),
}


class ApplicationEditor:
    """The application form with its list parts (activities, budget, partners).

    `parts` limits what is editable: None for a draft (everything), or the fields and
    parts a completion request reopened.
    """

    def __init__(self, application, data=None, parts=None):
        self.application = application
        self.parts = None if parts is None else set(parts)
        only = None if parts is None else [p for p in parts if p in Application.CONTENT_FIELDS or p == "themes"]
        self.form = ApplicationForm(data, instance=application, only=only)
        self.formsets = {}
        for prefix, (formset_class, _model, fields, related) in LIST_PARTS.items():
            if self.parts is not None and prefix not in self.parts:
                continue
            initial = [{f: getattr(row, f) for f in fields} for row in getattr(application, related).all()]
            self.formsets[prefix] = formset_class(data, prefix=prefix, initial=initial)

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    def changes(self) -> dict:
        """What to store: the valid fields, and the typed rows of each list part."""
        if not hasattr(self.form, "cleaned_data"):
            self.is_valid()
        fields = {k: v for k, v in self.form.cleaned_data.items() if k not in ("version", "themes")}
        changes = {"fields": fields, "version": self.form.cleaned_data.get("version")}
        if "themes" in self.form.cleaned_data:
            changes["themes"] = list(self.form.cleaned_data["themes"])
        for prefix, formset in self.formsets.items():
            changes[prefix] = formset.rows()
        return changes

    def add_errors(self, errors: dict) -> None:
        """Show a service's errors (keyed by field, by part, or by "part-row-field")."""
        for key, messages in errors.items():
            messages = messages if isinstance(messages, list) else [messages]
            if key in self.form.fields:
                self.form.add_error(key, messages)
                continue
            prefix, _sep, rest = key.partition("-")
            formset = self.formsets.get(prefix)
            if formset is None:
                self.form.add_error(None, messages)
            elif rest:
                index, _sep, field = rest.partition("-")
                formset.forms[int(index)].add_error(field or None, messages)
            else:
                formset._non_form_errors = formset.error_class(list(formset.non_form_errors()) + messages)

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors) or any(f.total_error_count() for f in self.formsets.values())

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, text) for the error summary: every problem, linked to where it is."""
        links = [("application-form", str(e)) for e in self.form.non_field_errors()]
        for field in self.form:
            for error in field.errors:
                anchor = field.auto_id + ("_0" if isinstance(field.field.widget, forms.CheckboxSelectMultiple) else "")
                links.append((anchor, f"{field.label}: {error}"))
        for prefix, formset in self.formsets.items():
            for error in formset.non_form_errors():
                links.append((f"part-{prefix}", str(error)))
            for index, form in enumerate(formset.forms):
                for field in form:
                    for error in field.errors:
                        links.append((field.auto_id, _("%(field)s (row %(number)s): %(error)s") % {
                            "field": field.label, "number": index + 1, "error": error}))
        return links


class NewApplicationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Applying organisation"), queryset=None, empty_label=None,
        help_text=_("The organisation that applies and is responsible for the project."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw the application? (optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The case officer sees your answer. It helps us improve the fund."),
    )
