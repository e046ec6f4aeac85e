"""Re-encrypt every stored second-factor secret with the current key (accounts/mfa_secrets.py).

Key rotation: put the new key in MFA_ENCRYPTION_KEY and the old one in MFA_ENCRYPTION_OLD_KEYS, restart, run
this command once, then remove the old key. A secret no configured key opens stops the command (logged) and
nothing is changed."""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.mfa_secrets import SecretUnreadable, authenticators_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored TOTP secret and recovery-code seed with MFA_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                changed = authenticators_rotate(Authenticator.objects.all())
        except SecretUnreadable:
            raise CommandError("A stored secret cannot be decrypted with the configured keys (see the log); "
                               "nothing was changed.") from None
        self.stdout.write(f"{changed} authenticators re-encrypted with the current key.")
