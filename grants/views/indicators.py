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
    may_see_cases = request.user.has_perm("grants.view_all_applications")
    # The page's title and body depend on every fund (the overview) and on nothing of the user but whether the
    # figures link to the cases: stored, and served while no record they show has changed (summaries.stored).
    title, body = stored("dashboard", (get_language(), year, as_of, fund_slug, may_see_cases), fund_id=None,
                         produce=lambda: _dashboard(year, as_of, fund_slug, may_see_cases))
    return render(request, "grants/indicators.html", {"title": title, "body": body})


def _dashboard(year: int, as_of, fund_slug: str, may_see_cases: bool) -> tuple[str, str]:
    """The dashboard's title and body (HTML): every fund's targets, and every figure of the fund chosen."""
    years = sorted(set(FundYear.objects.values_list("year", flat=True)) | {today().year}, reverse=True)
    # Every fund's targets (what the overview shows), then every figure of the fund shown in full.
    overview = compute_all(year, as_of=as_of, detail=False)
    selected = next((ind for ind in overview if ind.fund.slug == fund_slug), None)
    if selected is None and overview:
        selected = overview[0]
    if selected is not None:
        selected = compute_many([selected.fund], year, as_of=as_of,
                                fund_years={selected.fund.pk: selected.fund_year})[selected.fund.pk]
    context = {
        "year": year, "years": years, "as_of": as_of, "overview": [(ind, target_rows(ind)) for ind in overview],
        "selected": selected, "may_see_cases": may_see_cases,
    }
    if selected is not None:
        fund = selected.fund
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
        context.update({
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
        })
    title = f"{gettext('Indicators')} {year}" + (f": {selected.fund.name}" if selected is not None else "")
    return title, render_to_string("grants/includes/indicators_body.html", context)


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
                  produce=lambda: _export_body(fund, year, as_of, fmt, dialect))
    name = f"indikatorer-{fund.slug}-{year}{'-excel' if dialect else ''}.{fmt}"
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _export_body(fund, year: int, as_of, fmt: str, dialect: str):
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
