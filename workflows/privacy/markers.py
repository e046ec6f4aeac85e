"""Personal data (GDPR, docs/privacy.md): what Potten holds about a person (export, art. 15), erasure on
request (art. 17), the retention period of closed cases, and the search for a person's markers.

The audit trail is append-only down to the database (grants/migrations/0010): events, ledger entries, budget
changes and decisions are never changed. They name people only by reference (Event.actor, Event.subject and
the other foreign keys to the user), so erasing a person means pseudonymising their user row: the events stay,
their actor becomes the pseudonym.

Erasure replaces the person's markers (e-mail address, name and whatever further identifiers the staff give,
such as a phone number) in every text column of every table, except in
- the user table (the person's own row is pseudonymised as a whole, other people's rows are theirs),
- the append-only audit tables (which hold references, not copies, of people),
- the legal record of a decided case (an application with a decision or rejected as ineligible, and every
  row that belongs to it: its texts, checks, reviews, final reports), kept until the fund's retention period
  ends. A mail and a final-report draft are never part of that record.
The retention task (grants.tasks.privacy_retention) does the same for the people of one closed case once the
fund's retention period has passed, inside that case's rows only, and removes the case's attachments.
"""

import json
import logging
import re
import secrets
from datetime import datetime
from functools import partial

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import PersonalDataErasure, User
from grants.models import (
    Application, AppendOnlyQuerySet, Attachment, Decision, ExAnteCheck, FinalReport, FinalReportDraft, Fund,
    Invitation, Membership,
)
from common.errors import NotAllowed
from notifications.models import OutboxMessage
from reviewers.models import Assignment, Review, ReviewSettings
from django.http import Http404
from django.core.paginator import Paginator

logger = logging.getLogger(__name__)

# A marker shorter than this is not searched for (it would match inside unrelated words).
MARKER_MIN_LENGTH = 3
# What replaces a person's markers in the text of a closed case whose retention period has passed.
CASE_PSEUDONYM = "[person]"
CASE_PSEUDONYM_EMAIL = "removed-{}@pseudonym.invalid"
# Tables the scrub never touches: the user table (handled on its own), the erasure records, Django's own.
_NEVER_SCRUBBED = {"accounts.user", "accounts.personaldataerasure", "contenttypes.contenttype",
                   "auth.permission", "auth.group", "sessions.session"}
# Rows that are never part of a case's legal record, even of a decided case: copies and drafts.
_NEVER_KEPT = {"notifications.outboxmessage", "grants.finalreportdraft"}


# --------------------------------------------------------------------------------------------------
# Markers: finding and replacing a person's identifiers in every text column


def _label(model) -> str:
    return model._meta.label_lower


def _append_only(model) -> bool:
    return isinstance(model._default_manager.all(), AppendOnlyQuerySet)


def text_columns(model) -> list:
    """The columns of `model` that can hold typed text: char, text, e-mail, slug and JSON fields."""
    return [f for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.choices
            and not f.primary_key]


def scrubbed_models() -> list:
    """Every installed model whose text the scrub may change (not the append-only audit tables)."""
    return [m for m in apps.get_models() if not m._meta.proxy and m._meta.managed
            and _label(m) not in _NEVER_SCRUBBED and not _append_only(m) and text_columns(m)]


def application_path(model) -> str | None:
    """The lookup from `model` to the application its rows belong to ('pk' for Application), or None."""
    if model is Application:
        return "pk"
    relations = [f for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one]
    for field in relations:
        if field.related_model is Application:
            return field.name
    for field in relations:
        if field.related_model in (model, User) or field.related_model is None:
            continue
        for inner in field.related_model._meta.concrete_fields:
            if (inner.many_to_one or inner.one_to_one) and inner.related_model is Application:
                return f"{field.name}__{inner.name}"
    return None


def marker_condition(field, markers) -> Q:
    """Rows whose `field` contains any marker (case-insensitive; JSON also as its escaped form)."""
    condition = Q()
    for marker in markers:
        condition |= Q(**{f"{field.name}__icontains": marker})
        if isinstance(field, models.JSONField):
            escaped = json.dumps(marker)[1:-1]
            if escaped != marker:
                condition |= Q(**{f"{field.name}__icontains": escaped})
    return condition


def _replace(value, patterns):
    if isinstance(value, str):
        for pattern, replacement in patterns:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_replace(item, patterns) for item in value]
    if isinstance(value, dict):
        return {_replace(key, patterns): _replace(item, patterns) for key, item in value.items()}
    return value


def _patterns(replacements: dict[str, str]):
    """Longest marker first, so an address is replaced before a name inside it. A marker is replaced only as a
    whole word: "Anna Berg" is not taken out of "Anna Bergström", nor "070-12 34" out of "070-12 345"."""
    return [(re.compile(rf"(?<![\w.@+-]){re.escape(marker)}(?![\w@-])", re.IGNORECASE), lambda _m, r=replacement: r)
            for marker, replacement in sorted(replacements.items(), key=lambda kv: -len(kv[0]))]


def scrub(replacements: dict[str, str], row_filter) -> dict[str, int]:
    """Replace the markers (keys) by their pseudonyms (values) in the text columns of every scrubbed model,
    in the rows `row_filter(model, queryset)` keeps (None: the model is skipped). Returns rows changed per
    column. The update goes around save() (no timestamps move, no model guard runs)."""
    replacements = {m.strip(): r for m, r in replacements.items() if m and len(m.strip()) >= MARKER_MIN_LENGTH}
    if not replacements:
        return {}
    patterns = _patterns(replacements)
    changed: dict[str, int] = {}
    for model in scrubbed_models():
        rows = row_filter(model, model._base_manager.all())
        if rows is None:
            continue
        fields = text_columns(model)
        condition = Q()
        for field in fields:
            condition |= marker_condition(field, replacements)
        # one scan per table: the rows with a marker in any column, then only the columns that change
        for row in list(rows.filter(condition).values("pk", *(f.attname for f in fields))):
            update = {}
            for field in fields:
                value = row[field.attname]
                new = _replace(value, patterns)
                if isinstance(new, str) and field.max_length:
                    new = new[: field.max_length]
                if new != value:
                    update[field.attname] = new
                    key = f"{_label(model)}.{field.name}"
                    changed[key] = changed.get(key, 0) + 1
            if update:
                model._base_manager.filter(pk=row["pk"]).update(**update)
    return changed


def marker_hits(markers, *, include_kept: bool = False) -> list[tuple[str, int]]:
    """Where the markers still occur: (table.column, primary key) for every row outside the kept records
    (the audit tables and decided cases' legal record, unless `include_kept`). Used by tests and the page."""
    markers = [m for m in markers if m and len(m) >= MARKER_MIN_LENGTH]
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or _label(model) in ("contenttypes.contenttype",
                                                                             "auth.permission"):
            continue
        rows = model._base_manager.all()
        if not include_kept:
            if _append_only(model):
                continue
            rows = _outside_legal_record(model, rows)
        for field in text_columns(model):
            for pk in rows.filter(marker_condition(field, markers)).values_list("pk", flat=True):
                found.append((f"{model._meta.db_table}.{field.column}", pk))
    return found


def decided_applications():
    """Applications whose legal record is kept: a decision was taken (or it was rejected as ineligible), and
    the fund's retention period has not yet removed their personal data."""
    return Application.objects.filter(
        Q(decisions__isnull=False) | Q(status=Application.Status.INELIGIBLE),
        personal_data_removed_at__isnull=True,
    ).values("pk")


def _outside_legal_record(model, rows):
    if _label(model) in _NEVER_KEPT:
        return rows
    path = application_path(model)
    if path is None:
        return rows
    return rows.exclude(**{f"{path}__in": decided_applications()})


# --------------------------------------------------------------------------------------------------
# Who may see and erase whose data


def may_manage_personal_data(user) -> bool:
    """The project secretary and the administrator (superuser) run erasures and see anyone's data."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or roles.has_role(user, roles.SECRETARY)))


def person_get_for_staff(*, user, pk: int) -> User:
    if not may_manage_personal_data(user):
        raise Http404
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def people_for_staff(*, user, query: str = ""):
    if not may_manage_personal_data(user):
        raise Http404
    people = User.objects.order_by("email", "pk")
    query = query.strip()
    if query:
        people = people.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    return people


# --------------------------------------------------------------------------------------------------
# Export: everything Potten holds about a person


def _when(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _case(application) -> dict:
    return {"id": application.pk, "case_number": application.case_number or "", "title": application.title}


def _application_item(application) -> dict:
    content = {}
    for name in Application.CONTENT_FIELDS:
        value = getattr(application, name)
        content[name] = str(value) if value is not None and not isinstance(value, (int, str)) else value
    return {
        **_case(application),
        "organisation": application.organisation.name,
        "fund": application.call.fund.name,
        "status": application.get_status_display(),
        "created_at": _when(application.created_at),
        "submitted_at": _when(application.submitted_at),
        "content": content,
        "activities": [{"activity": a.description, "starts_on": _when(a.starts_on), "ends_on": _when(a.ends_on)}
                       for a in application.activities.all()],
        "budget": [{"cost": b.description, "amount": str(b.amount) if b.amount is not None else None}
                   for b in application.budget_lines.all()],
        "partners": [{"partner": p.name, "role": p.role} for p in application.partners.all()],
    }


def _sections(person: User) -> list[tuple[str, object, object]]:
    """(key, queryset, item) for each part of the export. Each queryset is ordered and can be paginated."""
    email = person.email
    return [
        ("memberships", Membership.objects.filter(user=person).select_related("organisation").order_by("pk"),
         lambda m: {"organisation": m.organisation.name, "org_number": m.organisation.org_number,
                    "since": _when(m.created_at)}),
        ("invitations", Invitation.objects.filter(email__iexact=email).select_related("organisation")
         .order_by("pk"),
         lambda i: {"organisation": i.organisation.name, "sent_at": _when(i.created_at),
                    "expires_at": _when(i.expires_at), "accepted_at": _when(i.accepted_at)}),
        ("applications", Application.objects.filter(
            Q(created_by=person) | Q(submitted_by=person) | Q(organisation__membership__user=person))
         .distinct().select_related("organisation", "call__fund")
         .prefetch_related("activities", "budget_lines", "partners").order_by("pk"),
         _application_item),
        ("final_reports", FinalReport.objects.filter(submitted_by=person).select_related("application")
         .prefetch_related("activity_lines__activity", "cost_lines").order_by("pk"),
         lambda r: {"application": _case(r.application), "submitted_at": _when(r.submitted_at),
                    "activities_done": r.activities_done, "lessons": r.lessons,
                    "outcome": r.get_outcome_display(),
                    "activities": [{"activity": (a.activity.description if a.activity else a.description),
                                    "status": a.get_status_display(), "comment": a.comment}
                                   for a in r.activity_lines.all()],
                    "costs": [{"cost": c.description, "amount": str(c.amount), "comment": c.comment}
                              for c in r.cost_lines.all()]}),
        ("report_drafts", FinalReportDraft.objects.filter(updated_by=person).select_related("application")
         .order_by("pk"),
         lambda d: {"application": _case(d.application), "saved_at": _when(d.updated_at), "data": d.data}),
        ("attachments", Attachment.objects.filter(uploaded_by=person).select_related("application").order_by("pk"),
         lambda a: {"application": _case(a.application), "name": a.original_name, "description": a.description,
                    "size": a.size, "uploaded_at": _when(a.uploaded_at)}),
        ("declarations", Assignment.objects.filter(reviewer=person).select_related("application").order_by("pk"),
         lambda a: {"application": _case(a.application), "status": a.get_status_display(),
                    "assigned_at": _when(a.assigned_at), "declared_at": _when(a.declared_at),
                    "conflict_reason": a.conflict_reason}),
        ("reviews", Review.objects.filter(reviewer=person).select_related("application")
         .prefetch_related("scores__criterion").order_by("pk"),
         lambda r: {"application": _case(r.application), "recommendation": r.get_recommendation_display(),
                    "summary": r.summary, "submitted_at": _when(r.submitted_at),
                    "scores": [{"criterion": s.criterion.name, "score": s.score, "comment": s.comment}
                               for s in r.scores.all()]}),
        ("checks", ExAnteCheck.objects.filter(checked_by=person).select_related("application").order_by("pk"),
         lambda c: {"application": _case(c.application), "outcome": c.get_outcome_display(),
                    "comment": c.comment, "override_reason": c.override_reason, "checked_at": _when(c.checked_at)}),
        ("decisions", Decision.objects.filter(Q(decided_by=person) | Q(approved_by=person))
         .select_related("application").order_by("pk"),
         lambda d: {"application": _case(d.application), "outcome": d.get_outcome_display(),
                    "amount": str(d.amount), "motivation": d.motivation, "conditions": d.conditions,
                    "decided_at": _when(d.decided_at)}),
        ("mails", OutboxMessage.objects.filter(Q(user=person) | Q(recipient__iexact=email)).order_by("pk"),
         lambda m: {"kind": m.kind, "recipient": m.recipient, "subject": m.subject,
                    "status": m.get_status_display(), "created_at": _when(m.created_at),
                    "sent_at": _when(m.sent_at), "text": m.body_text}),
        ("events", apps.get_model("grants", "Event").objects.filter(Q(actor=person) | Q(subject=person))
         .select_related("application").order_by("pk"),
         lambda e: {"application": _case(e.application), "event": e.get_kind_display(),
                    "by_this_person": e.actor_id == person.pk, "time": _when(e.created_at), "message": e.message}),
        ("erasures", PersonalDataErasure.objects.filter(user=person).order_by("pk"),
         lambda e: {"time": _when(e.created_at), "reason": e.reason}),
    ]


def section_labels() -> dict[str, str]:
    return {
        "memberships": _("Organisations you are a contact for"),
        "invitations": _("Invitations sent to your address"),
        "applications": _("Applications you created, sent or are a contact for"),
        "final_reports": _("Final reports you sent"),
        "report_drafts": _("Final report drafts you saved"),
        "attachments": _("Files you uploaded"),
        "declarations": _("Review requests and conflict of interest declarations"),
        "reviews": _("Reviews you wrote"),
        "checks": _("Ex-ante checks you made"),
        "decisions": _("Decisions you took or approved"),
        "mails": _("E-mails sent to you"),
        "events": _("Events in the audit trail by you or about you"),
        "erasures": _("Erasures of your data"),
    }


def person_account(person: User) -> dict:
    email_addresses = []
    if apps.is_installed("allauth.account"):
        EmailAddress = apps.get_model("account", "EmailAddress")
        email_addresses = [{"email": a.email, "verified": a.verified, "primary": a.primary}
                           for a in EmailAddress.objects.filter(user=person).order_by("pk")]
    return {
        "id": person.pk, "email": person.email, "name": person.full_name, "language": person.language,
        "email_frequency": person.email_frequency, "date_joined": _when(person.date_joined),
        "last_login": _when(person.last_login), "active": person.is_active,
        "roles": sorted(str(roles.LABELS.get(g, g)) for g in person.groups.values_list("name", flat=True)),
        "email_addresses": email_addresses, "erased_at": _when(person.erased_at),
    }


def person_export(person: User) -> dict:
    """Everything Potten holds about `person`, for the JSON download (the page shows the same, paginated)."""
    return {
        "generated_at": _when(timezone.now()),
        "controller": settings.PRIVACY_CONTROLLER,
        "account": person_account(person),
        **{key: [item(row) for row in rows.iterator(chunk_size=500)] if not _prefetches(rows)
           else [item(row) for row in rows]
           for key, rows, item in _sections(person)},
    }


def _prefetches(rows) -> bool:
    return bool(rows._prefetch_related_lookups)


def person_sections(person: User, page_numbers: dict[str, str], per_page: int = 25) -> list[dict]:
    """The export as the readable page shows it: each section one page of `per_page` items."""
    labels = section_labels()
    result = []
    for key, rows, item in _sections(person):
        page = Paginator(rows, per_page).get_page(page_numbers.get(f"{key}_page"))
        result.append({"key": key, "label": labels[key], "page": page, "items": [item(row) for row in page]})
    return result


# --------------------------------------------------------------------------------------------------
# Erasure on request


def _pseudonyms() -> tuple[str, str]:
    token = secrets.token_hex(5)
    return f"Pseudonym {token.upper()}", f"erased-{token}@pseudonym.invalid"


def _delete_logins(person: User) -> dict[str, int]:
    deleted = {}
    for label in ("account.EmailAddress", "mfa.Authenticator", "socialaccount.SocialAccount"):
        app_label, model_name = label.split(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        count, _detail = model._base_manager.filter(user=person).delete()
        if count:
            deleted[label.lower()] = count
    return deleted


@transaction.atomic
def person_erase(*, person_id: int, user, reason: str, confirm_email: str, identifiers: list[str] = ()) -> User:
    """Pseudonymise a person at their request (GDPR art. 17), as far as the law lets Potten.

    The staff member types the person's address to confirm and gives a reason; `identifiers` are further
    markers of the person (a phone number, another spelling of the name) to remove from free text. Kept:
    the audit trail (by reference to the pseudonymised row) and decided cases' legal record. The account can
    no longer log in (inactive, no usable password, which also ends its sessions). Recorded as a
    PersonalDataErasure.
    """
    if not may_manage_personal_data(user):
        raise PermissionDenied
    person = User.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        raise PermissionDenied
    if person.erased_at is not None:
        raise NotAllowed(_("This person's data are already erased."))
    if person.pk == user.pk:
        raise NotAllowed(_("You cannot erase your own data; ask a colleague."))
    if person.is_superuser and not user.is_superuser:
        raise NotAllowed(_("Only an administrator can erase an administrator's data."))
    errors = {}
    if confirm_email.strip().lower() != person.email.lower():
        errors["confirm_email"] = _("Type the person's e-mail address exactly to confirm.")
    if not reason.strip():
        errors["reason"] = _("Give the reason for the erasure (for example the date of the person's request).")
    if errors:
        raise ValidationError(errors)

    name, address = _pseudonyms()
    replacements = {person.email: address}
    for marker in [person.full_name, *identifiers]:
        if marker and marker.strip() and marker.strip().lower() != person.email.lower():
            replacements[marker.strip()] = name
    changes = scrub(replacements, _outside_legal_record)
    deleted = _delete_logins(person)
    deleted["grants.membership"] = Membership.objects.filter(user=person).delete()[0]
    pools = ReviewSettings.reviewers.through.objects.filter(user=person)
    deleted["reviewers.pool"] = pools.delete()[0]
    # Mails to the person: the text goes (who, what and when stay); a mail not yet sent is never sent.
    mails = OutboxMessage.objects.filter(Q(user=person) | Q(recipient__iexact=address))
    now = timezone.now()
    unsent = mails.filter(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.HELD])
    changes["notifications.outboxmessage.cancelled"] = unsent.update(
        status=OutboxMessage.Status.FAILED, last_error="The recipient's personal data were erased.")
    changes["notifications.outboxmessage.text_removed"] = mails.filter(body_purged_at__isnull=True).update(
        body_text="", body_html="", context={}, body_purged_at=now)
    person.groups.clear()
    person.user_permissions.clear()
    person.full_name = name
    person.email = address
    person.set_unusable_password()
    person.is_active = person.is_staff = person.is_superuser = False
    person.erased_at = now
    person.save()
    PersonalDataErasure.objects.create(
        user=person, erased_by=user, reason=reason.strip(),
        changes={**{k: v for k, v in changes.items() if v}, "deleted": {k: v for k, v in deleted.items() if v}},
    )
    logger.info("personal data of user %s erased by user %s", person.pk, user.pk)
    return person


# --------------------------------------------------------------------------------------------------
# Retention: closed cases whose fund's period has passed


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def applications_past_retention(now=None):
    """Closed cases whose personal data are due for removal: closed longer ago than their fund's period."""
    now = now or timezone.now()
    due = Q(pk__in=[])
    for fund_pk, years in Fund.objects.values_list("pk", "retention_years"):
        due |= Q(call__fund_id=fund_pk, status_changed_at__lt=_years_before(now, years))
    return Application.objects.filter(due, status__in=Application.CLOSED_STATUSES,
                                      personal_data_removed_at__isnull=True).order_by("pk")


def _case_people(application: Application) -> set[int]:
    people = {application.created_by_id, application.submitted_by_id}
    people |= set(Membership.objects.filter(organisation_id=application.organisation_id)
                  .values_list("user_id", flat=True))
    people |= set(application.assignments.values_list("reviewer_id", flat=True))
    people |= set(application.final_reports.values_list("submitted_by_id", flat=True))
    people |= set(application.attachments.values_list("uploaded_by_id", flat=True))
    people |= set(application.outbox.exclude(user=None).values_list("user_id", flat=True))
    staff = set(User.objects.filter(groups__name__in=[roles.CASE_OFFICER, roles.SECRETARY])
                .values_list("pk", flat=True))
    return (people - staff) - {None}


def _delete_stored(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # noqa: BLE001 - logged; attachments_sweep-style cleanup can retry by hand
        logger.exception("retention: stored file %s could not be deleted", name)


def application_personal_data_remove(*, application_id: int) -> bool:
    """Pseudonymise one closed case past its retention period: the names and addresses of its applicants and
    reviewers in its text, its signatory, its mails' text and recipients, its report draft and attached files.
    The case's facts (amounts, dates, statuses, the decision and the audit trail) stay. Idempotent: False
    when the case was already done or is not due."""
    with transaction.atomic():
        application = (Application.objects.select_for_update().filter(pk=application_id)
                       .select_related("call__fund").first())
        if application is None or application.personal_data_removed_at is not None:
            return False
        if not applications_past_retention().filter(pk=application.pk).exists():
            return False
        replacements = {}
        for pk, full_name, email in User.objects.filter(pk__in=_case_people(application)).values_list(
                "pk", "full_name", "email"):
            # one address per person: an outbox key holds the address and must stay unique
            replacements[email] = CASE_PSEUDONYM_EMAIL.format(f"user-{pk}")
            if full_name:
                replacements[full_name] = CASE_PSEUDONYM
        if application.signatory_email:
            replacements.setdefault(application.signatory_email,
                                    CASE_PSEUDONYM_EMAIL.format(f"signatory-{application.pk}"))
        if application.signatory_name:
            replacements[application.signatory_name] = CASE_PSEUDONYM

        def this_case(model, rows):
            path = application_path(model)
            return rows.filter(**{path: application.pk}) if path else None

        scrub(replacements, this_case)
        now = timezone.now()
        # the case's mails: one still waiting after all these years is never sent; every text goes
        application.outbox.filter(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.HELD]).update(
            status=OutboxMessage.Status.FAILED, last_error="The case's personal data were removed (retention).")
        application.outbox.filter(body_purged_at__isnull=True).exclude(status=OutboxMessage.Status.SENDING).update(
            body_text="", body_html="", context={}, body_purged_at=now)
        FinalReportDraft.objects.filter(application=application).delete()
        for attachment in application.attachments.exclude(file=""):
            transaction.on_commit(partial(_delete_stored, attachment.file.storage, attachment.file.name))
        application.attachments.update(file="")
        Application.objects.filter(pk=application.pk).update(
            signatory_name="", signatory_email="", personal_data_removed_at=now)
    return True


def retention_run(*, batch: int | None = None) -> int:
    """Beat, daily: remove the personal data of at most `batch` due cases, each in its own transaction.
    Returns how many were done; run again, it continues where it stopped (and does nothing when none is due)."""
    batch = batch or settings.PRIVACY_RETENTION_BATCH
    done = 0
    for pk in applications_past_retention().values_list("pk", flat=True)[:batch]:
        done += application_personal_data_remove(application_id=pk)
    return done
