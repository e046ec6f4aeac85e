"""The dashboard's "targets at a glance" cards written in Python (grants/indicators/glance.py) are what the template
they replaced wrote, in both languages, for every kind of target and status, with hostile text escaped."""

from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from grants.indicators.exports import target_rows
from grants.indicators.glance import glance_html
from grants.indicators.results import ShareTarget, Target

# The cards as the dashboard's template wrote them before glance.py wrote them in Python.
TEMPLATE = """{% load i18n %}<div class="ind-glance">
  {% for ind, rows in overview %}
  <section class="card" aria-labelledby="glance-{{ ind.fund.slug }}">
    <h3 id="glance-{{ ind.fund.slug }}"><a href="?year={{ year }}&amp;fund={{ ind.fund.slug }}">{{ ind.fund.name }}</a></h3>
    {% for row in rows %}
      <p>{{ row.label }}: <span class="ind-big">{{ row.actual_text }}</span>{% if row.target %} {% blocktranslate with target=row.target_text %}of {{ target }}{% endblocktranslate %}{% endif %}
        <span class="ind-status ind-status-{{ row.status|default:'none' }}">{{ row.status_label }}</span></p>
      {% if row.target and row.kind == "count" and row.status != "met" %}<p class="meta">{% blocktranslate with forecast=row.forecast_text expected=row.expected_text %}Forecast for the year: {{ forecast }}. Expected by now: {{ expected }}.{% endblocktranslate %}</p>{% endif %}
    {% endfor %}
  </section>
  {% endfor %}
</div>"""  # noqa: E501

HOSTILE = '<script>alert("x")</script> & \'Fonden\''


def fund_card(name: str, slug: str, share: Fraction, counts: list[tuple[int, int, float]],
              shares: list[tuple[int, float | None, bool | None]]):
    """A fund's Indicators as the overview needs them: counts are (target, actual, pipeline), shares are
    (target, actual per cent, met)."""
    keys = ("applications", "carried_out", "collaboration_projects")
    targets = {key: Target(key=key, target=target, actual=actual, share=share, pipeline=pipeline, rate=0.5)
               for key, (target, actual, pipeline) in zip(keys, counts)}
    share_keys = ("participants_balance", "trainers_balance", "survey_participants")
    targets.update({key: ShareTarget(key=key, target=target, actual=actual, actual_met=met)
                    for key, (target, actual, met) in zip(share_keys, shares)})
    return SimpleNamespace(fund=SimpleNamespace(name=name, slug=slug), targets=targets)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_cards_written_in_python_are_what_the_template_wrote(language):
    funds = [
        # met, on track, behind; a share met, not met, not assessable
        fund_card("Dialogpotten", "dialog", Fraction(1, 2), [(10, 12, 0.0), (5, 2, 1.5), (3, 0, 0.25)],
                  [(40, 45.5, True), (40, 20.0, False), (60, None, None)]),
        # no targets at all (0): no "of", no status
        fund_card(HOSTILE, 'x"><img src=x onerror=alert(1)>', Fraction(1, 3), [(0, 1234567, 2.0), (0, 0, 0.0),
                                                                              (0, 0, 0.0)],
                  [(0, None, None), (0, 50.0, True), (0, 12.3, False)]),
        # the year over: actual only
        fund_card("Mikroprojekt", "mikro", Fraction(1), [(10, 9, 3.0), (5, 7, 0.0), (3, 3, 0.0)],
                  [(40, 39.9, False), (40, 40.0, True), (60, 61.0, True)]),
    ]
    with translation.override(language):
        overview = [(ind, target_rows(ind)) for ind in funds]
        written = glance_html(overview, 2026)
        expected = engines["django"].from_string(TEMPLATE).render({"overview": overview, "year": 2026})
    assert written == expected
    assert "<script>" not in written and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;Fonden&#x27;" \
        in written
    assert 'onerror' in written and '"><img' not in written
    statuses = {row["status"] for _ind, rows in overview for row in rows}
    assert statuses == {"met", "on_track", "behind", "not_met", "not_assessable", None}


def test_no_fund_no_cards():
    assert glance_html([], 2026) == '<div class="ind-glance">\n  \n</div>'
    assert engines["django"].from_string(TEMPLATE).render({"overview": [], "year": 2026}) == glance_html([], 2026)
