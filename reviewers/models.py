"""Rubrics (versioned, per fund), the reviewer pool, assignments with conflict declarations, reviews and scores."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.models import Application, Fund


class Rubric(models.Model):
    """A set of criteria. A fund uses its newest version; a version that reviews have used never changes."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="rubrics",
                             verbose_name=_("fund"), help_text=_("Empty: the default rubric new funds start from."))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["fund__name", "-version"]
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        constraints = [models.UniqueConstraint(fields=["fund", "version"], name="rubric_version_unique")]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_used(self) -> bool:
        return Assignment.objects.filter(rubric=self).exists()


class Criterion(models.Model):
    """One criterion scored 0–5 with an anchored description for each score."""

    class Group(models.TextChoices):
        DAC = "dac", _("Evaluation criteria")
        HORIZONTAL = "horizontal", _("Horizontal perspectives")

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("rubric"))
    code = models.SlugField(_("code"))
    name = models.CharField(_("name"), max_length=100)
    question = models.TextField(_("guiding question"))
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, default=Group.DAC)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1, validators=[MinValueValidator(1)])
    minimum = models.PositiveSmallIntegerField(
        _("minimum score"), null=True, blank=True, validators=[MaxValueValidator(5)],
        help_text=_("An application scoring below this on average fails the criterion. Empty: no minimum."),
    )
    anchor_0 = models.CharField(_("0 means"), max_length=300, blank=True)
    anchor_1 = models.CharField(_("1 means"), max_length=300, blank=True)
    anchor_2 = models.CharField(_("2 means"), max_length=300, blank=True)
    anchor_3 = models.CharField(_("3 means"), max_length=300, blank=True)
    anchor_4 = models.CharField(_("4 means"), max_length=300, blank=True)
    anchor_5 = models.CharField(_("5 means"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["rubric", "position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="criterion_code_unique_per_rubric"),
            models.CheckConstraint(condition=Q(minimum__isnull=True) | Q(minimum__lte=5), name="criterion_minimum_0_5"),
        ]

    def __str__(self):
        return self.name

    def anchors(self) -> list[tuple[int, str]]:
        return [(score, getattr(self, f"anchor_{score}")) for score in range(6)]

    def save(self, *args, **kwargs):
        if self.pk and self.rubric.is_used:
            raise ValidationError(_("This rubric has been used by reviews and cannot change. Make a new version."))
        super().save(*args, **kwargs)


class ReviewSettings(models.Model):
    """A fund's review rules and its pool of reviewers."""

    fund = models.OneToOneField(Fund, on_delete=models.CASCADE, related_name="review_settings",
                                verbose_name=_("fund"))
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="review_pools",
                                       verbose_name=_("reviewer pool"))
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("reviewers per application"), default=2, validators=[MinValueValidator(1)])
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), default=1, validators=[MinValueValidator(1)],
        help_text=_("The case officer can close the review once this many reviews are in."))
    deadline_days = models.PositiveSmallIntegerField(_("days to review"), default=14, validators=[MinValueValidator(1)])
    show_others_after_submit = models.BooleanField(
        _("reviewers see the others' reviews after submitting their own"), default=True)

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")

    def __str__(self):
        return str(self.fund)


class Assignment(models.Model):
    """A reviewer asked to review an application. Nothing beyond title and organisation is shown
    until the reviewer has declared that they have no conflict of interest."""

    class Status(models.TextChoices):
        DECLARING = "declaring", _("Waiting for the conflict declaration")
        ACTIVE = "active", _("Reviewing")
        SUBMITTED = "submitted", _("Review submitted")
        CONFLICT = "conflict", _("Conflict of interest declared")
        REMOVED = "removed", _("Removed")

    OPEN = (Status.DECLARING, Status.ACTIVE)

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="assignments",
                                    verbose_name=_("application"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments",
                                 verbose_name=_("reviewer"))
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+", verbose_name=_("rubric"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DECLARING)
    deadline = models.DateField(_("deadline"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("assigned by"),
                                    help_text=_("Empty when assigned automatically."))
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    declared_at = models.DateTimeField(_("declared"), null=True, blank=True)
    conflict_reason = models.TextField(_("conflict of interest"), blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_unique"),
            models.CheckConstraint(condition=~Q(status="conflict") | ~Q(conflict_reason=""),
                                   name="assignment_conflict_has_reason"),
        ]

    def __str__(self):
        return f"{self.reviewer} – {self.application}"


class Review(models.Model):
    """A reviewer's assessment (bedömning). Kept as a draft until submitted; changeable until the decision,
    every change after submission kept as a revision."""

    class Recommendation(models.TextChoices):
        GRANT = "grant", _("Grant")
        GRANT_WITH_CHANGES = "grant_with_changes", _("Grant with changes")
        REJECT = "reject", _("Reject")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reviews",
                                    verbose_name=_("application"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews",
                                 verbose_name=_("reviewer"))
    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="review", verbose_name=_("assignment"))
    no_conflict_declared = models.BooleanField(_("no conflict of interest declared"), default=False)
    recommendation = models.CharField(_("recommendation"), max_length=30, choices=Recommendation.choices, blank=True)
    summary = models.TextField(_("summary for the applicant"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        permissions = [("review_application", _("Can review applications"))]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="review_one_per_reviewer"),
            models.CheckConstraint(condition=Q(no_conflict_declared=True), name="review_requires_no_conflict"),
            models.CheckConstraint(condition=Q(submitted_at__isnull=True) | ~Q(recommendation=""),
                                   name="review_submitted_has_recommendation"),
        ]

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review"))
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, validators=[MaxValueValidator(5)])
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["criterion__position"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=5), name="score_0_to_5"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(not_applicable=False),
                                   name="score_or_not_applicable"),
        ]


class ReviewRevision(models.Model):
    """What a submitted review looked like before a change: append-only history."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("review"))
    version = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        ordering = ["review", "version"]
        verbose_name = _("review revision")
        verbose_name_plural = _("review revisions")
        constraints = [models.UniqueConstraint(fields=["review", "version"], name="revision_unique")]
