"""One way to write a date and one way to write an amount, everywhere (pages, mails, PDFs, events).

    day(date(2026, 12, 3))      -> "3 dec. 2026"  (English: "3 Dec 2026")
    money(Decimal("19200"))     -> "19 200 kr"    (English: "19,200 kr")
    money(Decimal("19200.50"))  -> "19 200,50 kr" (öre only when there are öre)

Swedish month abbreviations follow the Swedish Language Council (Språkrådet): "jan.", "feb.", "mars",
"apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec.".
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import numberformat, timezone, translation
from django.utils.formats import get_format
from django.utils.translation import pgettext

NBSP = "\u00a0"

_MONTHS = {
    1: lambda: pgettext("abbreviated month", "Jan"), 2: lambda: pgettext("abbreviated month", "Feb"),
    3: lambda: pgettext("abbreviated month", "Mar"), 4: lambda: pgettext("abbreviated month", "Apr"),
    5: lambda: pgettext("abbreviated month", "May"), 6: lambda: pgettext("abbreviated month", "Jun"),
    7: lambda: pgettext("abbreviated month", "Jul"), 8: lambda: pgettext("abbreviated month", "Aug"),
    9: lambda: pgettext("abbreviated month", "Sep"), 10: lambda: pgettext("abbreviated month", "Oct"),
    11: lambda: pgettext("abbreviated month", "Nov"), 12: lambda: pgettext("abbreviated month", "Dec"),
}


def _local(value):
    if isinstance(value, datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value


def day(value, *, with_year: bool = True) -> str:
    """A date (or the local date of a moment): "3 dec. 2026"."""
    if value in (None, ""):
        return ""
    value = _local(value)
    text = f"{value.day} {_MONTHS[value.month]()}"
    return f"{text} {value.year}" if with_year else text


def daytime(value, *, seconds: bool = False) -> str:
    """A moment in local time: "3 dec. 2026 14:05"."""
    if value in (None, ""):
        return ""
    value = _local(value)
    if not isinstance(value, datetime):
        return day(value)
    return f"{day(value)} {value:%H:%M:%S}" if seconds else f"{day(value)} {value:%H:%M}"


def daytimes():
    """daytime() for the many moments of one page (without seconds): the same text, each day's part ("3 dec.
    2026", its month's name translated) written once per day, not once per moment."""
    zone, days = timezone.get_current_timezone(), {}

    def write(value) -> str:
        if not isinstance(value, datetime):
            return daytime(value)
        local = value.astimezone(zone) if timezone.is_aware(value) else value  # _local()
        date = local.date()
        if date not in days:
            days[date] = day(date)
        return f"{days[date]} {local:%H:%M}"
    return write


def _number_formats() -> tuple:
    """What django.utils.formats.number_format looks up for the active language, looked up once."""
    language = translation.get_language()
    return (get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
            get_format("NUMBER_GROUPING", language, use_l10n=True),
            get_format("THOUSAND_SEPARATOR", language, use_l10n=True), bool(language) and language.startswith("sv"))


def _money(value, unit: bool, formats: tuple) -> str:
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    places = 0 if amount == amount.to_integral_value() else 2
    decimal_separator, grouping, thousand_separator, swedish = formats
    # number_format(amount, decimal_pos=places, force_grouping=True) with the formats given
    text = numberformat.format(amount, decimal_separator, places, grouping, thousand_separator, force_grouping=True,
                               use_l10n=True)
    if swedish:
        text = text.replace(" ", NBSP)
    return f"{text}{NBSP}kr" if unit else text


def money(value, *, unit: bool = True) -> str:
    """An amount in kronor: "19 200 kr"; öre only when there are öre ("19 200,50 kr")."""
    return _money(value, unit, _number_formats())


def money_writer():
    """`money` for the many amounts of one page: the language's number formats looked up once (the writer is for
    the language active when it is made)."""
    formats = _number_formats()
    return lambda value, *, unit=True: _money(value, unit, formats)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_cell(value) -> str:
    """A CSV cell as Swedish Excel reads it: decimal comma, no thousands separator, and text that would
    start a formula made plain text with a leading apostrophe (a negative number stays a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value).replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
