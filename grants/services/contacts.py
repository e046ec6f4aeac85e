"""The one way to tell an application's contacts something: one outbox row per active contact, each linking
to the application's page, keyed (contact, kind, application, stage) so a step run twice mails once."""

from django.urls import reverse

from grants.selectors import application_contacts
from notifications.services import notification_queue


def contacts_notify(application, kind: str, *, stage: str, files=(), **context) -> None:
    """Queue the mail `kind` to every active contact of the application's organisation (in the caller's
    transaction: a rolled-back step sends nothing). `context` goes to the template; `files` are stored files
    to attach (a decision letter)."""
    link = reverse("grants:application_detail", args=[application.pk])
    for contact in application_contacts(application):
        notification_queue(user=contact, kind=kind, stage=stage, application=application, link=link,
                           context=context, files=files)
