"""Erasure on request (art. 17): the person becomes a pseudonym, their markers are replaced outside the
legal record, their logins go; recorded with its reason."""

import logging
import secrets

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PersonalDataErasure, User
from grants.models import Membership
from common.errors import NotAllowed
from notifications.models import OutboxMessage
from reviewers.models import ReviewSettings
from workflows.privacy.access import may_manage_personal_data
from workflows.privacy.markers import markers_replace, outside_legal_record, scrub


logger = logging.getLogger(__name__)


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


def _delete_sessions(person: User) -> int:
    """The person's sessions (their data can hold the address they logged in with). The unusable password
    already ends them; this removes the rows. Reads every session once: erasures are rare."""
    mine = [session.pk for session in Session.objects.iterator()
            if session.get_decoded().get("_auth_user_id") == str(person.pk)]
    return Session.objects.filter(pk__in=mine).delete()[0]


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
    # Every address the person had (the login's and any other they added, confirmed or not), each to its own
    # pseudonym address: an outbox key holds the address and must stay unique.
    addresses = [person.email, *(EmailAddress.objects.filter(user=person).exclude(email__iexact=person.email)
                                 .order_by("pk").values_list("email", flat=True))]
    replacements = {}
    for n, email in enumerate(dict.fromkeys(a.strip().lower() for a in addresses if a.strip())):
        replacements[email] = address if n == 0 else address.replace("@", f"-{n + 1}@")
    for marker in [person.full_name, *identifiers]:
        if marker and marker.strip() and marker.strip().lower() not in replacements:
            replacements[marker.strip()] = name
    changes = scrub(replacements, outside_legal_record)
    deleted = _delete_logins(person)
    deleted["sessions.session"] = _delete_sessions(person)
    deleted["grants.membership"] = Membership.objects.filter(user=person).delete()[0]
    pools = ReviewSettings.reviewers.through.objects.filter(user=person)
    deleted["reviewers.pool"] = pools.delete()[0]
    # Mails to the person: the text goes (who, what and when stay); a mail not yet sent is never sent.
    mails = OutboxMessage.objects.filter(Q(user=person) | Q(recipient__in=set(replacements.values()) - {name}))
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
        user=person, erased_by=user, reason=markers_replace(reason.strip(), replacements),
        changes={**{k: v for k, v in changes.items() if v}, "deleted": {k: v for k, v in deleted.items() if v}},
    )
    logger.info("personal data of user %s erased by user %s", person.pk, user.pk)
    return person
