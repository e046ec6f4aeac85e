from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.paging import page_of
from grants.selectors import application_get_for_staff
from common.errors import NotAllowed
from notifications import selectors, services
from notifications.forms import EmailSettingsForm
from notifications.models import OutboxMessage


@login_required
def email_settings(request):
    """The logged-in user's e-mail language and frequency."""
    user = request.user
    form = EmailSettingsForm(request.POST or None,
                             initial={"language": user.language, "email_frequency": user.email_frequency})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_email_settings_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your e-mail settings are saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def outbox_resend(request, application_pk: int, pk: int):
    """Staff send one of the case's e-mails again (a sent or failed one)."""
    application = application_get_for_staff(user=request.user, pk=application_pk)
    message = get_object_or_404(OutboxMessage, pk=pk, application=application)
    try:
        copy = services.outbox_resend(message_id=message.pk, user=request.user)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The e-mail to %(recipient)s is queued to be sent again.")
                         % {"recipient": copy.recipient})
    return redirect(reverse("workflows:case_detail", args=[application.pk]) + "#h-mails")


@login_required
def outbox_undelivered(request):
    """Staff: the mails that belong to no case and failed or are not sent yet, each with "send again"."""
    if not selectors.outbox_staff_may_see(request.user):
        raise Http404
    return render(request, "notifications/outbox_undelivered.html",
                  {"outbox": page_of(request, selectors.outbox_undelivered_for_staff(user=request.user))})


@login_required
@require_POST
def outbox_resend_unattached(request, pk: int):
    """Staff send a mail that belongs to no case again (a failed account mail, invitation …)."""
    message = selectors.outbox_message_get_for_staff(user=request.user, pk=pk)
    try:
        copy = services.outbox_resend(message_id=message.pk, user=request.user)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The e-mail to %(recipient)s is queued to be sent again.")
                         % {"recipient": copy.recipient})
    return redirect("notifications:outbox")
