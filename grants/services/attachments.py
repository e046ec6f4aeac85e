"""Attachments: storing and removing the files an applicant adds to an application, and who may see them.

The bytes are judged first (`grants.uploads.detect.inspect_upload`). The services store the file on the
default storage (private: local folder or S3 with a private ACL) and write the audit event. A refused or
rolled-back upload leaves no row and no stored object; the downloads go through
`grants.views.attachments.attachment_download`, which checks permissions.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotAllowed
from grants.models import Application, Attachment, Event
from grants.selectors import user_is_contact
from grants.services.applications import event_record
from grants.uploads.detect import inspect_upload
from grants.uploads.rules import MAX_DESCRIPTION_LENGTH, MAX_FILES_PER_APPLICATION, MAX_TOTAL_BYTES_PER_APPLICATION, refuse

logger = logging.getLogger(__name__)


def attachment_stage_open(application: Application) -> str | None:
    """Which files can change now: the application's while it is a draft or a completion request reopened
    them; the final report's while the report is being written (or completed after the secretary asked).
    None when no file can change."""
    if application.status == Application.Status.DRAFT:
        return Attachment.Stage.APPLICATION
    if application.status == Application.Status.COMPLETION and "attachments" in (application.reopened_fields or []):
        return Attachment.Stage.APPLICATION
    if application.status == Application.Status.GRANTED:  # the final report step is open
        return Attachment.Stage.REPORT
    return None


def attachments_editable(application: Application, stage: str | None = None) -> bool:
    """Files (of `stage`, or of whichever stage is open) can be added or removed now."""
    open_stage = attachment_stage_open(application)
    return open_stage is not None and (stage is None or stage == open_stage)


def _is_contact(user, application: Application) -> bool:
    return user_is_contact(user, organisation_id=application.organisation_id)


def _check_may_edit(user, application: Application, stage: str | None = None) -> None:
    if not _is_contact(user, application):
        raise PermissionDenied
    if not attachments_editable(application):
        raise NotAllowed(_(
            "Attachments can only be added or removed while the application is a draft, "
            "or when the case officer has asked you to complete them."
        ))
    if not attachments_editable(application, stage):
        raise NotAllowed(_(
            "The files of the application can no longer be changed. You can add and remove the files of your "
            "final report."
        ))


def report_attachment_sent(attachment: Attachment) -> bool:
    """A final report's file was sent: a report was sent after it was uploaded. Until then it is the
    applicant's draft (a file added while completing a sent report too, until the report is sent again)."""
    return attachment.application.final_reports.filter(submitted_at__gte=attachment.uploaded_at).exists()


def attachments_context(*, application: Application, user, stage: str = Attachment.Stage.APPLICATION) -> dict:
    """The context `templates/grants/attachments_section.html` expects, for the files of one stage."""
    return {
        "application": application,
        "attachments": application.attachments.filter(stage=stage),
        "can_edit": attachments_editable(application, stage) and _is_contact(user, application),
    }


# --------------------------------------------------------------------------------------------------
# Services


def _delete_stored(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # noqa: BLE001 - the row is gone; a left-over object is swept later
        logger.exception("attachment: could not delete stored object %s", name)


def attachment_add(*, application_id: int, user, upload, description: str = "") -> Attachment:
    """Check, store and record one file. A refusal or a rollback leaves no row and no stored object."""
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        refuse("description_too_long", max=MAX_DESCRIPTION_LENGTH)
    # A cheap check before the bytes are read, so a refused user costs no parsing; repeated under the lock.
    application = Application.objects.get(pk=application_id)
    _check_may_edit(user, application)

    checked = inspect_upload(upload)
    stored_name = None
    storage = Attachment._meta.get_field("file").storage
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application_id)
            _check_may_edit(user, application)
            # The file belongs to the stage that is open: the application, or the final report.
            stage = attachment_stage_open(application)
            existing = Attachment.objects.filter(application=application, stage=stage)
            if existing.count() >= MAX_FILES_PER_APPLICATION:
                refuse("too_many_files", max=MAX_FILES_PER_APPLICATION)
            used = existing.aggregate(total=Sum("size"))["total"] or 0
            if used + checked.size > MAX_TOTAL_BYTES_PER_APPLICATION:
                refuse("quota_exceeded", limit=filesizeformat(MAX_TOTAL_BYTES_PER_APPLICATION))
            attachment = Attachment(
                application=application, original_name=checked.name, content_type=checked.kind.content_type,
                size=checked.size, sha256=checked.sha256, description=description, uploaded_by=user, stage=stage,
            )
            checked.file.seek(0)
            # The key comes from attachment_key (random); the name only feeds the display column.
            attachment.file.save(checked.name, File(checked.file, name=checked.name), save=False)
            stored_name = attachment.file.name
            attachment.full_clean(exclude=["file"])
            attachment.save()
            event_record(
                application=application, kind=Event.Kind.ATTACHMENT_ADDED, actor=user,
                message=f"{checked.name} ({filesizeformat(checked.size)})",
                visible=True,
            )
    except BaseException:
        if stored_name:
            _delete_stored(storage, stored_name)
        raise
    finally:
        checked.close()
    return attachment


def attachment_remove(*, attachment_id: int, user) -> Application:
    """Delete the row now and the stored object after commit; returns the application."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=attachment.application_id)
        attachment = Attachment.objects.filter(pk=attachment_id, application=application).first()
        if attachment is None:
            raise Http404  # removed meanwhile (a double click or another tab)
        _check_may_edit(user, application)
        name, storage = attachment.file.name, attachment.file.storage
        _check_may_edit(user, application, attachment.stage)
        display = attachment.original_name
        attachment.delete()
        event_record(application=application, kind=Event.Kind.ATTACHMENT_REMOVED, actor=user,
                     message=display, visible=True)
        transaction.on_commit(partial(_delete_stored, storage, name))
    return application


def attachment_orphans_delete(*, older_than: timedelta = timedelta(hours=1), dry_run: bool = False) -> list[str]:
    """Stored objects under attachments/ that no row refers to (for example from a transaction
    rolled back by a caller after attachment_add returned). Returns the names it deleted."""
    storage = Attachment._meta.get_field("file").storage
    try:
        _dirs, files = storage.listdir("attachments")
    except FileNotFoundError:
        return []
    known = set(Attachment.objects.values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    deleted = []
    for filename in files:
        name = f"attachments/{filename}"
        if name in known:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (NotImplementedError, OSError):
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified)
        if modified > cutoff:
            continue
        if not dry_run:
            _delete_stored(storage, name)
        deleted.append(name)
    return deleted
