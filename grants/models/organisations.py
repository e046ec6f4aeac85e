"""Organisations, their contacts (memberships), invitations, join requests and their audit trail."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.validators import normalise_org_number, validate_org_number
from grants.models.base import AppendOnlyQuerySet
from grants.models.funds import Municipality


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ASSOCIATION = "association", _("Non-profit association")
        FAITH = "faith", _("Faith community")
        STUDY = "study", _("Study association")
        FOUNDATION = "foundation", _("Foundation")
        AUTHORITY = "authority", _("Authority (municipality, region, state)")
        OTHER = "other", _("Other idea-based organisation")

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"), max_length=11, unique=True, validators=[validate_org_number],
        help_text=_("Ten digits, for example 802456-1238. You find it on the registration certificate."),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, verbose_name=_("municipality"),
        help_text=_("The municipality where the organisation is active."),
    )
    kind = models.CharField(_("kind of organisation"), max_length=20, choices=Kind.choices)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations", verbose_name=_("contacts")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A first registration is unverified until a case officer confirms that its contacts represent it.
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("verified by"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [("manage_organisations", "Can verify organisations and change their contacts")]

    def __str__(self):
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def clean(self):
        self.org_number = normalise_org_number(self.org_number)

    def save(self, *args, **kwargs):
        self.org_number = normalise_org_number(self.org_number)
        super().save(*args, **kwargs)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, verbose_name=_("organisation"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} – {self.organisation}"


class Invitation(models.Model):
    """An invitation for a colleague to become a contact of an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations",
                                     verbose_name=_("organisation"))
    email = models.EmailField(_("e-mail address"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation}"


class JoinRequest(models.Model):
    """Someone registered a number that is already registered: they ask its contacts to let them in.

    A contact of the organisation or a case officer approves (the person becomes a contact) or declines.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="join_requests",
                                     verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("requested by"))
    name_given = models.CharField(_("name given"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("answered by"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], condition=Q(status="pending"),
                                    name="joinrequest_one_pending"),
        ]

    def __str__(self):
        return f"{self.user} → {self.organisation}"


class OrganisationEvent(models.Model):
    """An organisation's audit trail: registrations, requests to join, verification, contacts. Append-only."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered (unverified)")
        JOIN_REQUESTED = "join_requested", _("Request to join")
        JOIN_APPROVED = "join_approved", _("Request to join approved")
        JOIN_DECLINED = "join_declined", _("Request to join declined")
        VERIFIED = "verified", _("Verified by a case officer")
        CONTACT_ADDED = "contact_added", _("Contact added by staff")
        CONTACT_INVITED = "contact_invited", _("Contact invited by staff")
        CONTACT_REMOVED = "contact_removed", _("Contact removed by staff")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("person"))
    # The invitation an event is about (a contact invited, an invitation accepted): a reference, never a copied
    # address, so that erasing the person (whose address the invitation row holds) leaves none in this table.
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("invitation"))
    message = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("organisation event")
        verbose_name_plural = _("organisation events")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The audit trail is append-only.")
