"""The outbox: every mail is a row written in the same transaction as its event."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # (recipient, kind, object, stage): each notification exists at most once.
    dedupe_key = models.CharField(_("key"), max_length=255, unique=True)
    recipient = models.EmailField(_("recipient"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=50)
    application = models.ForeignKey("grants.Application", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="outbox", verbose_name=_("application"))
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"))
    # Stored files sent along: [{"name": storage name, "filename": shown name, "content_type": …}].
    files = models.JSONField(_("attached files"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")

    def __str__(self):
        return f"{self.kind} → {self.recipient}"

    @property
    def message_id(self) -> str:
        return f"<outbox-{self.pk}.{self.dedupe_key_hash}@potten>"

    @property
    def dedupe_key_hash(self) -> str:
        import hashlib

        return hashlib.sha256(self.dedupe_key.encode()).hexdigest()[:16]
