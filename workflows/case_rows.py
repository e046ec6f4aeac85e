"""Rows of the long staff lists as HTML, written in Python: the case list ("Ärenden") and the inboxes.

The case list shows 50 rows of 11 cells, an inbox up to 150 rows. Through the template engine each row costs
some 10 to 25 variable look-ups and conditions, more than the page's queries; here it is one string per row,
built from what the view prepared (`workflows.overview._decorate`, `workflows.selectors.task_rows`). The markup
is exactly what the rows of the templates were (every cell, the hidden texts for screen readers, the links and
forms); tests/test_overview.py compares the two.
"""

from html import escape

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop

from common.formatting import daytime
from common.html import conditional_escape, format_html
from common.paging import pagination_html
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
        ("no_case_number", gettext_noop("No case number")), ("no_open_step", gettext_noop("No open step")),
        ("nobody", gettext_noop("Nobody")), ("applicant", gettext_noop("The applicant")),
        ("not_taken", gettext_noop("Not taken")))}


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
    "applicant"); `take`, `release` the buttons' texts, escaped; `csrf_input` what {% csrf_token %} writes.
    The row's values are plain text (workflows.selectors.TaskRow), each escaped here."""
    application = escape(task.application)
    owner = f"<td>{escape(task.owner_name)}</td>" if kind == "others" else ""
    action = ""
    if kind == "queue":
        action = (f'\n          <form method="post" action="{escape(task.claim_url)}">{csrf_input}\n            '
                  f'<button type="submit" class="button secondary">{take}<span class="visually-hidden"> '
                  f'{application}</span></button></form>\n        ')
    elif kind == "mine":
        action = (f'\n          <form method="post" action="{escape(task.release_url)}">{csrf_input}\n            '
                  f'<button type="submit" class="link-button">{release}<span class="visually-hidden"> '
                  f'{application}</span></button></form>\n        ')
    return mark_safe(  # noqa: S308 -- every value above is escaped
        f"<tr>\n      <td>{escape(task.step)}</td>\n      <td><a href=\"{escape(task.url)}\">{application}</a></td>"
        f"\n      <td>{escape(task.organisation)}</td>\n      <td><time datetime=\"{escape(task.created_iso)}\">"
        f"{escape(task.created_text)}</time></td>\n      {owner}\n      <td>\n        {action}\n      </td>\n    </tr>")


def task_table_html(page, *, kind: str, caption, empty) -> str:
    """A task list of the inbox whole (what workflows/task_table.html wrote: its heading with the count, the
    table with its rows, page.rows_html, and its pagination, or the text `empty`), written in Python: the same
    text (tests/test_overview.py compares the two)."""
    caption = conditional_escape(caption)
    count = page.paginator.count
    counted = f' <span class="count">({count})</span>' if count else ""
    head = f'\n<h2 id="tasks-{kind}">{caption}{counted}</h2>\n'
    if not count:
        return mark_safe(f"{head}<p>{conditional_escape(empty)}</p>\n")  # noqa: S308 -- escaped
    # The texts translated outside the f-strings: makemessages does not look inside an f-string.
    step, application, organisation, waiting, actions, taken = map(conditional_escape, (
        gettext("Step"), gettext("Application"), gettext("Organisation"), gettext("Waiting since"),
        gettext("Actions"), gettext("Taken by")))
    taken_by = f'<th scope="col">{taken}</th>' if kind == "others" else ""
    rows = "".join(f"\n    {row}" for row in page.rows_html)
    label = mark_safe(gettext("Pages of “%(caption)s”") % {"caption": caption})  # noqa: S308 -- as blocktranslate
    return mark_safe(  # noqa: S308 -- every value is escaped, the rows were
        f'{head}\n<div class="table-scroll" role="region" tabindex="0" aria-labelledby="tasks-{kind}">'
        f'<table class="cards">\n  <thead><tr><th scope="col">{step}</th>'
        f'<th scope="col">{application}</th>\n    <th scope="col">'
        f'{organisation}</th><th scope="col">'
        f'{waiting}</th>\n    {taken_by}\n    <th scope="col"><span '
        f'class="visually-hidden">{actions}</span></th></tr></thead>\n  <tbody>'
        f"{rows}\n  </tbody>\n</table></div>\n\n{pagination_html(page, label)}\n\n")


# -- the case page's history tables (workflows/case_detail.html): a row per step and per event -------------------

def case_task_rows_html(tasks) -> str:
    """The rows of the case page's workflow table, each step as the template wrote it: its title, status, owner
    (or a dash), when it was created and finished (or a dash). tests/test_case_page_reads.py compares the two."""
    rows = []
    for task in tasks:
        owner = task.owner.get_full_name() if task.owner is not None else ""
        rows.append(format_html(
            "<tr><td>{}</td><td>{}</td>\n    <td>{}</td><td>{}</td><td>{}</td></tr>", getattr(task.flow_task, "task_title", ""),
            task.get_status_display(), owner or "–", daytime(task.created), daytime(task.finished) or "–"))
    return mark_safe("".join(rows))  # noqa: S308 -- every part escaped by format_html


def case_event_rows_html(events) -> str:
    """The rows of the case page's audit trail: the moment (with seconds), the event, who did it (or a dash), and
    the person it concerned with the message (its line breaks kept)."""
    rows = []
    for event in events:
        actor = event.actor.get_full_name() if event.actor is not None else ""
        message = linebreaksbr(event.message, autoescape=True)
        if event.subject is not None:
            message = format_html("{}{}{}", event.subject.get_full_name(), ": " if event.message else "", message)
        rows.append(format_html(
            "<tr><td>{}</td><td>{}</td>\n    <td>{}</td><td>{}</td></tr>", daytime(event.created_at, seconds=True),
            event.get_kind_display(), actor or "–", message))
    return mark_safe("".join(rows))  # noqa: S308 -- every part escaped by format_html


def case_mail_rows_html(mails, *, application_pk: int, csrf_input: str) -> str:
    """The rows of the case page's e-mails (notifications/case_outbox.html wrote them): when, to whom, the subject
    (or that a reminder is written when sent) and who sent it again, the status with the daily summary and the
    last error, the attempts, when it was sent, and the button that sends it again (`csrf_input` what
    {% csrf_token %} writes). One row saying there are none when there are none."""
    if not mails:
        return format_html('<tr><td colspan="7">{}</td></tr>', gettext("No e-mails."))
    reminder, in_digest = gettext("A reminder; its text is written when it is sent"), gettext("in the daily summary")
    last_error, send_again = gettext("Last error:"), gettext("Send again")
    rows = []
    for mail in mails:
        subject = conditional_escape(mail.subject) if mail.rendered else conditional_escape(reminder)
        if mail.resent_from_id:
            name = (mail.queued_by.get_full_name() if mail.queued_by is not None else "") or "–"
            subject += mark_safe(f"<br><small>{gettext('Sent again by %(name)s') % {'name': conditional_escape(name)}}"  # noqa: S308
                                 "</small>")
        status = conditional_escape(mail.get_status_display())
        if mail.digest_id:
            status += format_html(" <small>({})</small>", in_digest)
        if mail.last_error:
            status += format_html("<br><small>{} {}</small>", last_error, mail.last_error)
        action = "–"
        if mail.can_resend:
            label = gettext("Send again: %(subject)s to %(recipient)s") % {
                "subject": conditional_escape(mail.subject), "recipient": conditional_escape(mail.recipient)}
            action = format_html(
                '<form method="post" action="{}" class="inline-form">{}\n      <button type="submit" '
                'class="link-button" aria-label="{}">{}</button></form>',
                reverse("notifications:resend", args=[application_pk, mail.pk]), csrf_input, mark_safe(label),  # noqa: S308
                send_again)
        rows.append(format_html(
            "<tr>\n    <td>{}</td><td>{}</td>\n    <td>{}</td>\n    <td>{}</td>\n    <td class=\"num\">{}</td>\n"
            "    <td>{}</td>\n    <td>{}</td>\n  </tr>", daytime(mail.created_at), mail.recipient, subject, status,
            localize(mail.attempts), daytime(mail.sent_at) or "–", action))
    return mark_safe("".join(rows))  # noqa: S308 -- every part escaped


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
