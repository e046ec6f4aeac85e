"""Review pieces other apps' pages show, so their views need not know about reviews."""

from django import template

from reviewers.selectors import summaries_for_applicant

register = template.Library()


@register.inclusion_tag("reviewers/applicant_summaries.html")
def applicant_review_summaries(application):
    """The reviewers' summaries on the applicant's page, anonymised, once the decision is in effect."""
    return {"summaries": summaries_for_applicant(application=application)}
