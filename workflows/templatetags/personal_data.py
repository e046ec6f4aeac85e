"""Shows one item of a person's data export as a description list, escaped (the values are typed text)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


def labels() -> dict[str, str]:
    return {
        "organisation": _("Organisation"), "org_number": _("Organisation number"), "since": _("Since"),
        "sent_at": _("Sent"), "expires_at": _("Expires"), "accepted_at": _("Accepted"), "id": _("Number"),
        "case_number": _("Case number"), "title": _("Title"), "fund": _("Fund"), "status": _("Status"),
        "created_at": _("Created"), "submitted_at": _("Submitted"), "content": _("Content"),
        "activities": _("Activities"), "budget": _("Budget"), "partners": _("Partners"),
        "activity": _("Activity"), "starts_on": _("Date"), "ends_on": _("Last date"), "cost": _("Cost"),
        "amount": _("Amount (SEK)"), "partner": _("Partner"), "role": _("Role"), "application": _("Application"),
        "activities_done": _("What was done"), "lessons": _("Lessons learned"), "outcome": _("Outcome"),
        "comment": _("Comment"), "costs": _("Costs"), "saved_at": _("Saved"), "data": _("What was typed"),
        "name": _("Name"), "description": _("Description"), "size": _("Size (bytes)"),
        "uploaded_at": _("Uploaded"), "assigned_at": _("Asked"), "declared_at": _("Declared"),
        "conflict_reason": _("Conflict of interest"), "recommendation": _("Recommendation"),
        "summary": _("Summary"), "scores": _("Scores"), "criterion": _("Criterion"), "score": _("Score"),
        "override_reason": _("Reason to pass despite failed points"), "checked_at": _("Checked"),
        "motivation": _("Motivation"), "conditions": _("Conditions"), "decided_at": _("Decided"),
        "kind": _("Kind"), "recipient": _("Recipient"), "subject": _("Subject"), "text": _("Text"),
        "event": _("Event"), "by_this_person": _("By you"), "time": _("Time"), "message": _("Message"),
        "reason": _("Reason"),
    }


def _value(value, names):
    if isinstance(value, dict):
        rows = [(names.get(key, key.replace("_", " ")), _value(item, names)) for key, item in value.items()
                if item not in ("", None, [], {})]
        return format_html('<dl class="facts">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))
    if isinstance(value, list):
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_value(v, names),) for v in value)))
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return format_html("{}", value)


@register.simple_tag
def data_item(item):
    """`item` (a dict from workflows.privacy) as nested, escaped description lists."""
    return _value(item, labels())
