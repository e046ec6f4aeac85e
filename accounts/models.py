from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. The e-mail address is the login."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails you get from Potten."),
    )

    class EmailFrequency(models.TextChoices):
        IMMEDIATE = "immediate", _("Each e-mail at once")
        DAILY = "daily", _("One daily summary")

    email_frequency = models.CharField(
        _("e-mails"), max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE,
        help_text=_("Decisions and deadlines always come at once; other news can wait for a daily summary."),
    )
    is_staff = models.BooleanField(_("staff status"), default=False,
                                   help_text=_("Can log in to the administration site."))
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set when the person's data were erased (workflows/privacy/): the row stays as a pseudonym, so the
    # audit trail keeps its shape; the account can no longer log in.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class PersonalDataErasure(models.Model):
    """The record of one erasure of a person's data (GDPR art. 17): who asked for it, why and what changed.

    Append-only. `user` is the pseudonymised account; `erased_by` is empty when the retention task did it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasures",
                             verbose_name=_("person"))
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("erased by"))
    reason = models.TextField(_("reason"))
    # {"app_label.model.field": number of rows changed}, and what was deleted: no personal data.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("erasure of personal data")
        verbose_name_plural = _("erasures of personal data")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An erasure record is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An erasure record is append-only.")
