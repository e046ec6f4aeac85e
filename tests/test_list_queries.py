"""Every list page takes the same number of queries with a few rows and with hundreds (pages of 50, no
query per row), on a history written by generate_load: the inboxes, the case list, the reviewer's list,
my applications, payments, a fund's ledger, the undelivered mails and the admin's application list."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from grants.models import FundYear

pytestmark = pytest.mark.django_db


def inbox_rows(context) -> int:
    """The shortest of the three lists (each must have rows for the comparison to mean something)."""
    return min(context[name].paginator.count for name in ("mine", "queue", "others"))


def pages():
    year = timezone.localdate().year
    # The newest generated fund: a second run of the generator writes into a fund of its own.
    fund_year = FundYear.objects.filter(fund__slug__startswith="last-", year=year).order_by("-pk").first()
    return [
        # (name, user, url, the number of rows the page lists, from its context)
        ("inbox, case officer", "handlaggare@example.org", reverse("workflows:inbox"), inbox_rows),
        ("inbox, secretary", "sekreterare@example.org", reverse("workflows:inbox"), inbox_rows),
        ("case list", "handlaggare@example.org", reverse("workflows:case_list") + "?stage=decision&sort=-amount",
         lambda c: c["page_obj"].paginator.count),
        ("reviewer's list", "bedomare@example.org", reverse("reviewers:home"),
         lambda c: min(c["todo"].paginator.count, c["done"].paginator.count)),
        ("my applications", "sokande@example.org", reverse("grants:my_applications"),
         lambda c: c["applications"].paginator.count),
        ("payments", "sekreterare@example.org", reverse("grants:payments"),
         lambda c: min(c["planned"].paginator.count, c["paid"].paginator.count)),
        ("fund ledger", "sekreterare@example.org", reverse("grants:fund_budget", args=[fund_year.pk]),
         lambda c: c["entries"].paginator.count),
        ("undelivered mails", "sekreterare@example.org", reverse("notifications:outbox"),
         lambda c: c["outbox"].paginator.count),
        ("admin applications", "admin@example.org", "/admin/grants/application/?q=och&status__exact=decision",
         lambda c: c["cl"].result_count),
    ]


def measure(client) -> dict:
    found = {}
    for name, email, url, rows in pages():
        client.force_login(User.objects.get(email=email))
        client.get(url)  # warm: sessions, content types, permissions
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        found[name] = (len(queries), rows(response.context))
    return found


def test_every_list_takes_as_many_queries_for_a_few_rows_as_for_hundreds(client):
    call_command("generate_load", applications=100, funds=2, years=1, verbosity=0)
    few = measure(client)
    call_command("generate_load", applications=1500, funds=1, years=1, verbosity=0)
    many = measure(client)

    for name in few:
        (queries_few, rows_few), (queries_many, rows_many) = few[name], many[name]
        assert 0 < rows_few < 50, (name, rows_few)  # an empty list skips its rows' query; a full page hides one
        # query per row: compare a part of a page with full pages
        assert rows_many >= 5 * rows_few or rows_many > 50, (name, rows_few, rows_many)
        assert queries_many == queries_few, (name, few[name], many[name])


def test_the_budgets_page_takes_as_many_queries_for_5_fund_years_as_for_120(client, secretary):
    """The budgets page lists fund years in pages of 50, each page's balances from one query."""
    from tests.factories import FundFactory, FundYearFactory

    def fill(total):
        while FundYear.objects.count() < total:
            fund = FundFactory()
            for year in range(2022, 2026):
                FundYearFactory(fund=fund, year=year)

    client.force_login(secretary)
    url = reverse("grants:fund_years")
    measured = []
    for total in (5, 120):
        fill(total)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        measured.append((len(queries), len(response.context["rows"]), response.context["page"].paginator.count))
    (few, rows_few, count_few), (many, rows_many, count_many) = measured
    assert rows_few == count_few < 50 and rows_many == 50 and count_many >= 120
    assert few == many, measured
