"""The ex-ante check: the fund's checklist and each check with its item results."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.applications import Application
from grants.models.funds import Fund
from django.utils.translation import get_language


class ChecklistItem(models.Model):
    """One point of a fund's ex-ante checklist (formal requirement or evaluability, seed 002)."""

    class Group(models.TextChoices):
        FORMAL = "formal", _("Formal requirements")
        EVALUABILITY = "evaluability", _("Evaluability")

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("fund"))
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    text_sv = models.CharField(_("text in Swedish"), max_length=300)
    text_en = models.CharField(_("text in English"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["group", "position", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.text

    @property
    def text(self) -> str:
        return self.text_en if (get_language() or "sv").startswith("en") else self.text_sv


class ExAnteCheck(models.Model):
    """One ex-ante check (förhandsbedömning) of an application and its outcome."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("Pass to review")
        COMPLETION = "completion", _("Send back for completion")
        INELIGIBLE = "ineligible", _("Reject as ineligible")

    # What a recorded check did, in the past tense (the choices above are what the case officer chooses).
    OUTCOME_PAST = {
        "pass": _("Passed to review"),
        "completion": _("Sent back for completion"),
        "ineligible": _("Rejected as ineligible"),
    }

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="checks",
                                    verbose_name=_("application"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    override_reason = models.TextField(
        _("reason to pass despite failed points"), blank=True,
        help_text=_("Required when a point of the checklist failed and the application still goes to review."),
    )
    comment = models.TextField(_("comment to the applicant"), blank=True)
    completion_fields = models.JSONField(_("fields to complete"), default=list, blank=True)
    completion_deadline = models.DateField(_("completion deadline"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("checked by"))
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)

    class Meta:
        ordering = ["checked_at", "pk"]
        verbose_name = _("ex-ante check")
        verbose_name_plural = _("ex-ante checks")
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="completion") | Q(completion_deadline__isnull=False),
                name="check_completion_has_deadline",
            ),
        ]

    def outcome_past(self) -> str:
        """"Passed to review", "Sent back for completion", "Rejected as ineligible"."""
        return str(self.OUTCOME_PAST[self.outcome])


class CheckItemResult(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("Met")
        FAIL = "fail", _("Not met")
        NOT_APPLICABLE = "na", _("Not applicable")

    exante_check = models.ForeignKey(ExAnteCheck, on_delete=models.CASCADE, related_name="results",
                                     verbose_name=_("check"))
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("point"))
    result = models.CharField(_("result"), max_length=4, choices=Result.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["item__group", "item__position", "pk"]
        verbose_name = _("checklist result")
        verbose_name_plural = _("checklist results")
        constraints = [models.UniqueConstraint(fields=["exante_check", "item"], name="checkresult_unique")]
