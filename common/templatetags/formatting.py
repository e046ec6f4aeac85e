"""The formatting helpers as template filters, built into every template (config/settings.py TEMPLATES
"builtins"), so pages, mails and letters write dates and amounts one way."""

from django import template

from common import formatting

register = template.Library()


@register.filter
def day(value) -> str:
    """'3 dec. 2026'."""
    return formatting.day(value)


@register.filter
def day_month(value) -> str:
    """'3 dec.'."""
    return formatting.day(value, with_year=False) if value else ""


@register.filter
def daytime(value, arg="") -> str:
    """'3 dec. 2026 14:05'; daytime:"s" adds the seconds."""
    return formatting.daytime(value, seconds=arg == "s")


@register.filter
def money(value) -> str:
    """'19 200 kr'; öre only when there are öre."""
    return formatting.money(value)
