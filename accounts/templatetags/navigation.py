"""{% site_header %} and {% site_footer %}: the frame of every page (templates/base.html), written by
accounts.navigation."""

from django import template

from accounts import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def site_header(context):
    return navigation.header_html(context)


@register.simple_tag(takes_context=True)
def site_footer(context):
    return navigation.footer_html(context)
