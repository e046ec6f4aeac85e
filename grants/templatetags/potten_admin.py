"""The admin's application list with its rows written in Python (grants/admin_rows.py)."""

from django import template

from grants import admin_rows

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def fast_result_list(cl):
    """Django's {% result_list cl %}, the rows written by grants.admin_rows."""
    return admin_rows.result_list(cl)
