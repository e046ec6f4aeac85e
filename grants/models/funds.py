"""Funds, their yearly budgets (fund years), calls and the municipalities they serve."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.base import MONEY


class Municipality(models.Model):
    code = models.CharField(_("municipality code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self):
        return self.name


class Fund(models.Model):
    class Kind(models.TextChoices):
        DIALOGPOTT = "dialogpott", _("Dialogue pot")
        MIKROPROJEKT = "mikroprojekt", _("Microprojects")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    purpose = models.TextField(_("purpose"), blank=True)
    who_may_apply = models.TextField(_("who may apply"), blank=True)
    max_amount = models.DecimalField(_("maximum amount per application (SEK)"), **MONEY)
    municipalities = models.ManyToManyField(
        Municipality, blank=True, verbose_name=_("eligible municipalities"),
        help_text=_("Leave empty if organisations from any municipality may apply."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    case_prefix = models.CharField(
        _("case number prefix"), max_length=10, default="",
        help_text=_("Case numbers are PREFIX-YEAR-NUMBER, for example DP-2026-0007."),
    )
    advance_percent = models.PositiveSmallIntegerField(
        _("advance (%)"), default=100, validators=[MaxValueValidator(100)],
        help_text=_("Share of a grant paid on decision; the rest is paid after the approved final report."),
    )
    four_eyes_above = models.DecimalField(
        _("second approver above (SEK)"), null=True, blank=True, **MONEY,
        help_text=_("Grants above this amount need a second approver before they take effect. Empty: never."),
    )
    report_due_days = models.PositiveSmallIntegerField(
        _("final report due (days after the project ends)"), default=30,
    )
    # docs/privacy.md: ten years after a case closes (the archive rule EU-funded projects such as the ESF
    # follow), then a beat task pseudonymises the case's personal data (workflows/privacy/).
    retention_years = models.PositiveSmallIntegerField(
        _("keep personal data (years after a case closes)"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("After this many years the personal data of a closed case are pseudonymised. "
                    "Ten years is the default for EU-funded projects."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.CheckConstraint(condition=Q(max_amount__gt=0), name="fund_max_amount_positive"),
            models.CheckConstraint(condition=Q(advance_percent__lte=100), name="fund_advance_percent"),
        ]

    def __str__(self):
        return self.name


class FundYear(models.Model):
    """A fund's budget and targets for one calendar year."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="years", verbose_name=_("fund"))
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    budget = models.DecimalField(_("budget (SEK)"), **MONEY)
    target_applications = models.PositiveIntegerField(_("target: applications received"), default=0)
    target_carried_out = models.PositiveIntegerField(_("target: granted and carried out"), default=0)
    target_collaboration_projects = models.PositiveIntegerField(
        _("target: collaboration projects carried out"), default=0,
        help_text=_("Projects with at least one named partner. 0 = no target."))
    target_balance_percent = models.PositiveSmallIntegerField(
        _("target: women and men each at least (%)"), default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("Among participants and among leaders: 40 means the 40/60 rule. 0 = no target."))
    target_survey_percent = models.PositiveSmallIntegerField(
        _("target: participants reporting increased knowledge (%)"), default=0,
        validators=[MaxValueValidator(100)], help_text=_("0 = no target."))

    class Meta:
        ordering = ["fund__name", "-year"]
        verbose_name = _("fund year")
        verbose_name_plural = _("fund years")
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="fundyear_unique"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="fundyear_budget_nonnegative"),
        ]

    def __str__(self):
        return f"{self.fund} {self.year}"


class Call(models.Model):
    """An utlysning: a period in which a fund accepts applications."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="calls", verbose_name=_("fund"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    budget_year = models.PositiveSmallIntegerField(
        _("budget year"), help_text=_("Grants from this call are taken from this year's budget.")
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))

    class Meta:
        ordering = ["closes_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opens"),
        ]

    def __str__(self):
        return self.title

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at

    def get_absolute_url(self):
        return reverse("grants:call_detail", args=[self.pk])
