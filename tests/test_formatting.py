"""common.formatting.money and money_writer (the formats looked up once per page) write what the definition
through django.utils.formats.number_format wrote, in both languages."""

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format

from common.formatting import NBSP, money, money_writer

VALUES = [None, "", 0, 5, Decimal("0"), Decimal("0.00"), Decimal("19200"), Decimal("19200.00"), Decimal("19200.5"),
          Decimal("1234567.89"), Decimal("-1234.50"), Decimal("-0.004"), Decimal("0.004"), Decimal("999999999999.99"),
          1234567, "1234.5", "abc", 12.5, Decimal("1E+3")]


def by_number_format(value, unit=True):
    """money() as it was written before its formats were looked up once."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except Exception:
        return str(value)
    places = 0 if amount == amount.to_integral_value() else 2
    text = number_format(amount, decimal_pos=places, force_grouping=True)
    if translation.get_language().startswith("sv"):
        text = text.replace(" ", NBSP)
    return f"{text}{NBSP}kr" if unit else text


@pytest.mark.parametrize("language", ["sv", "en"])
def test_money_and_the_page_writer_write_what_number_format_wrote(language):
    with translation.override(language):
        write = money_writer()
        for value in VALUES:
            for unit in (True, False):
                expected = by_number_format(value, unit)
                assert money(value, unit=unit) == expected, value
                assert write(value, unit=unit) == expected, value
    with translation.override("sv"):
        assert money(Decimal("19200.50")) == f"19{NBSP}200,50{NBSP}kr"
    with translation.override("en"):
        assert money(Decimal("19200")) == f"19,200{NBSP}kr"
