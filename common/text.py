"""Text a user typed, made safe for places that take one line: mail subjects and headers,
file names, single-line form fields.

A control character (a carriage return, a line feed, a tab, NUL, DEL, the C1 range) or a
Unicode line or paragraph separator in a subject or header would end the header and start a new
one ("Bcc: …"), and Python's mail library refuses such a header outright, so one bad title would
silence every mail about a case. Input refuses them (`validate_single_line`); text stored before
that rule, or built from several values, is cleaned when it is used (`single_line`).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django import forms

# Cc (C0, DEL, C1) plus the line and paragraph separators that some readers treat as line breaks.
_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidirectional embeddings, overrides and isolates: they can show a subject or a file name in
# another order than it is ("…cod.exe" as "exe.doc…").
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def has_control_characters(text: str) -> bool:
    return bool(_BREAKING.search(text or "") or _BIDI.search(text or ""))


def single_line(text) -> str:
    """`text` on one line: every control character or line break becomes a space, runs of white
    space one space, no space at either end. Always a plain `str` (never a SafeString)."""
    plain = str.__str__(str(text or ""))
    return " ".join(_BREAKING.sub(" ", _BIDI.sub("", plain)).split())


def validate_single_line(value) -> None:
    """A form validator for one-line fields (titles, names): no line breaks or control characters."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(
            _("Write this on one line, without line breaks, tabs or other control characters."),
            code="control_characters")



def refuse_control_characters(form) -> None:
    """Give every one-line text field of `form` (a text input, not a text area) the
    `validate_single_line` rule. Call at the end of the form's __init__."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.Textarea):
            if validate_single_line not in field.validators:
                field.validators.append(validate_single_line)


class SingleLineFieldsMixin:
    """A form whose one-line text fields refuse line breaks and control characters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_control_characters(self)
