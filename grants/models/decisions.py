"""Decisions: what was decided on an application, corrections included (append-only in what it decided)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.applications import Application
from grants.models.base import DecisionQuerySet, MONEY


class Decision(models.Model):
    """The project secretary's funding decision. Never edited afterwards."""

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted")
        REJECTED = "rejected", _("Rejected")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second approver")
        EFFECTIVE = "effective", _("In effect")
        SUPERSEDED = "superseded", _("Replaced by a correction")
        ANNULLED = "annulled", _("Not approved by the second approver")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions",
                                    verbose_name=_("application"))
    outcome = models.CharField(_("decision"), max_length=20, choices=Outcome.choices)
    amount = models.DecimalField(_("granted amount (SEK)"), default=Decimal("0"), **MONEY)
    conditions = models.TextField(_("conditions"), blank=True)
    motivation = models.TextField(_("motivation"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.EFFECTIVE)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("second approver"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
                                 verbose_name=_("corrects decision"))
    letter = models.FileField(_("decision letter"), upload_to="letters/", max_length=200, blank=True)
    letter_sha256 = models.CharField(_("letter checksum"), max_length=64, blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="granted") & Q(amount__gt=0)) | (Q(outcome="rejected") & Q(amount=0)),
                name="decision_amount_matches_outcome",
            ),
        ]

    # Once recorded, only these change (its status as it takes effect or is replaced); the content never does.
    MUTABLE_FIELDS = DecisionQuerySet.mutable_fields

    objects = DecisionQuerySet.as_manager()

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and (not update_fields or not set(update_fields) <= self.MUTABLE_FIELDS):
            raise ValidationError("A decision cannot be edited; record a correcting decision instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A decision cannot be deleted; record a correcting decision instead.")
