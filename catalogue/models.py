"""The public catalogue of good practice: a carried-out project, edited by staff, published with consent.

A practice is a copy, not a view: staff edit every text before it is published, and each field can be
hidden (`show_*`). Public pages, feeds and exports read only the shown fields of published practices.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from grants.models import Application, Fund, Municipality, Theme
from reviewers.models import Criterion

# The texts that may hold personal data: never published unless staff have read and confirmed them.
TEXT_FIELDS = ("title", "organisation_name", "what_was_done", "for_whom", "lessons")
# Every field staff can hide (the title is the practice's name: it can be edited, not hidden).
HIDEABLE_FIELDS = ("organisation_name", "municipality", "fund", "year", "themes", "what_was_done", "for_whom",
                   "participants", "survey_share", "lessons", "criteria")


class PracticeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Practice.Status.PUBLISHED)


class Practice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared, not public")
        PUBLISHED = "published", _("Published")
        UNPUBLISHED = "unpublished", _("Taken down, not public")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="practice",
                                       verbose_name=_("application"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("title"), max_length=200)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("municipality"))
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("fund"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="+", verbose_name=_("themes"))
    what_was_done = models.TextField(_("what was done"), blank=True)
    for_whom = models.TextField(_("for whom"), blank=True)
    participants = models.PositiveIntegerField(_("participants (total)"), null=True, blank=True)
    survey_share = models.PositiveSmallIntegerField(
        _("share of participants reporting increased knowledge (%)"), null=True, blank=True,
        validators=[MaxValueValidator(100)])
    lessons = models.TextField(_("lessons learned"), blank=True)
    criteria = models.ManyToManyField(Criterion, blank=True, related_name="+",
                                      verbose_name=_("assessment criteria where the project scored well"))
    show_organisation_name = models.BooleanField(_("show the organisation"), default=True)
    show_municipality = models.BooleanField(_("show the municipality"), default=True)
    show_fund = models.BooleanField(_("show the fund"), default=True)
    show_year = models.BooleanField(_("show the year"), default=True)
    show_themes = models.BooleanField(_("show the themes"), default=True)
    show_what_was_done = models.BooleanField(_("show what was done"), default=True)
    show_for_whom = models.BooleanField(_("show for whom"), default=True)
    show_participants = models.BooleanField(_("show the number of participants"), default=True)
    show_survey_share = models.BooleanField(_("show the survey result"), default=True)
    show_lessons = models.BooleanField(_("show the lessons learned"), default=True)
    show_criteria = models.BooleanField(_("show the criteria"), default=True)
    # Set when staff save the texts confirming they hold no personal data; publishing needs it.
    texts_checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+", verbose_name=_("texts checked by"))
    texts_checked_at = models.DateTimeField(_("texts checked"), null=True, blank=True)
    # PostgreSQL: the shown texts as a 'swedish' tsvector (GIN index, migration 0001); empty on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    first_published_at = models.DateTimeField(_("first published"), null=True, blank=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["-first_published_at", "-pk"]
        verbose_name = _("good practice")
        verbose_name_plural = _("good practices")
        permissions = [("publish_practice", _("Can edit and publish good practice"))]
        indexes = [
            models.Index(fields=["status", "-first_published_at", "-id"], name="practice_public_order"),
            models.Index(fields=["status", "municipality"], name="practice_status_municipality"),
            models.Index(fields=["status", "year"], name="practice_status_year"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(survey_share__isnull=True) | Q(survey_share__lte=100),
                                   name="practice_survey_share_percent"),
            models.CheckConstraint(condition=~Q(status="published") | (Q(texts_checked_at__isnull=False)
                                                                        & Q(first_published_at__isnull=False)),
                                   name="practice_published_checked"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def get_absolute_url(self):
        return reverse("catalogue:practice_detail", args=[self.pk])
