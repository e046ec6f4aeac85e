"""`manage.py generate_load --applications N --funds F --years Y`: a large, realistic database for measuring
Potten. The generator itself is bench/load/ (see its docstring); this command runs it in one transaction."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bench.load import Generator


class Command(BaseCommand):
    help = "Fill the database with a large, realistic history (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=10_000)
        parser.add_argument("--funds", type=int, default=10)
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=12)

    def handle(self, *args, applications, funds, years, seed, verbosity=1, **options):
        if applications < 1 or funds < 1 or years < 1:
            raise CommandError("generate_load: at least 1 application, 1 fund and 1 year")
        started = time.monotonic()
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        self.say = (lambda message: self.stdout.write(message)) if verbosity else (lambda message: None)
        generator = Generator(applications=applications, funds=funds, years=years, seed=seed, say=self.say)
        with transaction.atomic():
            generator.run()
        generator.stage("vacuum", generator.writer.vacuum)
        self.say(f"generate_load: {applications} applications, {funds} funds, {years} years in "
                 f"{time.monotonic() - started:.1f} s: " + ", ".join(
                     f"{table} {count}" for table, count in generator.writer.counts.items()))


