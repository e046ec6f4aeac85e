"""Rubric criteria, reviews and scores."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.models import Application


class Criterion(models.Model):
    """One rubric criterion scored 0–5 (OECD DAC criteria and the horizontal perspectives)."""

    class Group(models.TextChoices):
        DAC = "dac", _("Evaluation criteria")
        HORIZONTAL = "horizontal", _("Horizontal perspectives")

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    question = models.TextField(_("guiding question"))
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, default=Group.DAC)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self):
        return self.name


class Review(models.Model):
    """A reviewer's assessment (bedömning) of an application."""

    class Recommendation(models.TextChoices):
        GRANT = "grant", _("Grant")
        GRANT_WITH_CHANGES = "grant_with_changes", _("Grant with changes")
        REJECT = "reject", _("Reject")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reviews",
                                    verbose_name=_("application"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews",
                                 verbose_name=_("reviewer"))
    no_conflict_declared = models.BooleanField(_("no conflict of interest declared"), default=False)
    recommendation = models.CharField(_("recommendation"), max_length=30, choices=Recommendation.choices)
    summary = models.TextField(_("summary for the applicant"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        permissions = [("review_application", _("Can review applications"))]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="review_one_per_reviewer"),
            models.CheckConstraint(condition=Q(no_conflict_declared=True), name="review_requires_no_conflict"),
        ]

    @property
    def total(self) -> int:
        return sum(score.score for score in self.scores.all())


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review"))
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["criterion__position"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion"),
            models.CheckConstraint(condition=Q(score__lte=5), name="score_0_to_5"),
        ]
