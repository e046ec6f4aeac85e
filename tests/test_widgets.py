"""The form renderer's widgets written in Python (common/widgets.py) are exactly what Django's templates write."""

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from common.widgets import WRITERS, WidgetRenderer

NASTY = '<script>"&\'</script>'


class Everything(forms.Form):
    text = forms.CharField(help_text="Hjälp", max_length=20)
    number = forms.IntegerField(required=False, min_value=0)
    amount = forms.DecimalField(required=False)
    email = forms.EmailField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    pick = forms.ChoiceField(choices=[("", "—"), ("a", NASTY), ("b", mark_safe("<b>safe</b>")), (3, 3)])
    grouped = forms.ChoiceField(required=False, choices=[
        ("Nordic", [("se", "Sverige"), ("no", gettext_lazy("Norway"))]), ("x", "Other"), (NASTY, [("y", "Y")])])
    many = forms.MultipleChoiceField(required=False, choices=[(1, "one"), (2, 2.5), (3, date(2026, 1, 2))])
    stars = forms.ChoiceField(required=False, widget=forms.RadioSelect, choices=[(n, n) for n in range(6)])
    boxes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "c"}),
                                      choices=[("a", "A"), ("Grupp", [("b", NASTY), ("c", Decimal("1.50"))])])
    plain = forms.ChoiceField(required=False, widget=forms.RadioSelect(attrs={"id": None}), choices=[("p", "P")])


def _rendered(form, renderer):
    form.renderer = renderer
    out = []
    for field in form:
        out.append(field.as_widget(attrs={"aria-describedby": "x_help", "data-nasty": NASTY, "disabled": False,
                                          "autofocus": True}))
        if hasattr(field.field.widget, "optgroups"):
            out += [choice.tag() for choice in field]
    return out


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("data", [
    None,
    {"text": NASTY, "number": "4", "amount": "1.5", "email": "a@b", "day": "2026-02-03", "hidden": NASTY,
     "secret": "x", "agree": "on", "body": NASTY, "pick": "a", "grouped": "no", "many": ["2", "3"], "stars": "5",
     "boxes": ["a", "c"], "plain": "p"},
    {"text": "", "number": "-1", "pick": "nope", "many": ["9"], "boxes": ["b"]},
])
def test_every_widget_is_written_as_django_writes_it(data, language):
    initial = {"text": 'Hej "där"', "amount": Decimal("2.50"), "day": date(2026, 3, 4), "pick": 3, "many": [1]}
    with translation.override(language):
        fast = _rendered(Everything(data, initial=initial), WidgetRenderer())
        django = _rendered(Everything(data, initial=initial), DjangoTemplates())
    assert fast == django
    assert len(fast) > 20


def test_every_written_template_is_one_of_djangos():
    renderer = DjangoTemplates()
    for name in WRITERS:
        assert renderer.get_template(name) is not None


@override_settings(FORM_RENDERER="common.widgets.WidgetRenderer")
def test_a_widget_with_a_template_of_its_own_is_rendered_by_its_template():
    class Split(forms.Form):
        when = forms.SplitDateTimeField(required=False)

    html = str(Split()["when"])
    assert html.count("<input") == 2


# -- a whole field (label, help, errors, widget) written in Python: {% field_html %} -----------------------------

@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("data", [
    None,
    {"text": NASTY, "number": "4", "agree": "on", "pick": "a", "stars": "5", "boxes": ["a", "c"], "plain": "p"},
    {"text": "", "number": "-1", "pick": "nope", "many": ["9"], "boxes": ["b"]},
])
def test_a_field_is_written_as_the_field_template_writes_it(data, language):
    from django.template import engines

    from grants.templatetags.potten import field_html

    template = engines["django"].from_string('{% include "includes/field.html" %}')
    with translation.override(language):
        form = Everything(data)
        form.is_bound and form.is_valid()
        written = [field_html(field) for field in form]
        included = [template.render({"field": field}) for field in form]
    assert written == included
    assert any('class="field field-error"' in text for text in written) == bool(data and data.get("text") == "")
    assert len(written) == len(Everything.base_fields)
