"""Template helpers for the final report (templates/grants/includes/final_report.html)."""

from django import template

from grants.services import reports

register = template.Library()


@register.simple_tag
def latest_report_detail(application):
    """The latest sent final report of an application with its lines (grants.reports.report_detail), or None.

    The page has already fetched the application through its *_for_user selector."""
    return reports.report_detail(reports.submitted_reports(application).select_related("submitted_by").first())
