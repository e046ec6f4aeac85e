"""The rows of the payments page's lists as HTML, written in Python: the two with forms (to pay, to be paid back)
and the two histories (paid, paid back); and the rows of a fund year's ledger (the fund budget page).

Each row with a form holds a small form (a date, a reference, a button, their labels); through the template engine
a row costs some 20 variable look-ups, and the page shows up to 150 rows. Here it is one string per row, exactly
the markup the template wrote (tests/test_money_rows.py compares the two).
"""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.formatting import daytimes, money_writer
from common.html import conditional_escape, format_html
from common.paging import url_for
from grants.models import LedgerEntry

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


def _form_format(texts, csrf_input, today) -> str:
    """The form of a list's rows as a format string with the parts rows share escaped once ({{ and }} kept for
    str.format): a row fills in its action (`action`), its id (`pk`) and its case number (`number`)."""
    def shared(value) -> str:
        return str(conditional_escape(value)).replace("{", "{{").replace("}", "}}")
    date_id, reference_id = shared(texts["date_id"]), shared(texts["reference_id"])
    return (
        '<td>\n        <form method="post" action="{action}" class="inline-fields">' + shared(csrf_input) + "\n"
        f'          <label for="{date_id}{{pk}}">{shared(texts["date_label"])}<span class="visually-hidden"> {{number}}'
        "</span></label>\n"
        f'          <input type="date" id="{date_id}{{pk}}" name="{shared(texts["date_name"])}" value="{shared(today)}"'
        " required>\n"
        f'          <label for="{reference_id}{{pk}}">{shared(texts["reference_label"])}<span class="visually-hidden">'
        " {number}</span></label>\n"
        f'          <input type="text" id="{reference_id}{{pk}}" name="reference" maxlength="100">\n'
        f'          <button type="submit" class="button secondary">{shared(texts["button"])}<span class="visually-hidden">'
        " {number}</span></button>\n"
        "        </form></td>")


def money_row_writer(*, texts: dict, may_pay: bool, csrf_input, today: str):
    """The writer of a list's rows (`money_row_html` for each row), with the parts rows share written once."""
    form = _form_format(texts, csrf_input, today) if may_pay else None
    overdue_text = f' <strong>({texts["overdue"]})</strong>'

    def write(row) -> str:
        overdue = overdue_text if getattr(row, "overdue", False) else ""
        cells = format_html('<tr><td><a href="{}">{}</a></td>\n      <td>{}</td><td>{}</td>\n'
                            '      <td class="num">{}</td><td>{}', row.case_url, row.case_label, row.organisation,
                            row.choice_text, row.amount_text, row.day_text)
        cell = "" if form is None else form.format(action=conditional_escape(row.action_url),
                                                   pk=conditional_escape(row.pk_text),
                                                   number=conditional_escape(row.case_number))
        return mark_safe(f"{cells}{overdue}</td>\n      {cell}\n    </tr>")  # noqa: S308 -- every part escaped
    return write


def money_row_html(row, *, texts: dict, may_pay: bool, csrf_input, today: str) -> str:
    """The <tr> of a payment to make or a repayment to receive (user-typed text escaped as the template did)."""
    return money_row_writer(texts=texts, may_pay=may_pay, csrf_input=csrf_input, today=today)(row)


def history_rows_html(rows, nothing: str) -> str:
    """The rows of a history list (paid, paid back) as the template's loop wrote them, or its one row saying
    `nothing` (translated) when the list is empty."""
    if not rows:
        return format_html('<tr><td colspan="6">{}</td></tr>', nothing)
    return mark_safe("".join(format_html(  # noqa: S308 -- every part escaped
        '\n    <tr><td><a href="{}">{}</a></td>\n      <td>{}</td><td>{}</td>\n'
        '      <td class="num">{}</td><td>{}</td><td>{}</td></tr>\n  ', row.case_url, row.case_label,
        row.organisation, row.choice_text, row.amount_text, row.day_text, row.reference) for row in rows))


# What a row of a fund year's ledger shows, read as values (no model instances).
LEDGER_ROW_COLUMNS = ("pk", "created_at", "application_id", "application__case_number", "application__title", "kind",
                      "amount", "created_by__full_name", "created_by__email")


def ledger_rows_html(rows, *, may_see_cases: bool, nothing: str) -> str:
    """The rows of a fund year's ledger (LEDGER_ROW_COLUMNS tuples) as grants/fund_budget.html's loop wrote them:
    the time, the case (its number, else its title; a link for those who may see cases), the kind, the amount and
    who booked it; or its one row saying `nothing` (translated) when the ledger is empty."""
    if not rows:
        return format_html('<tr><td colspan="5">{}</td></tr>', nothing)
    when, amount_text, kinds = daytimes(), money_writer(), dict(LedgerEntry.Kind.choices)
    untitled = gettext("Untitled application")
    case_url = url_for("workflows:case_detail")
    html = []
    for _pk, created_at, application_id, case_number, title, kind, amount, full_name, email in rows:
        case = case_number or title or untitled
        case_html = format_html('<a href="{}">{}</a>', case_url(application_id), case) if may_see_cases else (
            conditional_escape(case))
        html.append(format_html('\n    <tr><td>{}</td>\n      <td>{}</td>\n      <td>{}</td><td class="num">{}</td>'
                                '<td>{}</td></tr>\n  ', when(created_at), case_html, kinds.get(kind, kind),
                                amount_text(amount), full_name or email or ""))
    return mark_safe("".join(html))  # noqa: S308 -- every part escaped
