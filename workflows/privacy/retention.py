"""Retention: the people of a closed case whose fund's retention period has passed are pseudonymised inside
that case's rows, and the case's files are removed (grants.tasks.privacy_retention, nightly)."""

import logging
from datetime import datetime
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import roles
from accounts.models import User
from grants.models import (
    Application, FinalReportDraft, Fund,
    Membership,
)
from notifications.models import OutboxMessage
from workflows.privacy.markers import CASE_PSEUDONYM, CASE_PSEUDONYM_EMAIL, application_path, scrub


logger = logging.getLogger(__name__)


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
        people = _case_people(application)
        for pk, full_name, email in User.objects.filter(pk__in=people).values_list("pk", "full_name", "email"):
            # one address per person: an outbox key holds the address and must stay unique
            replacements[email] = CASE_PSEUDONYM_EMAIL.format(f"user-{pk}")
            if full_name:
                replacements[full_name] = CASE_PSEUDONYM
        # the other addresses the people added to their accounts, each to a pseudonym of its own
        for pk, user_pk, email in EmailAddress.objects.filter(user_id__in=people).values_list("pk", "user", "email"):
            replacements.setdefault(email, CASE_PSEUDONYM_EMAIL.format(f"user-{user_pk}-{pk}"))
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
