"""The final report form: the report's own fields and its four list parts.

- costs: one row per line of the granted budget (fixed; the budget line is shown, the actual cost typed);
- extra_costs: costs that were not in the budget (rows are added as needed);
- activities: one row per planned activity (fixed): done as planned, done but changed, or not done;
- extra_activities: activities that were added (rows are added as needed).

The forms only read what was typed; what a report must contain is decided in one place,
`grants.reports.report_errors`, so a draft can hold anything and sending shows every problem at once.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import SingleLineFieldsMixin
from grants.forms.applications import DATE_WIDGET, LineFormSet, MoneyField
from grants.models import FinalReport, FinalReportActivity
from grants.services.reports import PLANNED_STATUSES, REPORT_FIELDS

FIELD_HELP = {
    "started_on": _("The day the project really started. Change it if it is not the date you planned."),
    "ended_on": _("The day the project really ended, for example the last meeting."),
    "activities_done": _("In a few sentences: what did you do, with whom, and how did it go? "
                         "You tell us about each planned activity further down."),
    "participants_women": _("How many women took part? Count each person once, even if they came many times."),
    "participants_men": _("How many men took part? Count each person once."),
    "participants_other": _("People with another gender identity, or who did not want to say."),
    "participants_newcomers": _("How many of the participants have come to Sweden in recent years?"),
    "participants_established": _("How many of the participants have lived in Sweden for a long time? "
                                  "Together with the newly arrived they are at most all participants."),
    "trainers_women": _("How many of the leaders or trainers were women?"),
    "trainers_men": _("How many of the leaders or trainers were men?"),
    "survey_share": _("From your survey: how many per cent of the participants said they know more now? "
                      "Write a whole number from 0 to 100."),
    "lessons": _("What worked well, and what would you do differently next time? Others can learn from it."),
    "publish_consent": _("If you agree, the fund may describe the project on its website so others can do "
                         "something similar. We never publish names of participants."),
}


class FinalReportForm(SingleLineFieldsMixin, forms.Form):
    """The report's own fields; every field may be empty while the report is a draft."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if isinstance(field.widget, (forms.TextInput, forms.Textarea)):
                field.widget.attrs.setdefault("spellcheck", "true")


FinalReportForm.base_fields.update(forms.fields_for_model(
    FinalReport, fields=list(REPORT_FIELDS), help_texts=FIELD_HELP,
    widgets={"started_on": DATE_WIDGET, "ended_on": DATE_WIDGET,
             "activities_done": forms.Textarea(attrs={"rows": 5}), "lessons": forms.Textarea(attrs={"rows": 5})},
))


class CostForm(SingleLineFieldsMixin, forms.Form):
    """What one line of the budget really cost."""

    amount = MoneyField(label=_("Actual cost (SEK)"), required=False,
                        help_text=_("What this cost came to in the end, in kronor. Write 0 if you had no such cost."))
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False,
                              help_text=_("If the cost is not what the budget said, tell us why (optional)."))

    def __init__(self, *args, line, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line


class ExtraCostForm(SingleLineFieldsMixin, forms.Form):
    description = forms.CharField(label=_("Cost"), max_length=300, required=False,
                                  help_text=_("What the money was used for, for example “Bus tickets”."))
    amount = MoneyField(label=_("Actual cost (SEK)"), required=False, help_text=_("What it came to, in kronor."))
    comment = forms.CharField(label=_("Why it was needed"), max_length=500, required=False,
                              help_text=_("The cost was not in the budget: tell us why you needed it (optional)."))


class ActivityOutcomeForm(forms.Form):
    """What became of one planned activity."""

    status = forms.ChoiceField(
        label=_("What happened"), required=False, widget=forms.RadioSelect,
        choices=[(value, label) for value, label in FinalReportActivity.Status.choices if value in PLANNED_STATUSES],
        help_text=_("Choose “done, but changed” if for example the date, the place or the number of meetings changed."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed if the activity changed or was not done: what changed, or why it was not done."),
    )

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity


class ExtraActivityForm(SingleLineFieldsMixin, forms.Form):
    description = forms.CharField(label=_("Activity"), max_length=300, required=False,
                                  help_text=_("An activity you did that was not in the plan."))
    starts_on = forms.DateField(label=_("Date"), required=False, widget=DATE_WIDGET,
                                help_text=_("The day it took place, or the first day."))
    ends_on = forms.DateField(label=_("Last date (if more than one day)"), required=False, widget=DATE_WIDGET,
                              help_text=_("Leave empty if it was one day."))
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("Why you added it, and how it went (optional)."))


def _formset(form_class, max_num):
    return forms.formset_factory(form_class, formset=LineFormSet, extra=1, max_num=max_num, validate_max=True,
                                 absolute_max=max_num)


ExtraCostFormSet = _formset(ExtraCostForm, 20)
ExtraActivityFormSet = _formset(ExtraActivityForm, 20)


def _sub(initial: dict, prefix: str) -> dict:
    """The values of one form (keys "prefix-field") from a draft's flat dict."""
    out = {}
    for key, value in initial.items():
        if key.startswith(prefix):
            rest = key[len(prefix):]
            if rest and "-" not in rest:
                out[rest] = value
    return out


def _rows(initial: dict, prefix: str, max_num: int) -> list[dict]:
    try:
        count = min(int(initial.get(f"{prefix}-TOTAL_FORMS", 0)), max_num)
    except (TypeError, ValueError):
        count = 0
    rows = [_sub(initial, f"{prefix}-{index}-") for index in range(max(count, 0))]
    return [row for row in rows if any(v not in (None, "") for v in row.values())]


class FinalReportEditor:
    """The whole report form. `data` is the POST; `initial` the draft (a flat dict of what was typed)."""

    def __init__(self, application, data=None, initial=None, version=0):
        initial = initial or {}
        self.application = application
        self.budget_lines = list(application.budget_lines.all())
        self.planned = list(application.activities.all())
        self.form = FinalReportForm(data, initial={**_sub(initial, ""), "version": version})
        self.cost_forms = [CostForm(data, prefix=f"costs-{i}", line=line, initial=_sub(initial, f"costs-{i}-"))
                           for i, line in enumerate(self.budget_lines)]
        self.activity_forms = [
            ActivityOutcomeForm(data, prefix=f"activities-{i}", activity=activity,
                                initial=_sub(initial, f"activities-{i}-"))
            for i, activity in enumerate(self.planned)
        ]
        self.formsets = {
            "extra_costs": ExtraCostFormSet(data, prefix="extra_costs",
                                            initial=_rows(initial, "extra_costs", 20)),
            "extra_activities": ExtraActivityFormSet(data, prefix="extra_activities",
                                                     initial=_rows(initial, "extra_activities", 20)),
        }
        self.part_errors: dict[str, list[str]] = {}
        self._row_index: dict[str, list[int]] = {}

    # -- reading --------------------------------------------------------------------------------------
    def _forms(self):
        yield self.form
        yield from self.cost_forms
        yield from self.activity_forms
        for formset in self.formsets.values():
            yield from formset.forms

    def is_valid(self) -> bool:
        valid = True
        for form in self._forms():
            valid = form.is_valid() and valid
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    @property
    def version(self):
        if not hasattr(self.form, "cleaned_data"):
            self.form.is_valid()
        return self.form.cleaned_data.get("version")

    def typed(self) -> dict:
        """What was typed, exactly as typed: the flat dict a draft keeps."""
        data = self.form.data
        out = {}
        for form in self._forms():
            for name in form.fields:
                if name == "version":
                    continue
                key = form.add_prefix(name)
                value = data.get(key)
                if value not in (None, ""):
                    out[key] = value
        for prefix, formset in self.formsets.items():
            out[f"{prefix}-TOTAL_FORMS"] = str(formset.total_form_count())
        return out

    def report_data(self) -> dict:
        """What parsed, in the shape grants.services.reports expects (None where a value could not be read)."""
        self.is_valid()
        cleaned = self.form.cleaned_data
        data = {name: cleaned.get(name) for name in REPORT_FIELDS}
        data["publish_consent"] = bool(data["publish_consent"])
        data["costs"] = [{"budget_line": form.line.pk, "amount": form.cleaned_data.get("amount"),
                          "comment": form.cleaned_data.get("comment") or ""} for form in self.cost_forms]
        data["activities"] = [{"activity": form.activity.pk, "status": form.cleaned_data.get("status") or "",
                               "comment": form.cleaned_data.get("comment") or ""} for form in self.activity_forms]
        for prefix, formset in self.formsets.items():
            rows, index = [], []
            for number, form in enumerate(formset.forms):
                values = {name: form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
                          for name in form.fields}
                typed = any(form.data.get(form.add_prefix(name)) not in (None, "") for name in form.fields)
                if typed:
                    values["comment"] = values.get("comment") or ""
                    rows.append(values)
                    index.append(number)
            data[prefix] = rows
            self._row_index[prefix] = index
        return data

    # -- errors ---------------------------------------------------------------------------------------
    def add_errors(self, errors: dict) -> None:
        """Show the service's errors next to their fields, unless the field already says what is wrong."""
        if self.form.data and not self._row_index:
            self.report_data()
        for key, messages in errors.items():
            messages = messages if isinstance(messages, list) else [messages]
            if key in self.form.fields:
                if not self.form.errors.get(key):
                    self.form.add_error(key, messages)
                continue
            prefix, _sep, rest = key.partition("-")
            if prefix not in ("costs", "activities", *self.formsets):
                self.form.add_error(None, messages)
                continue
            if not rest:
                self.part_errors.setdefault(prefix, []).extend(messages)
                continue
            index, _sep, field = rest.partition("-")
            form = self._row_form(prefix, int(index))
            if form is None or field not in form.fields:
                self.part_errors.setdefault(prefix, []).extend(messages)
            elif not form.errors.get(field):
                form.add_error(field, messages)

    def _row_form(self, prefix, index):
        if prefix == "costs":
            return self.cost_forms[index] if index < len(self.cost_forms) else None
        if prefix == "activities":
            return self.activity_forms[index] if index < len(self.activity_forms) else None
        numbers = self._row_index.get(prefix, [])
        return self.formsets[prefix].forms[numbers[index]] if index < len(numbers) else None

    @property
    def has_errors(self) -> bool:
        return bool(self.part_errors) or any(form.errors for form in self._forms()) or any(
            formset.non_form_errors() for formset in self.formsets.values())

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, text) for the error summary: every problem, linked to where it is."""
        def anchor(field):
            return field.auto_id + ("_0" if isinstance(field.field.widget, forms.RadioSelect) else "")

        links = [("report-form", str(e)) for e in self.form.non_field_errors()]
        for field in self.form:
            for error in field.errors:
                links.append((anchor(field), f"{str(field.label).rstrip('.:')}: {error}"))
        for prefix in ("costs", "extra_costs", "activities", "extra_activities"):
            for error in self.part_errors.get(prefix, []):
                links.append((f"part-{prefix}", str(error)))
            if prefix == "costs":
                rows = [(form, form.line.description) for form in self.cost_forms]
            elif prefix == "activities":
                rows = [(form, form.activity.description) for form in self.activity_forms]
            else:
                formset = self.formsets[prefix]
                for error in formset.non_form_errors():
                    links.append((f"part-{prefix}", str(error)))
                rows = [(form, f"{_('row')} {number + 1}") for number, form in enumerate(formset.forms)]
            for form, name in rows:
                for field in form:
                    for error in field.errors:
                        links.append((anchor(field), f"{field.label} ({name}): {error}"))
        return links
