"""A fund year's ledger rows written in Python (grants/views/money_rows.py: ledger_rows_html) are what
grants/fund_budget.html's loop wrote: with and without links to the cases, in Swedish and English, empty or not,
with user-typed text (titles, case numbers, names) escaped."""

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.template import engines
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from grants.models import Application, FundYear, LedgerEntry
from grants.views.money_rows import ledger_rows_html

pytestmark = pytest.mark.django_db

# The ledger's rows as grants/fund_budget.html wrote them before they were written in Python.
LEDGER = """{% load i18n potten %}{% for entry in entries %}
    <tr><td>{{ entry.created_at|daytime }}</td>
      <td>{% if may_see_cases %}<a href="{% url 'workflows:case_detail' entry.application_id %}">{{ entry.application.case_number|default:entry.application }}</a>{% else %}{{ entry.application.case_number|default:entry.application }}{% endif %}</td>
      <td>{{ entry.get_kind_display }}</td><td class="num">{{ entry.amount|money }}</td><td>{{ entry.created_by.get_full_name }}</td></tr>
  {% empty %}<tr><td colspan="5">{% translate "Nothing yet." %}</td></tr>{% endfor %}"""
HOSTILE = "<script>alert(1)</script>\"'&"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_ledger_rows_written_in_python_are_what_the_template_wrote(client, language):
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    fund_year = FundYear.objects.annotate(entries=Count("ledger")).order_by("-entries").first()
    entry = fund_year.ledger.order_by("-created_at", "-pk").first()
    # The newest entry's case without a number (its title shown), another case untitled, the booker's name hostile.
    Application.objects.filter(pk=entry.application_id).update(title=HOSTILE, case_number=None)
    untitled = LedgerEntry.objects.filter(fund_year=fund_year).exclude(application=entry.application_id).first()
    Application.objects.filter(pk=untitled.application_id).update(title="", case_number=None)
    User.objects.filter(pk=entry.created_by_id).update(full_name="<b>&</b>")
    secretary = User.objects.get(email="sekreterare@example.org")
    client.force_login(secretary)
    client.cookies["django_language"] = language
    response = client.get(reverse("grants:fund_budget", args=[fund_year.pk]))
    page = response.context["entries"]
    assert len(page.object_list) == min(50, fund_year.entries) and page.paginator.count == fund_year.entries > 2
    entries = LedgerEntry.objects.filter(pk__in=[row[0] for row in page.object_list]).select_related(
        "application", "created_by").order_by("-created_at", "-pk")
    template = engines["django"].from_string(LEDGER)
    with translation.override(language):
        for may_see_cases in (True, False):
            old = template.render({"entries": entries, "may_see_cases": may_see_cases})
            assert ledger_rows_html(page.object_list, may_see_cases=may_see_cases,
                                    nothing=translation.gettext("Nothing yet.")) == old, may_see_cases
        assert page.rows_html == template.render({"entries": entries, "may_see_cases": True})
        empty = template.render({"entries": [], "may_see_cases": True})
        assert ledger_rows_html([], may_see_cases=True, nothing=translation.gettext("Nothing yet.")) == empty
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in html and "<script>alert" not in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html


def test_an_empty_ledger_says_so(client):
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    fund_year = FundYear.objects.filter(ledger__isnull=True).first() or FundYear.objects.create(
        fund=FundYear.objects.first().fund, year=2099, budget=1000)
    client.force_login(User.objects.get(email="sekreterare@example.org"))
    response = client.get(reverse("grants:fund_budget", args=[fund_year.pk]))
    assert response.status_code == 200
    with translation.override("sv"):
        assert '<tbody><tr><td colspan="5">Inget än.</td></tr></tbody>' in response.content.decode()

