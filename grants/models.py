"""Funds, calls, organisations, applications and the records of each stage."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.validators import normalise_org_number, validate_org_number

MONEY = {"max_digits": 12, "decimal_places": 2}


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes bypass save() and delete(), so an append-only record refuses them here too.

    Only `mutable_fields` may be bulk-updated (none, unless a subclass names them). The database refuses
    the same on its own (triggers in migration 0010), whatever code or SQL tries.
    """

    mutable_fields: frozenset = frozenset()

    def update(self, **kwargs):
        if not set(kwargs) <= self.mutable_fields:
            raise ValidationError(f"{self.model._meta.verbose_name} is append-only: it cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        raise ValidationError(f"{self.model._meta.verbose_name} is append-only: it cannot be deleted.")

    delete.alters_data = True
    delete.queryset_only = True


class DecisionQuerySet(AppendOnlyQuerySet):
    mutable_fields = frozenset({"status", "approved_by", "approved_at", "letter", "letter_sha256"})


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
    # follow), then a beat task pseudonymises the case's personal data (workflows/privacy.py).
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


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ASSOCIATION = "association", _("Non-profit association")
        FAITH = "faith", _("Faith community")
        STUDY = "study", _("Study association")
        FOUNDATION = "foundation", _("Foundation")
        AUTHORITY = "authority", _("Authority (municipality, region, state)")
        OTHER = "other", _("Other idea-based organisation")

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"), max_length=11, unique=True, validators=[validate_org_number],
        help_text=_("Ten digits, for example 802456-1238. You find it on the registration certificate."),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, verbose_name=_("municipality"),
        help_text=_("The municipality where the organisation is active."),
    )
    kind = models.CharField(_("kind of organisation"), max_length=20, choices=Kind.choices)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations", verbose_name=_("contacts")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A first registration is unverified until a case officer confirms that its contacts represent it.
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("verified by"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [("manage_organisations", "Can verify organisations and change their contacts")]

    def __str__(self):
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def clean(self):
        self.org_number = normalise_org_number(self.org_number)

    def save(self, *args, **kwargs):
        self.org_number = normalise_org_number(self.org_number)
        super().save(*args, **kwargs)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, verbose_name=_("organisation"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} – {self.organisation}"


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
        from django.utils.translation import get_language

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


def attachment_key(instance, filename) -> str:
    """A random storage key: the original name is kept in a column, never in the key."""
    import uuid

    return f"attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to an application, on private storage; downloaded only through a checked view."""

    class Stage(models.TextChoices):
        APPLICATION = "application", _("The application")
        REPORT = "report", _("The final report")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="attachments",
                                    verbose_name=_("application"))
    file = models.FileField(_("file"), upload_to=attachment_key, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("checksum"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    stage = models.CharField(
        _("attached to"), max_length=12, choices=Stage.choices, default=Stage.APPLICATION,
        help_text=_("The application, or the final report written after the project."),
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
            models.CheckConstraint(condition=Q(stage__in=["application", "report"]), name="attachment_stage_known"),
        ]

    def __str__(self):
        return self.original_name


class Invitation(models.Model):
    """An invitation for a colleague to become a contact of an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations",
                                     verbose_name=_("organisation"))
    email = models.EmailField(_("e-mail address"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation}"


class JoinRequest(models.Model):
    """Someone registered a number that is already registered: they ask its contacts to let them in.

    A contact of the organisation or a case officer approves (the person becomes a contact) or declines.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="join_requests",
                                     verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("requested by"))
    name_given = models.CharField(_("name given"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("answered by"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], condition=Q(status="pending"),
                                    name="joinrequest_one_pending"),
        ]

    def __str__(self):
        return f"{self.user} → {self.organisation}"


class OrganisationEvent(models.Model):
    """An organisation's audit trail: registrations, requests to join, verification, contacts. Append-only."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered (unverified)")
        JOIN_REQUESTED = "join_requested", _("Request to join")
        JOIN_APPROVED = "join_approved", _("Request to join approved")
        JOIN_DECLINED = "join_declined", _("Request to join declined")
        VERIFIED = "verified", _("Verified by a case officer")
        CONTACT_ADDED = "contact_added", _("Contact added by staff")
        CONTACT_INVITED = "contact_invited", _("Contact invited by staff")
        CONTACT_REMOVED = "contact_removed", _("Contact removed by staff")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("person"))
    email = models.EmailField(_("e-mail address"), blank=True)
    message = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("organisation event")
        verbose_name_plural = _("organisation events")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The audit trail is append-only.")


class CaseNumberCounter(models.Model):
    """The last case number given per fund and year; incremented under a row lock, so no gaps or twins."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+", verbose_name=_("fund"))
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case number series")
        verbose_name_plural = _("case number series")
        constraints = [models.UniqueConstraint(fields=["fund", "year"], name="casenumber_unique")]


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
        from django.utils.translation import get_language

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
