from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common import formatting

register = template.Library()


@register.filter
def widget_type(bound_field) -> str:
    return bound_field.field.widget.__class__.__name__.lower()


@register.simple_tag
def translate_required() -> str:
    return _("required")


@register.filter
def describedby(bound_field) -> str:
    """The ids of a field's help text and errors, for aria-describedby."""
    ids = []
    if bound_field.help_text:
        ids.append(f"{bound_field.auto_id}_help")
    if bound_field.errors:
        ids.append(f"{bound_field.auto_id}_errors")
    return " ".join(ids)


@register.simple_tag
def field_with_aria(bound_field):
    """Render the widget with aria-describedby (help, errors) and aria-invalid set."""
    attrs = {}
    if describedby(bound_field):
        attrs["aria-describedby"] = describedby(bound_field)
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)


def _shown(value) -> str:
    """{{ value }} in a template: localized, then escaped (unless safe)."""
    return conditional_escape(localize(template_localtime(value)))


@register.simple_tag
def field_html(bound_field):
    """What {% include "includes/field.html" %} writes for the field, character for character, written in Python
    (a list page's filter form renders half a dozen fields through that template on every request; the template
    stays the reference, tests/test_overview.py compares the two)."""
    field, shown = bound_field, _shown
    kind = widget_type(field)
    errors = field.errors
    auto_id = shown(field.auto_id)
    label = shown(field.label)
    required = f' <span class="required">({shown(_("required"))})</span>' if field.field.required else ""
    help_text = (f'<div class="help" id="{auto_id}_help">{shown(field.help_text)}</div>'
                 if field.help_text else "")
    error_text = (f'<p class="error-text" id="{auto_id}_errors">{" ".join(conditional_escape(e) for e in errors)}</p>'
                  if errors else "")
    if kind in ("radioselect", "checkboxselectmultiple"):
        described = f' aria-describedby="{shown(describedby(field))}"' if field.help_text or errors else ""
        choices = "".join(
            f'\n        <div class="choice">{choice.tag()} <label for="{shown(choice.id_for_label)}">'
            f"{shown(choice.choice_label)}</label></div>\n      " for choice in field)
        body = (f"\n    <fieldset{described}>\n      <legend>{label}{required}</legend>\n      {help_text}\n      "
                f'{error_text}\n      <div class="choices" id="{auto_id}">{choices}</div>\n    </fieldset>\n  ')
    elif kind == "checkboxinput":
        body = (f'\n    <div class="choice">\n      {conditional_escape(field_with_aria(field))}\n      '
                f'<label for="{shown(field.id_for_label)}">{label}</label>\n    </div>\n    {help_text}\n'
                f"    {error_text}\n  ")
    else:
        body = (f'\n    <label for="{shown(field.id_for_label)}">{label}{required}</label>\n    '
                f"{help_text}\n    {error_text}\n    {conditional_escape(field_with_aria(field))}\n  ")
    error_class = " field-error" if errors else ""
    return mark_safe(f'\n<div class="field{error_class}">\n  {body}\n</div>\n')  # noqa: S308 -- every part escaped


@register.filter
def sek(value) -> str:
    """19200 -> '19 200 kr', 19200.5 -> '19 200,50 kr' (common.formatting.money: öre only when there are öre)."""
    return formatting.money(value)


@register.filter
def without_end_stop(value) -> str:
    """A label used before ": " in an error summary: no full stop or colon of its own."""
    return str(value).rstrip(".:")


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name):
    """form|field:"name" -> the bound field, or None when the form does not hold it."""
    return form[name] if name in form.fields else None


@register.simple_tag
def gender_counts(women, men, other=None) -> str:
    """"1 woman, 3 men, 0 other or not stated", each number with its own plural ("1 kvinna, 3 män")."""
    women, men = women or 0, men or 0
    parts = [ngettext("%(count)s woman", "%(count)s women", women) % {"count": women},
             ngettext("%(count)s man", "%(count)s men", men) % {"count": men}]
    if other is not None:
        other = other or 0
        parts.append(ngettext("%(count)s other or not stated", "%(count)s other or not stated", other)
                     % {"count": other})
    return ", ".join(parts)
