"""Print a fund's indicators for a year: python manage.py indicators --fund SLUG --year YYYY --format json|csv

The JSON's shape is stable and documented in the README ("Indicators"); the CSV has one row per figure
(fund, year, indicator as the JSON's dotted key, value).
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from grants.indicators.compute import compute
from grants.indicators.exports import to_csv
from grants.models import Fund


class Command(BaseCommand):
    help = "Print the indicators of a fund for a year as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--fund", required=True, help="The fund's short name (slug).")
        parser.add_argument("--year", required=True, type=int, help="The calendar year, e.g. 2026.")
        parser.add_argument("--format", default="json", choices=["json", "csv"], help="json (default) or csv.")
        parser.add_argument("--as-of", dest="as_of", default=None,
                            help="The records as they stood at the end of this day (YYYY-MM-DD): later corrections, "
                                 "payments and steps do not count. Default: today.")

    def handle(self, *args, fund, year, format, as_of, **options):
        if not 2000 <= year <= 2100:
            raise CommandError("--year must be between 2000 and 2100.")
        found = Fund.objects.filter(slug=fund).first()
        if found is None:
            known = ", ".join(Fund.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"No fund with the short name {fund!r}. Known: {known}.")
        if as_of is not None:
            try:
                as_of = date.fromisoformat(as_of)
            except ValueError:
                raise CommandError("--as-of must be a date, YYYY-MM-DD.") from None
        indicators = compute(found, year, as_of=as_of)
        if format == "csv":
            self.stdout.write(to_csv(indicators), ending="")
        else:
            self.stdout.write(json.dumps(indicators.as_json(), indent=2, ensure_ascii=False))
