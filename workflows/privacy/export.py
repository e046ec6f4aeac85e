"""Export (art. 15): everything Potten holds about a person, as sections of items (the page and the JSON)."""

from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import PersonalDataErasure, User
from grants.models import (
    Application, Attachment, Decision, ExAnteCheck, FinalReport, FinalReportDraft, Invitation, Membership,
)
from notifications.models import OutboxMessage
from reviewers.models import Assignment, Review
from django.core.paginator import Paginator



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
