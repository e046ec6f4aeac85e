"""The rows of the payments page's lists as HTML, written in Python: the two with forms (to pay, to be paid back)
and the two histories (paid, paid back).

Each row with a form holds a small form (a date, a reference, a button, their labels); through the template engine
a row costs some 20 variable look-ups, and the page shows up to 150 rows. Here it is one string per row, exactly
the markup the template wrote (tests/test_money_rows.py compares the two).
"""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.html import conditional_escape, format_html

# (the date field's name, the id prefixes of the date and the reference, the texts of the labels and the button)
FORMS = {
    "planned": ("paid_on", "paid_on_", "reference_", "Paid on", "Paid"),
    "claims": ("received_on", "received_on_", "repayment_reference_", "Received on", "Received"),
}


def form_texts(kind: str) -> dict:
    """The labels of a list's form, translated once per page."""
    date_name, date_id, reference_id, date_label, button = FORMS[kind]
    return {"date_name": date_name, "date_id": date_id, "reference_id": reference_id,
            "date_label": conditional_escape(gettext(date_label)),
            "reference_label": conditional_escape(gettext("Reference")), "button": conditional_escape(gettext(button)),
            "overdue": conditional_escape(gettext("overdue"))}


def _form(row, texts, csrf_input, today) -> str:
    number, pk = conditional_escape(row.case_number), row.pk_text
    return format_html(
        '<td>\n        <form method="post" action="{}" class="inline-fields">{}\n'
        '          <label for="{}{}">{}<span class="visually-hidden"> {}</span></label>\n'
        '          <input type="date" id="{}{}" name="{}" value="{}" required>\n'
        '          <label for="{}{}">{}<span class="visually-hidden"> {}</span></label>\n'
        '          <input type="text" id="{}{}" name="reference" maxlength="100">\n'
        '          <button type="submit" class="button secondary">{}<span class="visually-hidden"> {}</span></button>\n'
        "        </form></td>",
        row.action_url, csrf_input, texts["date_id"], pk, texts["date_label"], number, texts["date_id"], pk,
        texts["date_name"], today, texts["reference_id"], pk, texts["reference_label"], number, texts["reference_id"],
        pk, texts["button"], number)


def money_row_html(row, *, texts: dict, may_pay: bool, csrf_input, today: str) -> str:
    """The <tr> of a payment to make or a repayment to receive (user-typed text escaped as the template did)."""
    overdue = f' <strong>({texts["overdue"]})</strong>' if getattr(row, "overdue", False) else ""
    cells = format_html('<tr><td><a href="{}">{}</a></td>\n      <td>{}</td><td>{}</td>\n'
                        '      <td class="num">{}</td><td>{}', row.case_url, row.case_label, row.organisation,
                        row.choice_text, row.amount_text, row.day_text)
    form = _form(row, texts, csrf_input, today) if may_pay else ""
    return mark_safe(f"{cells}{overdue}</td>\n      {form}\n    </tr>")  # noqa: S308 -- every part escaped


def history_rows_html(rows, nothing: str) -> str:
    """The rows of a history list (paid, paid back) as the template's loop wrote them, or its one row saying
    `nothing` (translated) when the list is empty."""
    if not rows:
        return format_html('<tr><td colspan="6">{}</td></tr>', nothing)
    return mark_safe("".join(format_html(  # noqa: S308 -- every part escaped
        '\n    <tr><td><a href="{}">{}</a></td>\n      <td>{}</td><td>{}</td>\n'
        '      <td class="num">{}</td><td>{}</td><td>{}</td></tr>\n  ', row.case_url, row.case_label,
        row.organisation, row.choice_text, row.amount_text, row.day_text, row.reference) for row in rows))
