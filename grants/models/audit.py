"""The case's audit trail: one append-only event per thing that happened."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.applications import Application
from grants.models.base import AppendOnlyQuerySet


class Event(models.Model):
    """The case's audit trail: who did what, when and why. Append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Draft created")
        SUBMITTED = "submitted", _("Submitted")
        CHECKED = "checked", _("Ex-ante check")
        COMPLETION_REQUESTED = "completion_requested", _("Completion requested")
        RESUBMITTED = "resubmitted", _("Completed and resubmitted")
        INELIGIBLE = "ineligible", _("Rejected as ineligible")
        REVIEWED = "reviewed", _("Review submitted")
        NO_CONFLICT_DECLARED = "no_conflict", _("Reviewer declared no conflict of interest")
        CONFLICT_DECLARED = "conflict", _("Reviewer declared a conflict of interest")
        REVIEW_CLOSED = "review_closed", _("Review closed")
        DECIDED = "decided", _("Decision")
        REPORT_SUBMITTED = "report_submitted", _("Final report submitted")
        REPORT_COMPLETION = "report_completion", _("Completion of final report requested")
        REPORT_APPROVED = "report_approved", _("Final report approved")
        WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
        DECISION_PENDING = "decision_pending", _("Decision waiting for a second approver")
        DECISION_APPROVED = "decision_approved", _("Decision approved by a second approver")
        DECISION_RETURNED = "decision_returned", _("Decision returned by the second approver")
        DECISION_CORRECTED = "decision_corrected", _("Decision corrected")
        OVERRIDE = "override", _("Passed despite failed checklist points")
        PAYMENT_PLANNED = "payment_planned", _("Payment planned")
        PAYMENT_PAID = "payment_paid", _("Payment made")
        PAYMENT_CANCELLED = "payment_cancelled", _("Planned payment cancelled")
        MONEY_RETURNED = "money_returned", _("Unspent money returned to the fund")
        REPAYMENT_CLAIMED = "repayment_claimed", _("Repayment claimed from the organisation")
        REPAYMENT_RECEIVED = "repayment_received", _("Repayment received")
        GRANT_ENDED = "grant_ended", _("Grant ended without being carried out")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        ATTACHMENT_REMOVED = "attachment_removed", _("Attachment removed")
        TASK_CLAIMED = "task_claimed", _("Task claimed")
        TASK_RELEASED = "task_released", _("Task released")
        REVIEW_DEADLINE_CHANGED = "review_deadline", _("Review deadline changed")
        REVIEWER_ASSIGNED = "reviewer_assigned", _("Reviewer asked")
        REVIEW_CHANGED = "review_changed", _("Submitted review changed")
        REVIEWS_ENDED = "reviews_ended", _("Open review requests ended")
        PRACTICE_PREPARED = "practice_prepared", _("Good practice prepared for the catalogue")
        PRACTICE_EDITED = "practice_edited", _("Good practice edited")
        PRACTICE_PUBLISHED = "practice_published", _("Good practice published")
        PRACTICE_UNPUBLISHED = "practice_unpublished", _("Good practice taken down")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events",
                                    verbose_name=_("application"))
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    # The person the event is about (the reviewer asked, …): a reference, never a copied name, so that
    # erasing the person (a pseudonymised user row) leaves no name in this append-only table.
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("concerns"))
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    message = models.TextField(_("message"), blank=True)
    visible_to_applicant = models.BooleanField(_("visible to the applicant"), default=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # The status changes of the audit trail, per application in time order: what the indicators read.
            models.Index(fields=["application", "created_at", "id"], condition=~Q(to_status=""),
                         name="event_status_changes"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The audit trail is append-only.")
