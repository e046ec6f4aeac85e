"""The dashboard's "targets at a glance": one card per fund, written in Python (every fund's six targets are a few
hundred rows, which Django's template language writes several times slower). The same HTML as the template it
replaced (tests/test_indicator_glance.py keeps that template and compares)."""

from __future__ import annotations

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext


def glance_html(overview: list[tuple], year: int) -> SafeString:
    """The cards of `overview` ([(Indicators, target_rows(…)), …]) for the dashboard of `year`; every text escaped."""
    of, forecast = gettext("of %(target)s"), gettext("Forecast for the year: %(forecast)s. Expected by now: "
                                                      "%(expected)s.")
    parts = ['<div class="ind-glance">\n  ']
    for ind, rows in overview:
        slug, name = conditional_escape(ind.fund.slug), conditional_escape(ind.fund.name)
        parts.append(f'\n  <section class="card" aria-labelledby="glance-{slug}">\n    <h3 id="glance-{slug}">'
                     f'<a href="?year={year}&amp;fund={slug}">{name}</a></h3>\n    ')
        for row in rows:
            target = (" " + of % {"target": conditional_escape(row["target_text"])}) if row["target"] else ""
            parts.append(
                f'\n      <p>{conditional_escape(row["label"])}: <span class="ind-big">'
                f'{conditional_escape(row["actual_text"])}</span>{target}\n        <span class="ind-status '
                f'ind-status-{conditional_escape(row["status"] or "none")}">{conditional_escape(row["status_label"])}'
                '</span></p>\n      ')
            if row["target"] and row["kind"] == "count" and row["status"] != "met":
                parts.append('<p class="meta">' + forecast % {"forecast": conditional_escape(row["forecast_text"]),
                                                               "expected": conditional_escape(row["expected_text"])}
                             + "</p>")
            parts.append("\n    ")
        parts.append("\n  </section>\n  ")
    parts.append("\n</div>")
    return mark_safe("".join(parts))  # every value escaped above
