import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ORGNR_RE = re.compile(r"^(\d{6})-?(\d{4})$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise_org_number(value: str) -> str:
    """'802456-1234' or '8024561234' (with stray spaces) -> '802456-1234'."""
    compact = re.sub(r"\s", "", value or "")
    match = _ORGNR_RE.match(compact)
    if not match:
        return compact
    return f"{match.group(1)}-{match.group(2)}"


def validate_org_number(value: str) -> None:
    """A Swedish organisationsnummer: ten digits NNNNNN-NNNN, third digit at least 2,
    the last digit a Luhn check digit."""
    match = _ORGNR_RE.match(re.sub(r"\s", "", value or ""))
    if not match:
        raise ValidationError(
            _("Enter the organisation number as ten digits, for example 802456-1238."), code="format"
        )
    digits = match.group(1) + match.group(2)
    if int(digits[2]) < 2:
        raise ValidationError(
            _("This is not an organisation number (the third digit must be 2 or higher)."), code="not_org"
        )
    if not luhn_ok(digits):
        raise ValidationError(
            _("The organisation number is not valid: check the digits (the last digit does not match)."),
            code="checksum",
        )
