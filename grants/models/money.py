"""Money: the ledger (append-only), budget changes, payments and repayments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.applications import Application
from grants.models.base import AppendOnlyQuerySet, MONEY
from grants.models.funds import FundYear


class LedgerEntry(models.Model):
    """A movement on a fund year's budget. Available = budget − (committed + paid)."""

    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("Committed by a grant")
        PAYMENT = "payment", _("Paid out")
        RELEASE = "release", _("Returned to the fund")
        REPAYMENT = "repayment", _("Paid back to the fund")

    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="ledger",
                                  verbose_name=_("fund year"))
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="ledger",
                                    verbose_name=_("application"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount (SEK)"), **MONEY)
    decision = models.ForeignKey("Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("decision"))
    payment = models.OneToOneField("Payment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="ledger_entry", verbose_name=_("payment"))
    repayment = models.OneToOneField("Repayment", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="ledger_entry", verbose_name=_("repayment"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        # The balances of fund years (the budgets page): the sums per kind read from this index alone.
        indexes = [models.Index(fields=["fund_year", "kind"], include=["amount"], name="grants_ledger_fy_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            # Closing a case returns its unspent money once, however often it is closed.
            models.UniqueConstraint(fields=["application"], condition=Q(kind="release", note="close"),
                                    name="ledger_one_release_on_close"),
            # Money paid back enters the ledger with its repayment, once (the one-to-one above).
            models.CheckConstraint(condition=~Q(kind="repayment") | Q(repayment__isnull=False),
                                   name="ledger_repayment_has_claim"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The ledger is append-only.")


class BudgetChange(models.Model):
    """A logged change of a fund year's budget."""

    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="budget_changes",
                                  verbose_name=_("fund year"))
    previous_budget = models.DecimalField(_("previous budget (SEK)"), **MONEY)
    new_budget = models.DecimalField(_("new budget (SEK)"), **MONEY)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("budget change")
        verbose_name_plural = _("budget changes")
        constraints = [models.CheckConstraint(condition=Q(new_budget__gte=0), name="budgetchange_nonnegative")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The budget changes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The budget changes are append-only.")


class Payment(models.Model):
    """An utbetalning: the advance on decision, the rest after the approved final report."""

    class Kind(models.TextChoices):
        ADVANCE = "advance", _("Advance")
        FINAL = "final", _("Final payment")

    class Status(models.TextChoices):
        PLANNED = "planned", _("To be paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments",
                                    verbose_name=_("application"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount (SEK)"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    paid_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("recorded by"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["application", "kind"], condition=~Q(status="cancelled"),
                                    name="payment_one_per_kind"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_on__isnull=False), name="payment_paid_has_date"),
        ]


class Repayment(models.Model):
    """An återbetalningskrav: money paid out that the organisation owes back to the fund.

    One per application (a case closes once); received, it enters the ledger and returns to the fund.
    """

    class Reason(models.TextChoices):
        UNSPENT = "unspent", _("More was paid out than the approved costs")
        ENDED = "ended", _("The grant was ended without being carried out")

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("To be paid back")
        RECEIVED = "received", _("Received")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="repayments",
                                    verbose_name=_("application"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    amount = models.DecimalField(_("amount (SEK)"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CLAIMED)
    due_on = models.DateField(_("to be paid back by"))
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("claimed by"))
    claimed_at = models.DateTimeField(_("claimed back on"), default=timezone.now)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    received_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+", verbose_name=_("recorded by"))

    class Meta:
        ordering = ["claimed_at", "pk"]
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            models.UniqueConstraint(fields=["application"], name="repayment_one_per_application"),
            models.CheckConstraint(condition=~Q(status="received") | Q(received_on__isnull=False),
                                   name="repayment_received_has_date"),
        ]
