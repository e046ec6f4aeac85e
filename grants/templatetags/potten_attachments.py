"""Template helpers for templates/grants/attachments_section.html."""

import math

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format

from grants import attachments

register = template.Library()


@register.simple_tag
def attachment_limits() -> dict:
    """What the upload form tells the applicant, read from settings and grants.attachments."""
    return {
        "accept": attachments.accept_attribute(),
        "allowed": attachments.allowed_types_text(),
        "max_size": filesizeformat(attachments.upload_limit()),
        "max_files": attachments.MAX_FILES_PER_APPLICATION,
        "max_description": attachments.MAX_DESCRIPTION_LENGTH,
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
    for kind in attachments.KINDS.values():
        if kind.content_type == content_type:
            return str(kind.label)
    return content_type


@register.filter
def of_stage(attachments_, stage: str):
    """The files of one stage: "application" or "report" (a final report's files)."""
    return [attachment for attachment in attachments_ if attachment.stage == stage]
