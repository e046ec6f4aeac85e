"""The fields of every form (includes/form.html) are written in Python ({% field_html %}): what the reference
template includes/field.html writes, character for character, for each kind of field (radio buttons, check boxes,
a check box, text, text areas, numbers, dates), with help texts, required marks and errors, hostile text, in
Swedish and English. The step pages' and the scoring page's forms are compared field by field."""

import pytest
from django import forms
from django.template import engines
from django.utils import translation

from grants.templatetags.potten import field_html
from reviewers.forms import DeclarationForm, ReviewForm
from reviewers.models import Criterion
from workflows.forms import DecisionForm, ReportApprovalForm, SecondApprovalForm

HOSTILE = "<script>alert(1)</script>\"'&"

FIELD = engines["django"].from_string('{% include "includes/field.html" %}')
FORM = engines["django"].from_string('{% include "includes/form.html" %}')
# What includes/form.html wrote when every field went through includes/field.html.
FORM_BY_TEMPLATE = engines["django"].from_string(
    '{% load i18n potten %}\n{% include "includes/form_errors.html" %}\n'
    '{% for field in form.hidden_fields %}{{ field }}{% endfor %}\n'
    '{% for field in form.visible_fields %}{% include "includes/field.html" %}{% endfor %}\n')


class EveryKindForm(forms.Form):
    agree = forms.BooleanField(label=HOSTILE, help_text=HOSTILE)
    maybe = forms.BooleanField(label="Kanske", required=False)
    choose = forms.ChoiceField(label=HOSTILE, choices=[("a", HOSTILE), ("b", "B")], widget=forms.RadioSelect,
                               help_text=HOSTILE)
    several = forms.MultipleChoiceField(label="Flera", choices=[("x", HOSTILE), ("y", "Y")], required=False,
                                        widget=forms.CheckboxSelectMultiple)
    text = forms.CharField(label=HOSTILE, max_length=5, help_text=HOSTILE)
    area = forms.CharField(label="Text", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    number = forms.IntegerField(label="Antal", min_value=1, required=False)
    day = forms.DateField(label="Dag", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    pick = forms.ChoiceField(label="Välj", choices=[("", "–"), ("1", HOSTILE)], required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


def criteria():
    return [Criterion(pk=pk, code=f"c{pk}", name=f"{HOSTILE} {pk}", question=HOSTILE, anchor_0=HOSTILE,
                      anchor_5="Utmärkt", position=pk) for pk in (1, 2)]


def forms_to_compare():
    bad = {"agree": "", "choose": "z", "several": ["nope"], "text": HOSTILE, "number": "0", "day": "x",
           "pick": "9", "secret": HOSTILE}
    return [
        EveryKindForm(), EveryKindForm(bad), EveryKindForm({"agree": "on", "choose": "a", "text": "ok"}),
        ReviewForm(criteria=criteria()),
        ReviewForm({"version": "", "score_1": "9", "comment_1": HOSTILE, "summary": HOSTILE}, criteria=criteria()),
        DecisionForm(initial={"amount": 1000}), DecisionForm({"outcome": "nope", "amount": "-1", "motivation": HOSTILE}),
        DeclarationForm(), DeclarationForm({"conflict": "maybe", "reason": HOSTILE}),
        SecondApprovalForm(), SecondApprovalForm({"comment": HOSTILE}),
        ReportApprovalForm(), ReportApprovalForm({"approve": "x"}),
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_field_written_in_python_is_what_the_field_template_writes(language):
    with translation.override(language):
        for form in forms_to_compare():
            form.is_valid() if form.is_bound else None
            for field in form.visible_fields():
                assert field_html(field) == FIELD.render({"field": field}), (type(form).__name__, field.name)
            assert FORM.render({"form": form}) == FORM_BY_TEMPLATE.render({"form": form}), type(form).__name__
            shown = FORM.render({"form": form})
            assert HOSTILE not in shown


def test_the_comparison_sees_errors_and_help_texts():
    form = EveryKindForm({"text": HOSTILE})
    assert not form.is_valid()
    html = FORM.render({"form": form})
    assert 'aria-invalid="true"' in html and "field-error" in html and "&lt;script&gt;" in html
    assert 'type="checkbox"' in html and 'type="radio"' in html and "<textarea" in html and 'type="date"' in html
