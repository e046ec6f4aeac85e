from django import template
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
