"""Print the current TOTP code for the demo secret (or another base32 secret): what an authenticator app
would show. For demo installations and local testing; real users use an authenticator app."""

from django.core.management.base import BaseCommand

from accounts.mfa import DEMO_TOTP_SECRET, totp_code


class Command(BaseCommand):
    help = "Print the current TOTP code for the demo staff users' secret (or --secret)."

    def add_arguments(self, parser):
        parser.add_argument("--secret", default=DEMO_TOTP_SECRET,
                            help="base32 secret (default: the demo secret of seed_demo)")
        parser.add_argument("--next", action="store_true",
                            help="the code of the next 30-second period (accepted now too); a code can be "
                                 "used only once per user")

    def handle(self, *args, secret, next, **options):
        self.stdout.write(totp_code(secret.replace(" ", "").upper(), step=1 if next else 0))
