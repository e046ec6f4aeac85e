"""Rows of the long staff lists as HTML, written in Python: the case list ("Ärenden") and the inboxes.

The case list shows 50 rows of 11 cells, an inbox up to 150 rows. Through the template engine each row costs
some 10 to 25 variable look-ups and conditions, more than the page's queries; here it is one string per row,
built from what the view prepared (`workflows.overview._decorate`, `workflows.selectors.task_rows`). The markup
is exactly what the rows of the templates were (every cell, the hidden texts for screen readers, the links and
forms); tests/test_overview.py compares the two.
"""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.html import conditional_escape, format_html
from workflows.selectors import flow_node

DASH = '<span aria-hidden="true">—</span>'


def step_title(ref, known: dict) -> str:
    """The title of the step a task reference names ("" for none), looked up once per page for each step."""
    if not ref:
        return ""
    if ref not in known:
        node = flow_node(ref)
        known[ref] = str(node.task_title or node.name) if node is not None else ""
    return known[ref]


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


def task_row_html(task, *, kind: str, take: str, release: str, csrf_input: str) -> str:
    """The <tr> of a task list's row (workflows/task_table.html): `kind` is the list ("mine", "queue", "others",
    "applicant"); `take`, `release` the buttons' texts, escaped; `csrf_input` what {% csrf_token %} writes."""
    application = conditional_escape(task.application)
    owner = format_html("<td>{}</td>", task.owner_name) if kind == "others" else ""
    action = ""
    if kind == "queue":
        action = format_html(
            '\n          <form method="post" action="{}">{}\n            <button type="submit" class="button secondary">'
            '{}<span class="visually-hidden"> {}</span></button></form>\n        ',
            task.claim_url, csrf_input, take, application)
    elif kind == "mine":
        action = format_html(
            '\n          <form method="post" action="{}">{}\n            <button type="submit" class="link-button">'
            '{}<span class="visually-hidden"> {}</span></button></form>\n        ',
            task.release_url, csrf_input, release, application)
    cells = format_html('<td>{}</td>\n      <td><a href="{}">{}</a></td>\n      <td>{}</td>\n      '
                        '<td><time datetime="{}">{}</time></td>', task.step, task.url, application, task.organisation,
                        task.created_iso, task.created_text)
    return mark_safe(f"<tr>\n      {cells}\n      {owner}\n      <td>\n        {action}\n      </td>\n    </tr>")  # noqa: S308


def stages_html(links, stages, total, *, all_current: bool) -> str:
    """The case list's counts per stage (the <ul> the template wrote): "All stages" and each stage, each a link
    to the list in that stage (`links`: common.paging.QueryLinks of the request), the chosen one marked."""
    current = ' aria-current="true"'
    parts = ['<ul class="overview-stages" aria-labelledby="stages-heading">\n  <li><a href="',
             links(stage=None, page=None), '"', current if all_current else "", ">",
             conditional_escape(gettext("All stages")), f": {total}</a></li>\n  "]
    for stage in stages:
        parts.append(f'\n    <li><a href="{links(stage=stage["value"], page=None)}"{current if stage["current"] else ""}>'
                     f'{conditional_escape(stage["label"])}: {stage["count"]}</a></li>\n  ')
    parts.append("\n</ul>")
    return mark_safe("".join(parts))  # noqa: S308 -- every part escaped


def header_html(links, columns) -> str:
    """The <th> cells of the case list's table (workflows.overview._columns): a sortable column links to its sort
    and says so to screen readers; the sorted one carries aria-sort."""
    parts = []
    for column in columns:
        numeric = ' class="num"' if column["numeric"] else ""
        sorted_by = f' aria-sort="{conditional_escape(column["aria_sort"])}"' if column["aria_sort"] else ""
        label = conditional_escape(column["label"])
        if column["key"]:
            order = gettext("sort: %(order)s") % {"order": conditional_escape(column["sort_label"])}
            label = (f'<a href="{links(sort=column["sort"], page=None)}">{label}<span class="visually-hidden">, '
                     f"{order}</span></a>")
        parts.append(f'\n    <th scope="col"{numeric}{sorted_by}>{label}</th>')
    return mark_safe("".join(parts))  # noqa: S308 -- every part escaped
