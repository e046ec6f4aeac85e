"""The outbox: every mail is a row written in the same transaction as its event.

Also each fund's reminder settings (ReminderSettings), read by workflows/reminders.py.
"""

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


# Account mails (allauth: address confirmation, password reset …) carry one-time links: once such a mail
# is sent its text is blanked (notifications.delivery), so nobody can read a working link from the outbox.
ACCOUNT_KIND_PREFIX = "account_"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        HELD = "held", _("Held for the daily digest")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # (recipient, kind, object, stage): each notification exists at most once.
    dedupe_key = models.CharField(_("key"), max_length=255)  # unique: Meta.constraints
    # (kind, object, stage) without the recipient: one occurrence of a reminder, whoever it went to.
    occurrence = models.CharField(_("occurrence"), max_length=255, blank=True)  # indexed: Meta.indexes
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
    link = models.CharField(_("link"), max_length=500, blank=True)
    # A reminder is written by the hourly sweep before it is rendered (so a sweep over many thousand
    # open tasks only decides and inserts); the worker renders it from `context` just before sending.
    rendered = models.BooleanField(_("rendered"), default=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Stored files sent along: [{"name": storage name, "filename": shown name, "content_type": …}].
    files = models.JSONField(_("attached files"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # After a transient failure: not before this time (the sweeper respects the backoff too).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The text was removed after OUTBOX_BODY_RETENTION_DAYS (or by an erasure): who, what and when stay.
    body_purged_at = models.DateTimeField(_("text removed"), null=True, blank=True)
    # A held row is bundled into one daily digest; it is marked sent when that digest is sent.
    digest = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="bundled",
                               db_index=False, verbose_name=_("sent in digest"))
    # A resend copies the rendered message into a new row; who asked for it is kept here.
    resent_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="resends", db_index=False, verbose_name=_("resend of"))
    queued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False, verbose_name=_("resent by"))

    class Meta:
        ordering = ["created_at", "pk"]
        # Every index is paid for by each row a reminder sweep writes and by each status change of a delivery
        # (a changed indexed column updates every index of the row). So: no second `varchar_pattern_ops`
        # index for LIKE (the outbox is never searched by prefix), and the three links set on few rows
        # (digest, resend) are indexed only where they are set, which is all their lookups need.
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key_unique")]
        indexes = [
            models.Index(fields=["occurrence"], name="outbox_occurrence"),
            models.Index(fields=["status"], name="outbox_status"),
            models.Index(fields=["digest"], name="outbox_digest_set", condition=models.Q(digest__isnull=False)),
            models.Index(fields=["resent_from"], name="outbox_resent_from_set",
                         condition=models.Q(resent_from__isnull=False)),
            models.Index(fields=["queued_by"], name="outbox_queued_by_set", condition=models.Q(queued_by__isnull=False)),
        ]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")

    def __str__(self):
        return f"{self.kind} → {self.recipient}"

    @property
    def message_id(self) -> str:
        return f"<outbox-{self.pk}.{self.dedupe_key_hash}@potten>"

    @property
    def dedupe_key_hash(self) -> str:
        return hashlib.sha256(self.dedupe_key.encode()).hexdigest()[:16]

    @property
    def can_resend(self) -> bool:
        """A sent or failed mail, except a failed digest: its mails went out on their own
        (notifications.delivery releases them), so sending it again would send them twice."""
        if self.kind == "digest" and self.status == self.Status.FAILED:
            return False
        if self.kind.startswith(ACCOUNT_KIND_PREFIX) and self.status == self.Status.SENT:
            return False  # its text is gone; the person asks for a new link instead
        if self.body_purged_at is not None:
            return False  # its text is gone (kept only for a while, docs/privacy.md)
        return self.status in (self.Status.SENT, self.Status.FAILED)


def _days(label, default, help_text, *, minimum=0, nullable=True):
    return models.PositiveSmallIntegerField(
        label, default=default, null=nullable, blank=nullable, help_text=help_text,
        validators=[MinValueValidator(minimum), MaxValueValidator(365)],
    )


class ReminderSettings(models.Model):
    """When a fund's reminders go out. An empty number turns that reminder off."""

    fund = models.OneToOneField("grants.Fund", on_delete=models.CASCADE, related_name="reminder_settings",
                                verbose_name=_("fund"))
    draft_days_before_close = _days(
        _("draft not submitted: days before the call closes"), 3,
        _("Remind the organisation's contacts of a draft this many days before the call closes."))
    completion_days_before = _days(
        _("completion: days before its deadline"), 2,
        _("Remind the applicant this many days before the completion deadline."))
    review_days_before = _days(
        _("review: days before it is due"), 3,
        _("Remind the reviewer this many days before the review deadline (the fund's review settings give it)."))
    report_days_before = _days(_("final report: days before it is due"), 14,
                               _("Remind the applicant this many days before the final report is due."))
    overdue_every_days = _days(
        _("overdue: remind every (days)"), 7,
        _("An overdue completion, review or final report is reminded again this often."), minimum=1,
        nullable=False)
    overdue_max = _days(_("overdue: at most this many reminders"), 3,
                        _("0 turns overdue reminders off."), nullable=False)
    check_waiting_days = _days(
        _("ex-ante check waiting longer than (days)"), 7,
        _("Remind the case officers of an ex-ante check that has waited this long."), minimum=1)
    decision_waiting_days = _days(
        _("decision waiting longer than (days)"), 7,
        _("Remind the project secretaries of a decision that has waited this long."), minimum=1)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self):
        return str(self.fund)
