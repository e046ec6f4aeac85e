"""Template helpers for templates/grants/attachments_section.html."""

import math

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format

from grants.uploads import rules as upload_rules

register = template.Library()


@register.simple_tag
def attachment_limits() -> dict:
    """What the upload form tells the applicant, read from settings and grants.uploads.rules."""
    return {
        "accept": upload_rules.accept_attribute(),
        "allowed": upload_rules.allowed_types_text(),
        "max_size": filesizeformat(upload_rules.upload_limit()),
        "max_files": upload_rules.MAX_FILES_PER_APPLICATION,
        "max_description": upload_rules.MAX_DESCRIPTION_LENGTH,
    }


@register.filter
def kb(size) -> str:
    """12345 -> '13 kB' (rounded up, at least 1 kB), grouped by the active locale."""
    if size in (None, ""):
        return ""
    return f"{number_format(max(1, math.ceil(int(size) / 1024)), force_grouping=True)}\u00a0kB"


@register.filter
def attachment_kind(content_type: str) -> str:
    """The short name of a detected type: 'PDF', 'Word (DOCX)', …"""
    for kind in upload_rules.KINDS.values():
        if kind.content_type == content_type:
            return str(kind.label)
    return content_type


@register.filter
def of_stage(attachments_, stage: str):
    """The files of one stage: "application" or "report" (a final report's files)."""
    return [attachment for attachment in attachments_ if attachment.stage == stage]
