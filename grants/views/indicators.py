"""The indicator dashboard and its exports, for everyone with grants.view_indicators
(case officers, project secretaries and the steering group)."""

import json
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from grants.excel_csv import to_excel_csv
from grants.indicators import charts
from grants.indicators.compute import compute, compute_all, compute_many
from grants.indicators.definitions import PIPELINE_STAGES, today
from grants.indicators.exports import (
    CHARTS, chart_for, fmt_int, monthly_rows, sections, target_rows, to_csv, to_pdf, to_xlsx,
)
from grants.indicators.records import DRILL_DOWN
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
    years = sorted(set(FundYear.objects.values_list("year", flat=True)) | {today().year}, reverse=True)
    # Every fund's targets (what the overview shows), then every figure of the fund shown in full.
    overview = compute_all(year, as_of=as_of, detail=False)
    selected = next((ind for ind in overview if ind.fund.slug == request.GET.get("fund")), None)
    if selected is None and overview:
        selected = overview[0]
    if selected is not None:
        selected = compute_many([selected.fund], year, as_of=as_of,
                                fund_years={selected.fund.pk: selected.fund_year})[selected.fund.pk]
    may_see_cases = request.user.has_perm("grants.view_all_applications")
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
    return render(request, "grants/indicators.html", context)


@login_required
def export(request, slug: str, year: int, fmt: str):
    _require_indicators(request.user)
    if fmt not in EXPORTS or not 2000 <= year <= 2100:
        raise Http404
    fund = Fund.objects.filter(slug=slug).first()
    if fund is None:
        raise Http404
    as_of = _as_of(request)
    indicators = compute(fund, year, as_of=as_of)
    name = f"indikatorer-{fund.slug}-{year}.{fmt}"
    if fmt == "csv" and request.GET.get("dialect") == "excel":
        body = to_excel_csv(indicators)
        name = f"indikatorer-{fund.slug}-{year}-excel.csv"
    elif fmt == "csv":
        body = to_csv(indicators)
    elif fmt == "xlsx":
        body = to_xlsx(indicators)
    elif fmt == "pdf":
        before = compute_many([fund], year - 1, as_of=min(indicators.as_of, date(year - 1, 12, 31)),
                              comparison=True)[fund.pk]
        body = to_pdf([indicators], year=year, previous={fund.pk: before})
    else:
        body = json.dumps(indicators.as_json(), indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
