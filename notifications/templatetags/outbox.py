import re

from django import template
from django.conf import settings
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

# A web address up to white space or markup; trailing punctuation stays outside the link.
URL = re.compile(r"(https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]])")


@register.filter(needs_autoescape=True)
def link_urls(text, autoescape=True):
    """Escape `text` and make Potten's own web addresses links: a fast, narrow urlize for mail bodies.

    Only addresses on SITE_URL become links. An address a user typed into a title or a motivation
    elsewhere stays text, so a mail from Potten never carries a clickable link to another site
    (a phishing link in an application reaches staff as words, not as a button).
    """
    escaped = conditional_escape(text) if autoescape else text
    own = conditional_escape(settings.SITE_URL.rstrip("/"))

    def link(match):
        url = match.group(1)
        if url == own or url.startswith(own + "/") or url.startswith(own + "?"):
            return f'<a href="{url}">{url}</a>'
        return url

    return mark_safe(URL.sub(link, escaped))
