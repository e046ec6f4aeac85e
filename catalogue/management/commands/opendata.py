"""python manage.py opendata --year Y [--output FILE] [--format json|csv]

Writes the 360Giving package (or its CSV summary) of the grants in effect from fund year Y: to standard
output, or to FILE. The same data as /oppna-data/360giving-Y.json (docs/opendata.md).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from catalogue import opendata


class Command(BaseCommand):
    help = "Export the granted projects of a fund year as a 360Giving 1.4 package (JSON) or its CSV summary."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The fund year, e.g. 2026.")
        parser.add_argument("--output", help="Write to this file instead of standard output.")
        parser.add_argument("--format", choices=["json", "csv"], default="json",
                            help="json: the 360Giving package (default); csv: its CSV summary.")

    def handle(self, *args, year, output, format, **options):
        with translation.override("en"):
            package = opendata.package(year)
        if package is None:
            raise CommandError(f"No grant is in effect for the fund year {year}: a 360Giving package needs one.")
        if format == "json":
            text = json.dumps(package, ensure_ascii=False, indent=1) + "\n"
        else:
            text = opendata.package_csv(package["grants"])
        if output:
            Path(output).write_text(text, encoding="utf-8", newline="")
            self.stderr.write(f"{len(package['grants'])} grants written to {output}.")
        else:
            self.stdout.write(text, ending="")
