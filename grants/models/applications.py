"""Applications and their parts: themes, activities, budget lines, partners; the case-number counter."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models.base import MONEY
from grants.models.funds import Call, Fund
from grants.models.organisations import Organisation
from django.utils.translation import get_language


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted, awaiting ex-ante check")
        COMPLETION = "completion", _("Completion requested")
        REVIEW = "review", _("Under review")
        DECISION = "decision", _("Awaiting decision")
        GRANTED = "granted", _("Granted, project under way")
        REPORT_SUBMITTED = "report_submitted", _("Final report submitted")
        CARRIED_OUT = "carried_out", _("Carried out")
        REJECTED = "rejected", _("Rejected")
        INELIGIBLE = "ineligible", _("Rejected as ineligible")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ENDED = "ended", _("Ended without being carried out")

    CLOSED_STATUSES = (Status.CARRIED_OUT, Status.REJECTED, Status.INELIGIBLE, Status.WITHDRAWN, Status.ENDED)
    # The two values of `step_holder` that are not a person's id.
    STEP_HOLDER_NOBODY = 0
    STEP_HOLDER_SEVERAL = -1
    # Fields the applicant fills in; a completion request names a subset of them.
    CONTENT_FIELDS = (
        "title", "summary", "problem", "motivation", "similar_projects", "anchoring", "goals", "indicators",
        "target_group", "planned_women", "planned_men", "planned_other", "planned_newcomers",
        "planned_established", "accessibility_plan", "equal_treatment_plan",
        "signatory_name", "signatory_role", "signatory_email",
        "requested_amount", "start_date", "end_date",
    )
    # Parts of the application that are lists; a completion request can reopen them too.
    LIST_PARTS = ("themes", "activities", "budget", "partners", "attachments")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications", verbose_name=_("organisation")
    )
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call"))
    title = models.CharField(
        _("project title"), max_length=200, blank=True,
        help_text=_("A short name for your project, for example “Language café in Nybro”."),
    )
    summary = models.TextField(
        _("summary"), blank=True,
        help_text=_("Describe the project in a few sentences: what you will do, with whom and why."),
    )
    problem = models.TextField(
        _("problem analysis"), blank=True,
        help_text=_("What problem or need does the project answer? How do you know that the need exists?"),
    )
    goals = models.TextField(
        _("goals and how you measure them"), blank=True,
        # xgettext:no-python-format
        help_text=_("What should be different when the project is over? Write goals you can measure, "
                    "for example “at least 60 % of the participants say they have learnt something new”."),
    )
    indicators = models.TextField(
        _("indicators"), blank=True,
        help_text=_("How will you know that you reached the goals? Name what you will count or ask, "
                    "for example the number of meetings, participants and the answers to a short survey."),
    )
    motivation = models.TextField(
        _("why a project is the answer"), blank=True,
        help_text=_("Why is this project a good way to meet the need? What would happen without it?"),
    )
    similar_projects = models.TextField(
        _("similar projects and synergies"), blank=True,
        help_text=_("Do you know of others who do something similar? How will you learn from them or work together?"),
    )
    anchoring = models.TextField(
        _("anchoring in the organisation"), blank=True,
        help_text=_("Who in your organisation stands behind the project, and how will the work go on afterwards?"),
    )
    target_group = models.TextField(
        _("target group"), blank=True,
        help_text=_("Who will take part? Both newly arrived and long-established residents should be included."),
    )
    planned_women = models.PositiveIntegerField(_("planned participants: women"), null=True, blank=True)
    planned_men = models.PositiveIntegerField(_("planned participants: men"), null=True, blank=True)
    planned_other = models.PositiveIntegerField(
        _("planned participants: other or not stated"), null=True, blank=True,
    )
    planned_newcomers = models.PositiveIntegerField(
        _("planned participants: newly arrived"), null=True, blank=True,
        help_text=_("How many of the participants have come to Sweden in recent years?"),
    )
    planned_established = models.PositiveIntegerField(
        _("planned participants: long-established residents"), null=True, blank=True,
        help_text=_("How many of the participants have lived in Sweden for a long time?"),
    )
    accessibility_plan = models.TextField(
        _("accessibility plan"), blank=True,
        help_text=_("How will everyone be able to take part: venue, information, language, times, costs?"),
    )
    equal_treatment_plan = models.TextField(
        _("equal treatment plan"), blank=True,
        help_text=_("How will you make sure that everyone is treated equally and nobody is discriminated against? "
                    "How will you reach both women and men?"),
    )
    themes = models.ManyToManyField(
        "Theme", blank=True, related_name="applications", verbose_name=_("themes"),
        help_text=_("Choose one or more areas the project works with."),
    )
    signatory_name = models.CharField(
        _("authorised signatory: name"), max_length=200, blank=True,
        help_text=_("The person who may sign for the organisation (firmatecknare)."),
    )
    signatory_role = models.CharField(
        _("authorised signatory: role"), max_length=200, blank=True,
        help_text=_("For example chair or treasurer."),
    )
    signatory_email = models.EmailField(
        _("authorised signatory: e-mail"), blank=True,
        help_text=_("We send the decision to this address too."),
    )
    requested_amount = models.DecimalField(
        _("requested amount (SEK)"), null=True, blank=True, **MONEY,
        help_text=_("The amount you apply for, in Swedish kronor."),
    )
    start_date = models.DateField(_("project starts"), null=True, blank=True)
    end_date = models.DateField(_("project ends"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    status_changed_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    case_number = models.CharField(_("case number"), max_length=24, unique=True, null=True, blank=True)
    report_due_on = models.DateField(_("final report due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Fields reopened by the latest completion request (empty when none is open).
    reopened_fields = models.JSONField(_("fields open for completion"), default=list, blank=True)
    # Bumped by every save; a save that names an older version is refused (two tabs never overwrite).
    version = models.PositiveIntegerField(_("version"), default=1)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    # Set when the retention period ran out and the case's personal data were pseudonymised.
    personal_data_removed_at = models.DateTimeField(_("personal data removed"), null=True, blank=True)
    # Who holds the open human step of the case's workflow, kept by PostgreSQL from viewflow's tasks in the same
    # transaction as they change (triggers of migration workflows 0005; a value written here by anything else
    # is replaced by the kept one): NULL no open human step, STEP_HOLDER_NOBODY one nobody has taken, a person's
    # id, STEP_HOLDER_SEVERAL open steps held by different people (the tasks say who). The case list's "assignee"
    # filter reads it (workflows.overview), by holder from the index `application_step_holder`. Not a key to
    # the users (it also holds those two markers). Always NULL on SQLite, which asks the tasks.
    step_holder = models.BigIntegerField(_("holder of the open step"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        permissions = [
            ("view_all_applications", _("Can see every application")),
            ("check_application", _("Can do the ex-ante check")),
            ("decide_application", _("Can decide on funding")),
            ("approve_final_report", _("Can approve final reports")),
            ("view_indicators", _("Can see indicators and reports")),
        ]
        indexes = [
            # The indicators' count of every application per call and stage (grants/indicators/counts.py), and
            # the case list's counts per stage for one call or fund: both read from the index alone on PostgreSQL.
            models.Index(fields=["call", "status", "submitted_at", "report_due_on", "requested_amount", "id"],
                         name="application_indicator_counts"),
            # The indicators as of a past day (the stage rebuilt from the audit trail): every application of a
            # call created by then, with what they count, read from the index alone on PostgreSQL.
            models.Index(fields=["call", "created_at", "submitted_at", "report_due_on", "requested_amount", "id"],
                         name="application_indicator_as_of"),
            # The case list filtered by who holds the open step (workflows.overview._held): the counts per stage
            # and the sorted ids of one holder's applications (a few hundred) from this index alone on PostgreSQL,
            # in any of the list's sorts (sorted in memory: an index per sort measured no faster).
            models.Index(fields=["step_holder", "status"], name="application_step_holder",
                         include=["id", "submitted_at", "status_changed_at", "requested_amount", "case_number", "title"],
                         condition=Q(step_holder__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__isnull=True) | Q(requested_amount__gt=0),
                name="application_requested_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="application_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="application_submitted_has_time",
            ),
        ]

    def __str__(self):
        return self.title or str(_("Untitled application"))

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    @property
    def planned_total(self) -> int:
        return sum(v or 0 for v in (self.planned_women, self.planned_men, self.planned_other))

    def get_absolute_url(self):
        return reverse("grants:application_detail", args=[self.pk])


class Theme(models.Model):
    """A policy area from the Council of Europe intercultural integration index (seed 004)."""

    code = models.SlugField(_("code"), unique=True)
    name_sv = models.CharField(_("name in Swedish"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "sv").startswith("en") else self.name_sv


class ActivityLine(models.Model):
    """A planned activity with its date(s)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="activities",
                                    verbose_name=_("application"))
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("activity"), max_length=300, blank=True)
    starts_on = models.DateField(_("date"), null=True, blank=True)
    ends_on = models.DateField(_("last date"), null=True, blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="activity_position_unique"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="activity_ends_after_start",
            ),
        ]


class BudgetLine(models.Model):
    """One cost in the project budget; the lines add up to the requested amount."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines",
                                    verbose_name=_("application"))
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("cost"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount (SEK)"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["position"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="budget_position_unique"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="budget_amount_nonnegative"),
        ]


class Partner(models.Model):
    """An organisation the applicant works with (required for microprojects)."""

    class Kind(models.TextChoices):
        AUTHORITY = "authority", _("Authority (municipality, region, state)")
        IDEA_BASED = "idea_based", _("Idea-based organisation")
        OTHER = "other", _("Other")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners",
                                    verbose_name=_("application"))
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("partner"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    role = models.CharField(_("role in the project"), max_length=300, blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [models.UniqueConstraint(fields=["application", "position"], name="partner_position_unique")]


class CaseNumberCounter(models.Model):
    """The last case number given per fund and year; incremented under a row lock, so no gaps or twins."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+", verbose_name=_("fund"))
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case number series")
        verbose_name_plural = _("case number series")
        constraints = [models.UniqueConstraint(fields=["fund", "year"], name="casenumber_unique")]


class StageCount(models.Model):
    """How many applications each call has in each status, kept by PostgreSQL itself (migration grants 0024):
    statement-level triggers on grants_application add one row per (call, status) that a statement changed,
    with the change (+/-), in the statement's own transaction; the count is the sum of a key's rows. Writers
    only insert here, so they never wait for each other or deadlock; a reader sees exactly the applications
    its snapshot sees. `grants.services.stage_counts.stage_counts_compact` folds the rows into one per key
    (Celery beat). Not a managed model: the table is the migration's, the test runner's flush empties it
    through the TRUNCATE trigger, and it is never dumped as data of its own. Kept on PostgreSQL only; on SQLite
    the table stays empty and the case list counts with a GROUP BY."""

    call_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    n = models.IntegerField()

    class Meta:
        managed = False
        db_table = "grants_stagecount"
