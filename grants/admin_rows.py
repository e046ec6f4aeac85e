"""The rows of the admin's application list, written in Python: what Django's `items_for_result` writes.

At 100,000 applications the admin's list (a search, 50 rows) spends more time writing its rows than on anything
else: for each cell of each row Django looks the field up again, formats the value, reverses the change page's
URL and resolves it again to add the list's filters. Here each column is prepared once per page (the field, its
class, the URL around the primary key with the filters) and each row is one string. Only plain columns are
written here: the action checkbox, `__str__` (the link), foreign keys, fields with choices, decimals and moments.
A list with any other column, editable rows, a popup or `to_field` is left to Django. tests/test_admin.py
compares the rows with Django's, character for character.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import (
    ResultList, admin_list_filter, result_headers, result_hidden_fields, results as django_results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.encoding import iri_to_uri
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.html import conditional_escape, format_html


def _moment_writer():
    """A function writing a moment as a template's {{ value }} does (formats.localize of its local time: the active
    language's DATETIME_FORMAT through django.utils.dateformat), with the format looked up and split into its parts
    once per page rather than once per cell."""
    parts = []
    for index, part in enumerate(dateformat.re_formatchars.split(str(formats.get_format("DATETIME_FORMAT")))):
        if index % 2:
            parts.append((True, part))  # a format character: DateFormat's method of that name
        elif part:
            parts.append((False, dateformat.re_escaped.sub(r"\1", part)))

    def written(value):
        local = dateformat.DateFormat(timezone.template_localtime(value))
        return "".join(str(getattr(local, part)()) if character else part for character, part in parts)
    return written


def _column(cl, name, empty):
    """A function of a row (the model instance) writing its cell for the column `name`, or None if the column is
    not one written here."""
    if name == "action_checkbox":
        label = gettext("Select this object for an action - {}")

        def checkbox(row):
            return (f'<td class="action-checkbox"><input type="checkbox" name="{ACTION_CHECKBOX_NAME}" '
                    f'value="{conditional_escape(str(row.pk))}" class="action-select" '
                    f'aria-label="{format_html(label, str(row))}"></td>')
        return checkbox
    if name == "__str__":
        def text(row):
            value = str(row)
            return conditional_escape(value) if value.strip() else empty
        return text
    try:
        field = cl.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    nowrap = " nowrap" if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)) else ""
    opening = f'<td class="field-{name}{nowrap}">'
    if field.auto_created or field.many_to_many or field.one_to_many:
        return None
    if isinstance(field, models.ForeignKey):
        def related(row):
            value = getattr(row, field.name)
            return f"{opening}{empty if value is None else conditional_escape(str(value))}</td>"
        return related
    if getattr(field, "flatchoices", None):
        labels = {value: conditional_escape(str(label)) for value, label in field.flatchoices}

        def choice(row):
            return f"{opening}{labels.get(getattr(row, field.attname), empty)}</td>"
        return choice
    if isinstance(field, models.DateTimeField):
        written = _moment_writer()

        def moment(row):
            value = getattr(row, field.attname)
            if value in field.empty_values:
                return f"{opening}{empty}</td>"
            return f"{opening}{conditional_escape(written(value))}</td>"
        return moment
    if isinstance(field, models.DecimalField):
        known = {}

        def decimal(row):
            value = getattr(row, field.attname)
            if value in field.empty_values:
                return f"{opening}{empty}</td>"
            if value not in known:
                known[value] = conditional_escape(formats.number_format(value, field.decimal_places))
            return f"{opening}{known[value]}</td>"
        return decimal
    return None


def _rows(cl) -> list | None:
    """Each row of the page as one string of cells, or None when a column is not one written here."""
    if cl.formset is not None or cl.is_popup or cl.to_field:
        return None
    empty = conditional_escape(cl.model_admin.get_empty_value_display())
    links = cl.list_display_links or ()
    columns, linked = [], False
    for name in cl.list_display:
        write = _column(cl, name, empty)
        if write is None or (name in links) != (name == "__str__"):
            return None
        columns.append((name, write))
        linked = linked or name == "__str__"
    if not linked:
        return None
    # The change page's URL with the list's filters, around the primary key: the same for every row.
    opts = cl.opts
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=("0",),
                  current_app=cl.model_admin.admin_site.name)
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, url)
    head, _zero, tail = url.partition("/0/")
    head, tail = conditional_escape(head), conditional_escape(tail)
    rows = []
    for row in cl.result_list:
        cells = []
        for name, write in columns:
            if name == "__str__":
                cells.append(f'<th class="field-__str__"><a href="{head}/{conditional_escape(quote(row.pk))}/{tail}">'
                             f"{write(row)}</a></th>")
            else:
                cells.append(write(row))
        rows.append(ResultList(None, [mark_safe("".join(cells))]))  # noqa: S308 -- every part is escaped
    return rows


def result_list(cl) -> dict:
    """The context of admin/change_list_results.html, as Django's `result_list` tag makes it, with the rows
    written here when every column is one written here."""
    headers = list(result_headers(cl))
    rows = _rows(cl)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": rows if rows is not None else list(django_results(cl)),
    }


def list_filter(cl, spec) -> str:
    """What Django's {% admin_list_filter cl spec %} writes: a filter of the sidebar with Django's template
    (admin/filter.html) written here, each choice one string (the list's status and fund filters list some 60
    choices); a filter with a template of its own is left to Django."""
    if spec.template != "admin/filter.html":
        return admin_list_filter(cl, spec)
    title = conditional_escape(spec.title)
    selected = {True: ' class="selected"', False: ""}
    choices = "".join(
        f'\n    <li{selected[bool(choice["selected"])]}>\n'
        f'    <a href="{conditional_escape(iri_to_uri(choice["query_string"]))}">'
        f'{conditional_escape(choice["display"])}</a></li>\n  ' for choice in spec.choices(cl))
    by = gettext(" By %(filter_title)s ") % {"filter_title": title}
    return mark_safe(  # noqa: S308 -- every part is escaped
        f'\n<details data-filter-title="{title}" open>\n  <summary>\n    {by}\n  </summary>\n  <ul>\n  '
        f"{choices}\n  </ul>\n</details>\n")
