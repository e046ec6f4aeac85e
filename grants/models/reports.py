"""Final reports: costs, activities, and the applicant's autosaved draft."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.applications import ActivityLine, Application, BudgetLine
from grants.models.base import MONEY


class FinalReport(models.Model):
    """The applicant's slutrapport after the activity."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        COMPLETION = "completion", _("Completion requested")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="final_reports",
                                    verbose_name=_("application"))
    started_on = models.DateField(_("the project started"), null=True, blank=True)
    ended_on = models.DateField(_("the project ended"), null=True, blank=True)
    activities_done = models.TextField(
        _("what was done"), help_text=_("Describe what you did, and how it differed from the plan."),
    )
    participants_women = models.PositiveIntegerField(_("participants: women"))
    participants_men = models.PositiveIntegerField(_("participants: men"))
    participants_other = models.PositiveIntegerField(_("participants: other or not stated"))
    participants_newcomers = models.PositiveIntegerField(_("participants: newly arrived"))
    participants_established = models.PositiveIntegerField(_("participants: long-established residents"))
    trainers_women = models.PositiveIntegerField(_("trainers: women"))
    trainers_men = models.PositiveIntegerField(_("trainers: men"))
    # The sum of the report's cost lines (FinalReportCost), written with them by one service; never typed.
    costs_total = models.DecimalField(_("actual costs (SEK)"), **MONEY)
    survey_share = models.PositiveSmallIntegerField(
        _("share of participants reporting increased knowledge (%)"),
        validators=[MaxValueValidator(100)],
        help_text=_("From your survey: how many per cent said they know more now?"),
    )
    lessons = models.TextField(_("lessons learned"), help_text=_("What worked well, and what would you change?"))
    publish_consent = models.BooleanField(
        _("we agree that the project is published as good practice"), default=False,
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("handled by"))
    reviewed_at = models.DateTimeField(_("handled"), null=True, blank=True)
    reviewer_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("final report")
        verbose_name_plural = _("final reports")
        constraints = [
            models.CheckConstraint(condition=Q(survey_share__lte=100), name="report_survey_share_percent"),
            models.CheckConstraint(condition=Q(costs_total__gte=0), name="report_costs_nonnegative"),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True) | Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="report_ends_after_start",
            ),
        ]

    def __str__(self):
        return str(_("Final report: %(application)s") % {"application": self.application})

    def cost_lines_total(self) -> Decimal:
        return sum((line.amount for line in self.cost_lines.all()), Decimal("0"))


class FinalReportCost(models.Model):
    """What one cost came to: a line of the granted budget, or a cost that was not in the budget."""

    report = models.ForeignKey(FinalReport, on_delete=models.CASCADE, related_name="cost_lines",
                               verbose_name=_("final report"))
    position = models.PositiveSmallIntegerField(_("position"))
    budget_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("budget line"),
                                    help_text=_("Empty for a cost that was not in the budget."))
    description = models.CharField(_("cost"), max_length=300, blank=True)
    amount = models.DecimalField(_("actual cost (SEK)"), **MONEY)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("actual cost")
        verbose_name_plural = _("actual costs")
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="reportcost_position_unique"),
            models.UniqueConstraint(fields=["report", "budget_line"], name="reportcost_budget_line_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="reportcost_amount_nonnegative"),
            models.CheckConstraint(condition=Q(budget_line__isnull=False) | ~Q(description=""),
                                   name="reportcost_extra_has_description"),
        ]


class FinalReportActivity(models.Model):
    """What became of one planned activity, or an activity that was added."""

    class Status(models.TextChoices):
        DONE = "done", _("Done as planned")
        CHANGED = "changed", _("Done, but changed")
        NOT_DONE = "not_done", _("Not done")
        ADDED = "added", _("Added: not in the plan")

    report = models.ForeignKey(FinalReport, on_delete=models.CASCADE, related_name="activity_lines",
                               verbose_name=_("final report"))
    position = models.PositiveSmallIntegerField(_("position"))
    activity = models.ForeignKey(ActivityLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("planned activity"),
                                 help_text=_("Empty for an activity that was not in the plan."))
    status = models.CharField(_("what happened"), max_length=10, choices=Status.choices)
    description = models.CharField(_("activity"), max_length=300, blank=True)
    starts_on = models.DateField(_("date"), null=True, blank=True)
    ends_on = models.DateField(_("last date"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("reported activity")
        verbose_name_plural = _("reported activities")
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="reportactivity_position_unique"),
            models.UniqueConstraint(fields=["report", "activity"], name="reportactivity_planned_once"),
            models.CheckConstraint(condition=Q(activity__isnull=True, status="added")
                                   | (Q(activity__isnull=False) & Q(status__in=["done", "changed", "not_done"])),
                                   name="reportactivity_added_iff_unplanned"),
            models.CheckConstraint(condition=~Q(status__in=["changed", "not_done"]) | ~Q(comment=""),
                                   name="reportactivity_change_explained"),
            models.CheckConstraint(condition=~Q(status="added") | (~Q(description="") & Q(starts_on__isnull=False)),
                                   name="reportactivity_added_described"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="reportactivity_ends_after_start",
            ),
        ]


class FinalReportDraft(models.Model):
    """The final report while it is being written: what was typed, exactly as typed, so nothing is lost.

    One per application; it becomes a FinalReport when it is sent, and is then deleted.
    """

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="report_draft",
                                       verbose_name=_("application"))
    data = models.JSONField(_("what has been typed"), default=dict, blank=True)
    # Bumped by every save; a save that names an older version is refused (two tabs never overwrite).
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("last saved by"))
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)

    class Meta:
        verbose_name = _("final report draft")
        verbose_name_plural = _("final report drafts")
