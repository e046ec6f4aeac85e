"""Open data: the granted projects of a fund year as a 360Giving 1.4 package (JSON) and its CSV summary,
and the public catalogue as JSON and CSV. docs/opendata.md says what each field is drawn from.

Only what is not personal data leaves here: amounts and dates from the ledger and the decisions,
the organisation (a legal person: name, organisation number, municipality), the fund, the themes, and
texts that staff have checked (a published practice's) or that staff wrote (the fund's purpose).
"""

import csv
import io
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Practice
from grants.models import Application, Decision, FinalReport, LedgerEntry, Organisation, Theme
from reviewers.models import Criterion

VERSION = "1.4"
CURRENCY = "SEK"
ORG_ID_SCHEME = "SE-BLV"  # org-id.guide: Sweden, Bolagsverket's organisationsnummer (docs/opendata.md)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def org_id(org_number: str) -> str:
    """'802456-1238' → 'SE-BLV-8024561238' (the org-id form of a Swedish organisation number)."""
    return f"{ORG_ID_SCHEME}-{''.join(ch for ch in org_number if ch.isdigit())}"


def number(amount: Decimal) -> int | float:
    """An amount as a JSON number: whole kronor as an integer, öre kept otherwise."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def package_url(year: int, fmt: str = "json") -> str:
    return absolute(reverse("catalogue:opendata_360", args=[year, fmt]))


def granted_years() -> list[int]:
    """Fund years with at least one grant in effect, newest first."""
    return sorted(set(Decision.objects.filter(status=Decision.Status.EFFECTIVE, outcome=Decision.Outcome.GRANTED)
                      .values_list("application__call__budget_year", flat=True)), reverse=True)


def _local_date(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def grants_for_year(year: int) -> list[dict]:
    """Every application of fund year `year` with a grant in effect, as 360Giving grants (a fixed number
    of queries, however many grants)."""
    effective = Decision.objects.filter(status=Decision.Status.EFFECTIVE, outcome=Decision.Outcome.GRANTED,
                                        application__call__budget_year=year)
    decisions = {application_id: (amount, approved_at, decided_at) for application_id, amount, approved_at, decided_at
                 in effective.values_list("application_id", "amount", "approved_at", "decided_at")}
    granted = effective.values("application_id")
    applications = list(Application.objects.filter(pk__in=granted).select_related(
        "organisation__municipality", "call__fund").only(
        "case_number", "requested_amount", "start_date", "end_date", "updated_at", "call__budget_year",
        "call__fund__name", "call__fund__slug", "call__fund__purpose", "organisation__name",
        "organisation__org_number", "organisation__kind", "organisation__municipality__name",
        "organisation__municipality__code").order_by("case_number", "pk"))
    ledger = defaultdict(dict)
    for row in (LedgerEntry.objects.filter(application__in=granted).values("application_id")
                .annotate(first_commitment=Min("created_at", filter=Q(kind=LedgerEntry.Kind.COMMITMENT)),
                          last_entry=Max("created_at"),
                          paid=Sum("amount", filter=Q(kind=LedgerEntry.Kind.PAYMENT), default=Decimal("0")),
                          repaid=Sum("amount", filter=Q(kind=LedgerEntry.Kind.REPAYMENT), default=Decimal("0")))
                .order_by()):
        ledger[row["application_id"]] = row
    reports = {}
    for application_id, started_on, ended_on in (
            FinalReport.objects.filter(application__in=granted, outcome=FinalReport.Outcome.APPROVED)
            .order_by("submitted_at", "pk").values_list("application_id", "started_on", "ended_on")):
        reports[application_id] = (started_on, ended_on)
    practices = {p.application_id: p for p in Practice.objects.published().filter(application__in=granted).only(
        "application_id", "title", "what_was_done", "show_what_was_done", "updated_at")}
    themes = defaultdict(list)
    for application_id, code, name_en in (Theme.objects.filter(applications__in=Application.objects.filter(
            pk__in=granted)).values_list("applications__pk", "code", "name_en").order_by("position", "pk")):
        themes[application_id].append((code, name_en))
    kinds = {value: str(label) for value, label in Organisation.Kind.choices}
    data_source = package_url(year)
    practice_url = practice_url_template()
    funder = {"id": settings.OPENDATA_FUNDER_ID, "name": settings.OPENDATA_FUNDER_NAME}
    result = []
    for application in applications:
        (amount, approved_at, decided_at), money = decisions[application.pk], ledger.get(application.pk, {})
        fund, organisation, practice = application.call.fund, application.organisation, practices.get(application.pk)
        committed_at = money.get("first_commitment") or approved_at or decided_at
        # Last modified: the latest change to what the grant is drawn from (the case, its money, its practice).
        modified = max(moment for moment in (application.updated_at, money.get("last_entry"),
                                             practice.updated_at if practice else None) if moment)
        grant = {
            "id": f"{settings.OPENDATA_GRANT_PREFIX}-{application.case_number or application.pk}",
            # Free texts an applicant typed may name people: only a published practice's checked title and
            # description are used; otherwise texts built from the case number and the fund's own purpose.
            "title": practice.title if practice else f"{fund.name} {application.case_number or application.pk}",
            "description": (practice.what_was_done if practice and practice.show_what_was_done and
                            practice.what_was_done.strip() else (fund.purpose.strip() or fund.name)),
            "currency": CURRENCY,
            "amountAppliedFor": number(application.requested_amount or Decimal("0")),
            "amountAwarded": number(amount),
            "awardDate": _local_date(committed_at),
            "recipientOrganization": [{
                "id": org_id(organisation.org_number), "name": organisation.name,
                "addressLocality": organisation.municipality.name, "addressCountry": "SE",
                "organisationType": kinds[organisation.kind],
            }],
            "fundingOrganization": [funder],
            "grantProgramme": [{"code": fund.slug, "title": fund.name}],
            "fromOpenCall": "Yes",
            "beneficiaryLocation": [{"name": organisation.municipality.name, "countryCode": "SE",
                                     "geoCode": organisation.municipality.code}],
            "dateModified": timezone.localtime(modified).replace(microsecond=0).isoformat(),
            "dataSource": data_source,
        }
        disbursed = money.get("paid", Decimal("0")) - money.get("repaid", Decimal("0"))
        if money.get("paid"):
            grant["amountDisbursed"] = number(disbursed)
        if application.start_date and application.end_date:
            grant["plannedDates"] = [{"startDate": application.start_date.isoformat(),
                                      "endDate": application.end_date.isoformat()}]
        started_on, ended_on = reports.get(application.pk, (None, None))
        if started_on and ended_on:
            grant["actualDates"] = [{"startDate": started_on.isoformat(), "endDate": ended_on.isoformat()}]
        if themes.get(application.pk):
            grant["classifications"] = [{"vocabulary": "potten-themes", "code": code, "title": title}
                                        for code, title in themes[application.pk]]
        if practice:
            grant["url"] = practice_url.format(practice.pk)
        result.append(grant)
    return result


def package(year: int) -> dict | None:
    """The 360Giving package of fund year `year`, or None when it has no grant (a package needs one)."""
    grants = grants_for_year(year)
    if not grants:
        return None
    return {
        "version": VERSION,
        "title": f"{settings.OPENDATA_FUNDER_NAME}: grants {year}",
        "description": f"Grants in effect from the fund year {year}, exported by Potten.",
        "identifier": f"{settings.OPENDATA_GRANT_PREFIX}-{year}",
        "issued": timezone.localdate().isoformat(),
        "modified": max(grants, key=lambda grant: datetime.fromisoformat(grant["dateModified"]))["dateModified"],
        "publisher": {"identifier": settings.OPENDATA_FUNDER_ID, "name": settings.OPENDATA_FUNDER_NAME},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "grants": grants,
    }


# The 360Giving CSV summary: one row per grant, columns named by the standard's titles (flatten-tool's
# "Title:Sub-title" form), in the order of the standard's summary template.
CSV_COLUMNS = [
    ("Identifier", lambda g: g["id"]),
    ("Title", lambda g: g["title"]),
    ("Description", lambda g: g["description"]),
    ("Currency", lambda g: g["currency"]),
    ("Amount Applied For", lambda g: g["amountAppliedFor"]),
    ("Amount Awarded", lambda g: g["amountAwarded"]),
    ("Amount Disbursed", lambda g: g.get("amountDisbursed", "")),
    ("Award Date", lambda g: g["awardDate"]),
    ("URL", lambda g: g.get("url", "")),
    ("Planned Dates:Start Date", lambda g: g.get("plannedDates", [{}])[0].get("startDate", "")),
    ("Planned Dates:End Date", lambda g: g.get("plannedDates", [{}])[0].get("endDate", "")),
    ("Actual Dates:Start Date", lambda g: g.get("actualDates", [{}])[0].get("startDate", "")),
    ("Actual Dates:End Date", lambda g: g.get("actualDates", [{}])[0].get("endDate", "")),
    ("Recipient Org:Identifier", lambda g: g["recipientOrganization"][0]["id"]),
    ("Recipient Org:Name", lambda g: g["recipientOrganization"][0]["name"]),
    ("Recipient Org:City", lambda g: g["recipientOrganization"][0]["addressLocality"]),
    ("Recipient Org:Country", lambda g: g["recipientOrganization"][0]["addressCountry"]),
    ("Recipient Org:Organisation Type", lambda g: g["recipientOrganization"][0]["organisationType"]),
    ("Beneficiary Location:Name", lambda g: g["beneficiaryLocation"][0]["name"]),
    ("Beneficiary Location:Country Code", lambda g: g["beneficiaryLocation"][0]["countryCode"]),
    ("Beneficiary Location:Geographic Code", lambda g: g["beneficiaryLocation"][0]["geoCode"]),
    ("Funding Org:Identifier", lambda g: g["fundingOrganization"][0]["id"]),
    ("Funding Org:Name", lambda g: g["fundingOrganization"][0]["name"]),
    ("Grant Programme:Code", lambda g: g["grantProgramme"][0]["code"]),
    ("Grant Programme:Title", lambda g: g["grantProgramme"][0]["title"]),
    ("From An Open Call?", lambda g: g["fromOpenCall"]),
    ("Classifications:Code", lambda g: ";".join(c["code"] for c in g.get("classifications", []))),
    ("Classifications:Title", lambda g: ";".join(c["title"] for c in g.get("classifications", []))),
    ("Last Modified", lambda g: g["dateModified"]),
    ("Data Source", lambda g: g["dataSource"]),
]


def safe_cell(value) -> str:
    """A spreadsheet never runs a cell as a formula: text starting with = + - @ (or a tab/CR) gets a '."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def package_csv(grants: list[dict]) -> str:
    return to_csv([title for title, _get in CSV_COLUMNS], ([get(g) for _title, get in CSV_COLUMNS] for g in grants))


# -- the catalogue as data -----------------------------------------------------------------------

CATALOGUE_COLUMNS = ["id", "url", "title", "organisation", "municipality_code", "municipality", "fund", "year",
                     "themes", "what_was_done", "for_whom", "participants", "survey_share_percent", "lessons",
                     "criteria", "published"]


def practice_url_template() -> str:
    """The absolute address of a practice's page with {} for its id (one reverse() for a whole export)."""
    return absolute(reverse("catalogue:practice_detail", args=[0])).replace("/0/", "/{}/")


def practices_for_export(queryset) -> list[Practice]:
    """The practices of `queryset` with their themes and criteria in three queries (no id lists, however many)."""
    practices = list(queryset.prefetch_related(None))
    wanted = queryset.values("pk")
    names = defaultdict(list)
    for model, field in ((Theme, "themes"), (Criterion, "criteria")):
        through = getattr(Practice, field).through
        column = f"{model._meta.model_name}__"
        rows = through.objects.filter(practice__in=wanted).select_related(model._meta.model_name).order_by(
            f"{column}position", f"{column}pk")
        for row in rows:
            names[(field, row.practice_id)].append(getattr(row, model._meta.model_name))
    for practice in practices:
        practice.export_themes = names[("themes", practice.pk)]
        practice.export_criteria = names[("criteria", practice.pk)]
    return practices


def practice_public_dict(practice: Practice, url_template: str | None = None) -> dict:
    """A published practice's shown fields (a hidden field is null, or an empty list)."""
    def shown(field, value):
        return value if getattr(practice, f"show_{field}") else None

    return {
        "id": practice.pk,
        "url": (url_template or practice_url_template()).format(practice.pk),
        "title": practice.title,
        "organisation": shown("organisation_name", practice.organisation_name or None),
        "municipality_code": shown("municipality", practice.municipality.code if practice.municipality else None),
        "municipality": shown("municipality", practice.municipality.name if practice.municipality else None),
        "fund": shown("fund", practice.fund.name if practice.fund else None),
        "year": shown("year", practice.year),
        "themes": [theme.name for theme in getattr(practice, "export_themes", None) or practice.themes.all()]
        if practice.show_themes else [],
        "what_was_done": shown("what_was_done", practice.what_was_done or None),
        "for_whom": shown("for_whom", practice.for_whom or None),
        "participants": shown("participants", practice.participants),
        "survey_share_percent": shown("survey_share", practice.survey_share),
        "lessons": shown("lessons", practice.lessons or None),
        "criteria": [criterion.name for criterion in getattr(practice, "export_criteria", None) or practice.criteria.all()]
        if practice.show_criteria else [],
        "published": timezone.localtime(practice.first_published_at).isoformat(),
    }


def catalogue_csv(practices) -> str:
    def cell(value):
        if isinstance(value, list):
            return "; ".join(value)
        return "" if value is None else value

    url_template = practice_url_template()
    rows = (practice_public_dict(p, url_template) for p in practices_for_export(practices))
    return to_csv(CATALOGUE_COLUMNS, ([cell(row[column]) for column in CATALOGUE_COLUMNS] for row in rows))
