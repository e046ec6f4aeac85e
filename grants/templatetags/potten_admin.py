"""The admin's application list with its rows written in Python (grants/admin_rows.py), and the sidebar's list of
apps and models (grants/admin_nav.py)."""

from django import template

from grants import admin_nav, admin_rows

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def fast_result_list(cl):
    """Django's {% result_list cl %}, the rows written by grants.admin_rows."""
    return admin_rows.result_list(cl)


@register.simple_tag(takes_context=True)
def nav_app_list(context, app_list):
    """{% include "admin/app_list.html" with app_list=app_list show_changelinks=False %} of the sidebar, written by
    grants.admin_nav."""
    return admin_nav.app_list_html(app_list, context["request"].path, show_changelinks=False)


@register.simple_tag
def fast_list_filter(cl, spec):
    """Django's {% admin_list_filter cl spec %}, a filter with Django's template written by grants.admin_rows."""
    return admin_rows.list_filter(cl, spec)
