"""Who may read an application's files: its organisation's contacts, staff who may see the case (a final
report's files once the report is sent), and the reviewers asked to review it who declared no conflict (the
application's files only). Reviewers are the one layer that knows all three."""

from django.http import Http404

from grants import selectors as grant_selectors
from grants.models import Attachment
from grants.services.attachments import report_attachment_sent
from reviewers.models import Assignment


def attachment_get_for_user(*, user, pk: int) -> Attachment:
    """An attachment the user may download: a contact of the applicant organisation, staff who
    may see the case (never a draft), or a reviewer asked to review it who declared no conflict.
    Anyone else gets 404.
    """
    attachment = Attachment.objects.select_related("application").filter(pk=pk).first()
    if attachment is None or not user.is_authenticated:
        raise Http404
    application_id = attachment.application_id
    if grant_selectors.applications_for_applicant(user=user).filter(pk=application_id).exists():
        return attachment
    if grant_selectors.applications_for_staff(user=user).filter(pk=application_id).exists():
        if attachment.stage == Attachment.Stage.REPORT and not report_attachment_sent(attachment):
            raise Http404  # still the applicant's draft: staff see it once the report is sent
        return attachment
    if attachment.stage != Attachment.Stage.APPLICATION:
        raise Http404  # reviewers judge the application; the final report is not theirs to read
    if Assignment.objects.filter(application_id=application_id, reviewer=user,
                                 status__in=[Assignment.Status.ACTIVE, Assignment.Status.SUBMITTED]).exists():
        return attachment
    raise Http404
