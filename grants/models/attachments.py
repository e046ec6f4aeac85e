"""Files attached to an application (the bytes are checked in grants/uploads/)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.models.applications import Application
import uuid


def attachment_key(instance, filename) -> str:
    """A random storage key: the original name is kept in a column, never in the key."""
    return f"attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to an application, on private storage; downloaded only through a checked view."""

    class Stage(models.TextChoices):
        APPLICATION = "application", _("The application")
        REPORT = "report", _("The final report")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="attachments",
                                    verbose_name=_("application"))
    file = models.FileField(_("file"), upload_to=attachment_key, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("checksum"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    stage = models.CharField(
        _("attached to"), max_length=12, choices=Stage.choices, default=Stage.APPLICATION,
        help_text=_("The application, or the final report written after the project."),
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
            models.CheckConstraint(condition=Q(stage__in=["application", "report"]), name="attachment_stage_known"),
        ]

    def __str__(self):
        return self.original_name
