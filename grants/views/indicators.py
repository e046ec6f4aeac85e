"""The indicator dashboard and its exports, for everyone with grants.view_indicators
(case officers, project secretaries and the steering group)."""

import json
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from grants.excel_csv import to_excel_csv
from grants.indicators import charts
from grants.indicators.compute import compute, compute_all, compute_many
from grants.indicators.definitions import PIPELINE_STAGES, today
from grants.indicators.exports import (
    CHARTS, chart_for, fmt_int, monthly_rows, sections, target_rows, to_csv, to_pdf, to_xlsx,
)
from grants.indicators.glance import glance_html
from grants.indicators.records import DRILL_DOWN
from grants.indicators.summaries import stored
from grants.models import Application, Fund, FundYear

EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}


def _require_indicators(user):
    if not user.has_perm("grants.view_indicators"):
        raise PermissionDenied


def case_list_link(fund, status=None, *, indicator=None) -> str:
    """The staff case list filtered on the fund and a stage or the cases behind an indicator
    (workflows/overview.py reads ?fund=<pk>&stage=<status>&indicator=<key>:<year>[:<as-of>])."""
    params = {"fund": fund.pk}
    if status:
        params["stage"] = status
    if indicator:
        params["indicator"] = indicator
    return f"{reverse('workflows:case_list')}?{urlencode(params)}"


def _as_of(request):
    """?as_of=YYYY-MM-DD: the figures as the records stood at the end of that day (default today)."""
    try:
        as_of = date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return None
    return as_of if date(2000, 1, 1) <= as_of <= today() else None


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today().year
    return year if 2000 <= year <= 2100 else today().year


@login_required
def dashboard(request):
    _require_indicators(request.user)
    year = _year(request)
    as_of = _as_of(request)
    fund_slug = (request.GET.get("fund") or "")[:200]
    if fund_slug and not Fund.objects.filter(slug=fund_slug).exists():
        fund_slug = ""  # an unknown fund shows the first, as none does (and stores nothing more)
    may_see_cases = request.user.has_perm("grants.view_all_applications")
    # The page is two parts, each stored and served while no record it shows has changed (summaries.stored): the
    # overview of every fund (made stale by a change in any fund) and the fund shown (only by a change in it).
    # Neither depends on the user but for whether the figures link to the cases.
    language = get_language()
    overview, selected_id = stored("dashboard overview", (language, year, as_of, fund_slug), fund_id=None,
                                   produce=lambda: _overview_part(year, as_of, fund_slug))
    title, fund_part = (stored("dashboard fund", (language, year, as_of, may_see_cases), fund_id=selected_id,
                               produce=lambda: _fund_part(selected_id, year, as_of, may_see_cases))
                        if selected_id is not None else (f"{gettext('Indicators')} {year}", ""))
    return render(request, "grants/indicators.html", {"title": title, "body": overview + fund_part})


def _dashboard(year: int, as_of, fund_slug: str, may_see_cases: bool) -> tuple[str, str]:
    """The dashboard's title and body (HTML) as computed now: every fund's targets, and every figure of the fund
    chosen (the first one when none or an unknown one is asked for)."""
    overview, selected_id = _overview_part(year, as_of, fund_slug)
    if selected_id is None:
        return f"{gettext('Indicators')} {year}", overview
    title, fund_part = _fund_part(selected_id, year, as_of, may_see_cases)
    return title, overview + fund_part


def _overview_part(year: int, as_of, fund_slug: str) -> tuple[str, int | None]:
    """The dashboard's heading, its form and every fund's targets (HTML), and the id of the fund shown in full."""
    years = sorted(set(FundYear.objects.values_list("year", flat=True)) | {today().year}, reverse=True)
    overview = compute_all(year, as_of=as_of, detail=False)
    selected = next((ind for ind in overview if ind.fund.slug == fund_slug), overview[0] if overview else None)
    selected_id = selected.fund.pk if selected is not None else None
    rows = [(ind, target_rows(ind)) for ind in overview]
    html = render_to_string("grants/includes/indicators_overview.html", {
        "year": year, "years": years, "as_of": as_of, "overview": rows, "glance": glance_html(rows, year),
        "selected_id": selected_id})
    return html, selected_id


def _fund_part(fund_id: int, year: int, as_of, may_see_cases: bool) -> tuple[str, str]:
    """The page's title and every figure of one fund in the year (HTML), with the year before beside them."""
    fund = Fund.objects.filter(pk=fund_id).first()
    if fund is None:  # removed since the overview was read
        return f"{gettext('Indicators')} {year}", ""
    selected = compute_many([fund], year, as_of=as_of)[fund.pk]
    labels = dict(Application.Status.choices)
    as_of_text = f":{as_of.isoformat()}" if as_of else ""
    # The year before, for the comparison column (the same fixed number of queries; only what it shows).
    previous = compute_many([fund], year - 1, as_of=min(selected.as_of, date(year - 1, 12, 31)),
                            comparison=True)[fund.pk]
    sections_shown = sections(selected, previous)
    for _title, rows in sections_shown:
        for row in rows:
            key = row.key.removeprefix("actuals.applications.")
            row.link = (case_list_link(fund, indicator=f"{key}:{year}{as_of_text}")
                        if may_see_cases and key in DRILL_DOWN and row.key.startswith("actuals.applications.")
                        else "")
    targets = target_rows(selected)
    for row in targets:
        key = {"applications": "received", "carried_out": "carried_out",
               "collaboration_projects": "collaboration_projects"}.get(row["key"])
        row["link"] = case_list_link(fund, indicator=f"{key}:{year}{as_of_text}") if may_see_cases and key else ""
    query = {"year": year, "fund": fund.slug, **({"as_of": as_of.isoformat()} if as_of else {})}
    context = {
        "year": year, "as_of": as_of, "selected": selected, "may_see_cases": may_see_cases,
        "targets": targets,
        "previous_year": year - 1,
        "sections": sections_shown,
        "charts": [{
            "id": f"chart-{key}",
            "chart": (chart := chart_for(selected, key, target_key)),
            "svg": mark_safe(charts.to_svg(chart, element_id=f"chart-{key}")),  # every text escaped in to_svg
            "rows": monthly_rows(selected, key, selected.targets[target_key].target),
        } for key, target_key in CHARTS],
        "pipeline": [{
            "status": status, "label": labels[status], "count": selected.pipeline[status],
            "text": fmt_int(selected.pipeline[status]),
            "link": case_list_link(fund, status) if may_see_cases else "",
        } for status in PIPELINE_STAGES],
        "pipeline_total": sum(selected.pipeline.values()),
        "fund_cases_link": case_list_link(fund) if may_see_cases else "",
        "budget_link": reverse("grants:fund_budget", args=[selected.fund_year.pk]) if selected.fund_year else "",
        "exports": [(fmt, reverse("grants:indicators_export", args=[fund.slug, year, fmt])
                     + (f"?as_of={as_of.isoformat()}" if as_of else "")) for fmt in EXPORTS],
        "query": urlencode(query),
    }
    title = f"{gettext('Indicators')} {year}: {fund.name}"
    return title, render_to_string("grants/includes/indicators_fund.html", context)


@login_required
def export(request, slug: str, year: int, fmt: str):
    _require_indicators(request.user)
    if fmt not in EXPORTS or not 2000 <= year <= 2100:
        raise Http404
    fund = Fund.objects.filter(slug=slug).first()
    if fund is None:
        raise Http404
    as_of = _as_of(request)
    dialect = "excel" if fmt == "csv" and request.GET.get("dialect") == "excel" else ""
    # Stored, and served while no record of the fund has changed (summaries.stored).
    body = stored("export", (get_language(), fmt, dialect, year, as_of), fund_id=fund.pk,
                  produce=lambda: _export_body(fund.pk, year, as_of, fmt, dialect))
    name = f"indikatorer-{fund.slug}-{year}{'-excel' if dialect else ''}.{fmt}"
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _export_body(fund_id: int, year: int, as_of, fmt: str, dialect: str):
    # The fund read again: what is stored must be read after the snapshot it is stored with (summaries.stored).
    fund = Fund.objects.filter(pk=fund_id).first()
    if fund is None:  # removed meanwhile
        raise Http404
    indicators = compute(fund, year, as_of=as_of)
    if dialect == "excel":
        return to_excel_csv(indicators)
    if fmt == "csv":
        return to_csv(indicators)
    if fmt == "xlsx":
        return to_xlsx(indicators)
    if fmt == "pdf":
        before = compute_many([fund], year - 1, as_of=min(indicators.as_of, date(year - 1, 12, 31)),
                              comparison=True)[fund.pk]
        return to_pdf([indicators], year=year, previous={fund.pk: before})
    return json.dumps(indicators.as_json(), indent=2, ensure_ascii=False) + "\n"
