"""Open data: the 360Giving 1.4 package validates against the shipped schema (Draft 2020-12, offline), holds
exactly the grants in effect, with the ledger's amounts and dates; its CSV summary; the stable URL; the command."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from catalogue import opendata
from grants.models import Decision, LedgerEntry
from tests.catalogue_helpers import validator
from tests.indicator_data import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def awarded_by_ledger(application) -> Decimal:
    """Committed, less what corrections and annulled raises gave back (not what a closed case returned)."""
    entries = LedgerEntry.objects.filter(application=application)
    committed = entries.filter(kind=LedgerEntry.Kind.COMMITMENT).aggregate(s=Sum("amount", default=0))["s"]
    corrected = entries.filter(kind=LedgerEntry.Kind.RELEASE, note__in=["correction", "annulled"]).aggregate(
        s=Sum("amount", default=0))["s"]
    return committed - corrected


def test_the_package_validates_and_equals_the_ledger(world):
    cases = world.cases
    for year, expected in ((2025, ["a1", "a3", "b1"]), (2026, ["a6"])):
        package = opendata.package(year)
        errors = sorted(validator().iter_errors(package), key=lambda e: list(e.path))
        assert [f"{list(e.path)}: {e.message}" for e in errors] == []
        grants = {g["id"]: g for g in package["grants"]}
        # exactly the grants in effect of the fund year: not the withdrawn, ineligible, rejected, draft, waiting
        assert sorted(grants) == sorted(f"360G-potten-{cases[k].case_number or cases[k].pk}" for k in expected)
        for key in expected:
            application = cases[key]
            grant = grants[f"360G-potten-{application.case_number or application.pk}"]
            entries = LedgerEntry.objects.filter(application=application)
            first_commitment = entries.filter(kind=LedgerEntry.Kind.COMMITMENT).order_by("created_at").first()
            paid = entries.filter(kind=LedgerEntry.Kind.PAYMENT).aggregate(s=Sum("amount", default=0))["s"]
            assert Decimal(str(grant["amountAwarded"])) == awarded_by_ledger(application)
            assert grant["awardDate"] == timezone.localtime(first_commitment.created_at).date().isoformat()
            assert Decimal(str(grant["amountDisbursed"])) == paid
            assert Decimal(str(grant["amountAppliedFor"])) == application.requested_amount
            assert grant["currency"] == "SEK"
            assert grant["recipientOrganization"][0]["id"] == "SE-BLV-" + application.organisation.org_number.replace(
                "-", "")
            assert grant["beneficiaryLocation"][0]["geoCode"] == application.organisation.municipality.code
    # the corrected grant (10 000 → 8 000) is exported with the corrected amount and its first award date
    a6 = opendata.package(2026)["grants"][0]
    assert (a6["amountAwarded"], a6["awardDate"], a6["amountDisbursed"]) == (8000, "2026-03-01", 8000)
    assert Decision.objects.filter(application=cases["a6"]).count() == 2
    a1 = next(g for g in opendata.package(2025)["grants"] if g["amountAwarded"] == 15000)
    assert (a1["awardDate"], a1["amountDisbursed"]) == ("2025-03-10", 14000)


def test_a_year_without_grants_has_no_package(world, client):
    assert opendata.package(2024) is None
    assert client.get(reverse("catalogue:opendata_360", args=[2024, "json"])).status_code == 404
    with pytest.raises(CommandError):
        call_command("opendata", "--year", "2024", stdout=io.StringIO())
    assert opendata.granted_years() == [2026, 2025]


def test_the_stable_url_and_the_command_give_the_same_valid_package(world, client, tmp_path):
    response = client.get(reverse("catalogue:opendata_360", args=[2025, "json"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    over_http = json.loads(response.content)
    out = io.StringIO()
    call_command("opendata", "--year", "2025", stdout=out)
    by_command = json.loads(out.getvalue())
    call_command("opendata", "--year", "2025", "--output", str(tmp_path / "p.json"), stderr=io.StringIO())
    from_file = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    for package in (over_http, by_command, from_file):
        assert list(validator().iter_errors(package)) == []

    def stable(package):
        return [{k: v for k, v in g.items() if k != "dateModified"} for g in package["grants"]]

    assert stable(over_http) == stable(by_command) == stable(from_file)
    assert over_http["grants"][0]["dataSource"].endswith("/oppna-data/360giving-2025.json")
    assert client.get(reverse("catalogue:opendata")).content.decode().count("/oppna-data/360giving-2025.json") == 1


def test_the_csv_summary_has_the_standards_columns_and_the_same_figures(world, client):
    response = client.get(reverse("catalogue:opendata_360", args=[2025, "csv"]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    package = opendata.package(2025)
    assert [row["Identifier"] for row in rows] == [g["id"] for g in package["grants"]]
    for row, grant in zip(rows, package["grants"]):
        assert (row["Amount Awarded"], row["Award Date"], row["Recipient Org:Identifier"], row["Currency"]) == (
            str(grant["amountAwarded"]), grant["awardDate"], grant["recipientOrganization"][0]["id"], "SEK")
    # every column is named by the standard's own titles (flattened "Parent:Child")
    schema = json.loads((opendata_schema_path()).read_text(encoding="utf-8"))
    titles = {p["title"] for p in schema["properties"].values() if "title" in p} | {"Currency"}  # a $ref, untitled
    for definition in schema["$defs"].values():
        titles |= {p["title"] for p in definition.get("properties", {}).values() if "title" in p}
    assert [column for column in rows[0] if not set(column.split(":")) <= titles] == []
    out = io.StringIO()
    call_command("opendata", "--year", "2025", "--format", "csv", stdout=out)
    assert out.getvalue() == response.content.decode()


def opendata_schema_path():
    from tests.catalogue_helpers import SCHEMAS

    return SCHEMAS / "360-giving-schema.json"


def test_the_demo_data_gives_a_package_for_the_current_year(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("opendata", "--year", str(timezone.localdate().year), stdout=out)
    package = json.loads(out.getvalue())
    assert list(validator().iter_errors(package)) == []
    assert len(package["grants"]) >= 1
    assert all(g["recipientOrganization"][0]["id"] == "SE-BLV-8024561238" for g in package["grants"])
    # and a published good practice, so every public page of the catalogue has something to show
    from catalogue.models import Practice

    practice = Practice.objects.published().get()
    assert practice.title == "Samtal vid köksbordet"
    assert any(g.get("url", "").endswith(f"/goda-exempel/{practice.pk}/") for g in package["grants"])


def test_org_id_of_a_swedish_organisation_number():
    assert opendata.org_id("802456-1238") == "SE-BLV-8024561238"
    assert opendata.org_id("8024561238") == "SE-BLV-8024561238"
