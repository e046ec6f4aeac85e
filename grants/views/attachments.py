"""Attachment pages: upload, remove and a permission-checked download.

Files are never served from a public URL: the download streams the stored object through Django
after the same checks as the application itself (404 for anyone who may not see it).
The HTML flow works without JavaScript (POST, then a redirect with a message); a client that sends
`Accept: application/json` gets {"ok": …, "error": …, "code": …} instead, with status 400 on errors.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from grants import selectors
from grants.services import attachments
from reviewers import access
from grants.uploads import rules as upload_rules
from common.errors import NotAllowed

logger = logging.getLogger(__name__)

FILE_FIELD = "file"


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops writing an uploaded file to disk as soon as it passes UPLOAD_MAX_BYTES, whatever the
    request's Content-Length says. The rest of the file is read and thrown away; the view answers
    with the size error."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = upload_rules.upload_limit()
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the UploadedFile


def _wants_json(request) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _back(request, application) -> str:
    """Where to go after an upload or a removal: the page the form was on, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("grants:application_edit", args=[application.pk])


def _refused(request, application, message: str, code: str):
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": str(message), "code": code}, status=400)
    messages.error(request, message)
    return redirect(_back(request, application))


def _error_of(exc: ValidationError) -> tuple[str, str]:
    error = exc.error_list[0]
    return next(iter(exc.messages)), error.code or "invalid"


@csrf_exempt
@login_required
def attachment_add(request, pk: int):
    """POST multipart: `file`, optional `description` and `next`.

    The size-limit handler must be in place before the body is read, and the CSRF check reads the
    body, so CSRF is checked inside (the pattern in Django's upload-handler documentation)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler = SizeLimitUploadHandler(request)
    try:
        request.upload_handlers.insert(0, handler)
    except AttributeError:  # the body was already read by something else; the service still caps it
        handler = None
    return _attachment_add(request, pk, handler)


@csrf_protect
def _attachment_add(request, pk: int, handler):
    application = selectors.application_get_for_applicant(user=request.user, pk=pk)
    uploads = request.FILES.getlist(FILE_FIELD)  # parses the body (unless the CSRF check already did)
    if handler is not None and handler.too_large:
        return _refused(request, application, _(
            "The file is larger than %(limit)s. Make it smaller or split it into several files."
        ) % {"limit": filesizeformat(upload_rules.upload_limit())}, "too_large")
    if not uploads:
        return _refused(request, application, _("Choose a file to attach."), "no_file")
    if len(uploads) > 1:
        return _refused(request, application, _("Attach one file at a time."), "too_many_uploads")
    try:
        attachment = attachments.attachment_add(
            application_id=application.pk, user=request.user, upload=uploads[0],
            description=request.POST.get("description", ""),
        )
    except ValidationError as exc:
        message, code = _error_of(exc)
        return _refused(request, application, message, code)
    except NotAllowed as exc:
        return _refused(request, application, exc.message, "not_editable")
    except PermissionDenied:
        raise Http404 from None
    finally:
        for upload in uploads:
            upload.close()
    if _wants_json(request):
        return JsonResponse({"ok": True, "error": None, "attachment": {
            "id": attachment.pk, "name": attachment.original_name, "content_type": attachment.content_type,
            "size": attachment.size, "url": reverse("grants:attachment_download", args=[attachment.pk]),
        }}, status=201)
    messages.success(request, _("The file %(name)s is attached.") % {"name": attachment.original_name})
    return redirect(_back(request, application))


@login_required
@require_POST
def attachment_remove(request, pk: int):
    attachment = access.attachment_get_for_user(user=request.user, pk=pk)
    # Only the applicant's contacts may change files; staff who can see it get 404 like anyone else.
    application = selectors.application_get_for_applicant(user=request.user, pk=attachment.application_id)
    name = attachment.original_name
    try:
        attachments.attachment_remove(attachment_id=attachment.pk, user=request.user)
    except NotAllowed as exc:
        return _refused(request, application, exc.message, "not_editable")
    except PermissionDenied:
        raise Http404 from None
    if _wants_json(request):
        return JsonResponse({"ok": True, "error": None})
    messages.success(request, _("The file %(name)s is removed.") % {"name": name})
    return redirect(_back(request, application))


@login_required
@require_safe
def attachment_download(request, pk: int):
    """Stream the file through Django: as an attachment, with its detected type, never cached
    by shared caches and never rendered by the browser."""
    attachment = access.attachment_get_for_user(user=request.user, pk=pk)
    if not attachment.file:
        raise Http404  # removed with the case's personal data when its retention period ended
    try:
        handle = attachment.file.open("rb")
    except Exception:  # noqa: BLE001 - a missing object is logged; the user sees 404
        logger.exception("attachment %s: stored object %s cannot be read", attachment.pk, attachment.file.name)
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["Content-Length"] = str(attachment.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
