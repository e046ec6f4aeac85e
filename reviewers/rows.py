"""The rows of the reviewer's list (templates/reviewers/home.html) as HTML, written in Python: one string per row
instead of some ten template look-ups and conditions per row, from plain values (reviewers.selectors.AssignmentRow).
The markup is exactly what the template's loops wrote (tests/test_reviews.py compares the two)."""

from html import escape

from django.utils.safestring import mark_safe
from django.utils.translation import gettext


def row_texts() -> dict:
    """The rows' fixed texts, translated and escaped once per page."""
    return {"overdue": escape(gettext("overdue")), "due_soon": escape(gettext("due soon"))}


def todo_row_html(row, texts: dict) -> str:
    """The <tr> of an assignment to review: `row.deadline_text` is the deadline as the `day` filter wrote it."""
    if row.overdue:
        flag = f' <strong class="error-text">{texts["overdue"]}</strong>'
    elif row.due_soon:
        flag = f' <strong>{texts["due_soon"]}</strong>'
    else:
        flag = ""
    return mark_safe(  # noqa: S308 -- every value is escaped
        f'<tr><td><a href="{escape(row.url)}">{escape(row.title)}</a></td><td>{escape(row.organisation)}</td>'
        f"\n      <td>{escape(row.fund)}</td>\n      <td>{escape(row.deadline_text)}{flag}</td>"
        f"\n      <td>{escape(row.status_text)}</td></tr>")


def done_row_html(row) -> str:
    """The <li> of a review done."""
    return mark_safe(  # noqa: S308 -- every value is escaped
        f'<li><a href="{escape(row.url)}">{escape(row.title)}</a> – {escape(row.organisation)}</li>')
