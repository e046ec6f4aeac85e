"""A row of the case list ("Ärenden") as HTML, written in Python.

The case list shows 50 rows of 11 cells. Through the template engine each row costs some 25 variable look-ups
and conditions, more than the page's queries; here it is one string per row, built from what
`workflows.overview._decorate` prepared. The markup is exactly what the row of the template was (every cell,
its hidden texts for screen readers, its links); tests/test_overview.py compares the two.
"""

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

DASH = '<span aria-hidden="true">—</span>'


def row_texts() -> dict:
    """The fixed texts of the rows, translated once per page."""
    return {name: conditional_escape(gettext(text)) for name, text in (
        ("no_case_number", "No case number"), ("no_open_step", "No open step"), ("nobody", "Nobody"),
        ("applicant", "The applicant"), ("not_taken", "Not taken"))}


def _hidden(text) -> str:
    return f'{DASH}<span class="visually-hidden">{text}</span>'


def _step(case, texts) -> str:
    if not case.open_step:
        return _hidden(texts["no_open_step"])
    if case.may_act:
        return format_html('<a href="{}">{}<span class="visually-hidden">: {}</span></a>', case.task_url,
                           case.open_step, case.label)
    return conditional_escape(case.open_step)


def _assignee(case, texts) -> str:
    if not case.open_task_pk:
        return _hidden(texts["nobody"])
    if case.is_applicant_step:
        if case.assignee_name:
            return format_html("{} ({})", texts["applicant"], case.assignee_name)
        return texts["applicant"]
    if case.assignee_name:
        return conditional_escape(case.assignee_name)
    return texts["not_taken"]


def case_row_html(case, texts) -> str:
    """The <tr> of one case (user-typed text escaped, as the template escaped it)."""
    number = conditional_escape(case.case_number) if case.case_number else _hidden(texts["no_case_number"])
    submitted = (format_html('<time datetime="{}">{}</time>', case.submitted_iso, case.submitted_text)
                 if case.submitted_at else "")
    cells = [
        number,
        format_html('<a href="{}">{}</a>', case.url, case.label),
        conditional_escape(case.organisation_name),
        conditional_escape(case.fund_name),
        conditional_escape(case.call_title),
        conditional_escape(case.status_label),
    ]
    days = format_html('<time datetime="{}" title="{}">{}</time><span class="visually-hidden">{}</span>',
                       case.stage_since.isoformat(), case.stage_since_title, str(case.days_in_stage),
                       case.stage_since_text)
    html = "\n      ".join(
        [f"<td>{cell}</td>" for cell in cells]
        + [f'<td class="num">{days}</td>', f"<td>{_step(case, texts)}</td>", f"<td>{_assignee(case, texts)}</td>",
           f'<td class="num">{conditional_escape(case.amount_text)}</td>', f"<td>{submitted}</td>"])
    return mark_safe(f"<tr>\n      {html}\n    </tr>")  # noqa: S308 -- every part above is escaped
