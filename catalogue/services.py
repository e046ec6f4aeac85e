"""Writes for the catalogue: prepare a practice from a carried-out project, edit, publish, take down.

Each service locks the practice (or the application) row and writes its audit event (grants.Event) in the
same transaction. Publishing refuses texts that staff have not confirmed and texts that still hold
something that looks like personal data (`personal_data_findings`).
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import HIDEABLE_FIELDS, TEXT_FIELDS, Practice
from grants.models import Application, Event, FinalReport
from grants.services.applications import EditConflict, NotAllowed, event_record
from reviewers.models import Criterion, Score

# A criterion "scored well" when the submitted reviews' mean score on it is at least this (of 5).
SCORED_WELL = 4
EDITABLE_FIELDS = ("title", "organisation_name", "municipality", "fund", "year", "what_was_done", "for_whom",
                   "participants", "survey_share", "lessons")

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Swedish phone numbers (+46 or a leading 0, then at least seven more digits with spaces or dashes).
PHONE_RE = re.compile(r"(?<![\w])(?:\+46|0)[ \-]?\d(?:[ \-]?\d){6,}(?!\d)")
# Personal identity numbers: (YY)YYMMDD-NNNN, with or without the dash.
PERSONNUMMER_RE = re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)")


def _require_staff(user) -> None:
    if not user.is_authenticated or not user.has_perm("catalogue.publish_practice"):
        raise PermissionDenied


def consenting_report(application: Application) -> FinalReport | None:
    """The approved final report, if the organisation agreed in it to publication."""
    report = application.final_reports.filter(outcome=FinalReport.Outcome.APPROVED).order_by(
        "-submitted_at", "-pk").first()
    return report if report is not None and report.publish_consent else None


def criteria_scored_well(application: Application) -> list[Criterion]:
    """The rubric criteria on which the submitted reviews' mean score is at least SCORED_WELL."""
    rows = (Score.objects.filter(review__application=application, review__submitted_at__isnull=False,
                                 not_applicable=False, score__isnull=False)
            .values("criterion").annotate(mean=Avg("score")).filter(mean__gte=SCORED_WELL))
    return list(Criterion.objects.filter(pk__in=[row["criterion"] for row in rows]))


def people_of(application: Application) -> set[str]:
    """Names and addresses of the people around a case: what must never appear in a published text."""
    people = {application.signatory_name, application.signatory_email}
    users = [application.created_by, application.submitted_by,
             *[report.submitted_by for report in application.final_reports.select_related("submitted_by")],
             *application.organisation.members.all()]
    for user in users:
        if user is not None:
            people.update({user.get_full_name(), user.email})
    return {value.strip() for value in people if value and len(value.strip()) >= 3}


def personal_data_findings(practice: Practice) -> list[tuple[str, str]]:
    """(field, what) for every shown text that still looks like it holds personal data."""
    names = people_of(practice.application)
    findings = []
    for field in TEXT_FIELDS:
        if field != "title" and not getattr(practice, f"show_{field}"):
            continue
        text = getattr(practice, field) or ""
        label = str(Practice._meta.get_field(field).verbose_name)
        if EMAIL_RE.search(text):
            findings.append((field, _("%(field)s contains an e-mail address.") % {"field": label}))
        if PHONE_RE.search(text):
            findings.append((field, _("%(field)s contains what looks like a phone number.") % {"field": label}))
        if PERSONNUMMER_RE.search(text):
            findings.append((field, _("%(field)s contains what looks like a personal identity number.")
                             % {"field": label}))
        for name in sorted(names):
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE):
                findings.append((field, _("%(field)s contains the name or address of a person in the case.")
                                 % {"field": label}))
                break
    return findings


@transaction.atomic
def practice_prepare(*, application_id: int, user) -> Practice:
    """Copy a carried-out, consented project into a practice draft (not public). Idempotent."""
    _require_staff(user)
    application = (Application.objects.select_for_update().select_related("organisation", "call__fund")
                   .filter(pk=application_id).first())
    if application is None:
        raise NotAllowed(_("There is no such application."))
    existing = Practice.objects.filter(application=application).first()
    if existing is not None:
        return existing
    if application.status != Application.Status.CARRIED_OUT:
        raise NotAllowed(_("Only a project that has been carried out can become a good practice."))
    report = consenting_report(application)
    if report is None:
        raise NotAllowed(_("The organisation has not agreed in its final report that the project is published."))
    practice = Practice.objects.create(
        application=application, title=application.title, organisation_name=application.organisation.name,
        municipality=application.organisation.municipality, fund=application.call.fund,
        year=(report.ended_on.year if report.ended_on else application.call.budget_year),
        what_was_done=report.activities_done, for_whom=application.target_group,
        participants=report.participants_women + report.participants_men + report.participants_other,
        survey_share=report.survey_share, lessons=report.lessons,
    )
    practice.themes.set(application.themes.all())
    practice.criteria.set(criteria_scored_well(application))
    event_record(application=application, kind=Event.Kind.PRACTICE_PREPARED, actor=user)
    return practice


def _locked(practice_id: int) -> Practice:
    practice = (Practice.objects.select_for_update().select_related("application__organisation")
                .filter(pk=practice_id).first())
    if practice is None:
        raise NotAllowed(_("There is no such practice."))
    return practice


def _refuse_findings(practice: Practice) -> None:
    findings = personal_data_findings(practice)
    if findings:
        errors = {}
        for field, message in findings:
            errors.setdefault(field, []).append(message)
        raise ValidationError(errors)


@transaction.atomic
def practice_update(*, practice_id: int, user, version: int, values: dict, themes, criteria, shown: set,
                    texts_checked: bool) -> Practice:
    """Save staff's edit: the fields, which of them are shown, and whether every text has been checked.

    A published practice stays public, so its edit must pass the same checks as publishing.
    """
    _require_staff(user)
    practice = _locked(practice_id)
    if version != practice.version:
        raise EditConflict(_("Someone else saved this practice after you opened it. Reload the page and "
                             "make your changes again."))
    changed = []
    for field in EDITABLE_FIELDS:
        if field in values and values[field] != getattr(practice, field):
            setattr(practice, field, values[field])
            changed.append(field)
    for field in HIDEABLE_FIELDS:
        show = field in shown
        if show != getattr(practice, f"show_{field}"):
            setattr(practice, f"show_{field}", show)
            changed.append(f"show_{field}")
    if texts_checked:
        practice.texts_checked_by, practice.texts_checked_at = user, timezone.now()
    else:
        practice.texts_checked_by, practice.texts_checked_at = None, None
    if practice.is_public:
        if not texts_checked:
            raise ValidationError({"texts_checked": _("The practice is public: confirm that you have checked "
                                                      "the texts, or take it down first.")})
        _refuse_findings(practice)
    practice.version += 1
    practice.full_clean(exclude=["application", "themes", "criteria", "search_vector"])
    practice.save()
    if set(practice.themes.all()) != set(themes):
        practice.themes.set(themes)
        changed.append("themes")
    if set(practice.criteria.all()) != set(criteria):
        practice.criteria.set(criteria)
        changed.append("criteria")
    # Only the names of the fields: a text may hold what must not be copied into the trail.
    event_record(application=practice.application, kind=Event.Kind.PRACTICE_EDITED, actor=user,
                 message=", ".join(changed))
    return practice


@transaction.atomic
def practice_publish(*, practice_id: int, user) -> Practice:
    _require_staff(user)
    practice = _locked(practice_id)
    if practice.is_public:
        return practice
    if consenting_report(practice.application) is None:
        raise NotAllowed(_("The organisation has not agreed in its final report that the project is published."))
    if practice.texts_checked_at is None:
        raise NotAllowed(_("Read every text, remove anything that could identify a person, and confirm it "
                           "before you publish."))
    _refuse_findings(practice)
    now, previous = timezone.now(), practice.status
    practice.status = Practice.Status.PUBLISHED
    practice.published_at = now
    practice.first_published_at = practice.first_published_at or now
    practice.version += 1
    practice.save(update_fields=["status", "published_at", "first_published_at", "version", "updated_at"])
    event_record(application=practice.application, kind=Event.Kind.PRACTICE_PUBLISHED, actor=user,
                 from_status=previous, to_status=Practice.Status.PUBLISHED, visible=True)
    return practice


@transaction.atomic
def practice_unpublish(*, practice_id: int, user, reason: str = "") -> Practice:
    """Take a practice down: from this commit on, every public page, feed and export leaves it out."""
    _require_staff(user)
    practice = _locked(practice_id)
    if not practice.is_public:
        return practice
    practice.status = Practice.Status.UNPUBLISHED
    practice.version += 1
    practice.save(update_fields=["status", "version", "updated_at"])
    event_record(application=practice.application, kind=Event.Kind.PRACTICE_UNPUBLISHED, actor=user,
                 from_status=Practice.Status.PUBLISHED, to_status=Practice.Status.UNPUBLISHED,
                 message=reason.strip(), visible=True)
    return practice
