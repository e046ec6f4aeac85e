"""The indicators as people read them: tables, charts, and the CSV, Excel and PDF exports.

Everything here is drawn from one `grants.indicators.Indicators`; nothing is counted again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from common.formatting import money
from grants.indicators import charts
from grants.indicators.definitions import (
    AMOUNT_LABELS, APPLICATION_LABELS, BUDGET_LABELS, ENDED_LABELS, MEASURED_STAGES, PARTICIPANT_LABELS,
    STAGE_LABELS, STATUS_LABELS, SURVEY_TARGET, TRAINER_LABELS, days_in_month,
)
from grants.indicators.results import Indicators
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


# -- flat figures for CSV, Excel and the PDF -------------------------------------------------------------

def flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    """The JSON shape as (dotted key, value) rows, in order: what the CSV export prints."""
    rows = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += flatten(value, f"{dotted}.")
        else:
            rows.append((dotted, value))
    return rows


def csv_rows(indicators: Indicators) -> list[list]:
    """Header and one row per figure: fund, year, indicator (the JSON's dotted key), value."""
    data = indicators.as_json()
    rows = [["fund", "year", "indicator", "value"]]
    for key, value in flatten({k: v for k, v in data.items() if k not in ("fund", "year")}):
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        rows.append([data["fund"], data["year"], key, value])
    return rows


# -- formatting ------------------------------------------------------------------------------------------

def fmt_int(value) -> str:
    return number_format(value, decimal_pos=0, force_grouping=True)


def fmt_kr(value) -> str:
    return money(value)


def fmt_percent(value) -> str:
    return "–" if value is None else f"{number_format(value, decimal_pos=1)} %"


def fmt_days(value) -> str:
    return "–" if value is None else number_format(value, decimal_pos=1)


def fmt_forecast(value) -> str:
    return number_format(value, decimal_pos=1)


def fmt_met(value) -> str:
    if value is None:
        return _("Not assessable")
    return _("Met") if value else _("Not met")


@dataclass
class Row:
    key: str  # the JSON's dotted key
    label: str
    value: object  # the raw value (numbers stay numbers in Excel)
    text: str  # as shown
    previous: object = None  # the same figure the year before, when asked for
    previous_text: str = ""


def sections(ind: Indicators, previous: Indicators | None = None) -> list[tuple[str, list[Row]]]:
    """The figures in the order they are shown, in the active language; with `previous` (the year before),
    each row carries the same figure of that year (`Row.previous`, `Row.previous_text`)."""
    result = _sections(ind)
    if previous is not None:
        before = {row.key: row for _title, rows in _sections(previous) for row in rows}
        for _title, rows in result:
            for row in rows:
                if row.key in before:  # a year without a fund year has no budget
                    row.previous, row.previous_text = before[row.key].value, before[row.key].text
                else:
                    row.previous, row.previous_text = None, "–"
    return result


def _sections(ind: Indicators) -> list[tuple[str, list[Row]]]:
    pb, tb = ind.participant_balance, ind.trainer_balance
    balance_rows = [
        Row("actuals.gender_balance.participants.women_percent", _("Participants: women (% of women and men)"),
            pb.women_percent, fmt_percent(pb.women_percent)),
        Row("actuals.gender_balance.participants.men_percent", _("Participants: men (% of women and men)"),
            pb.men_percent, fmt_percent(pb.men_percent)),
        Row("actuals.gender_balance.participants.met", _("Participants: 40/60 balance"), pb.met, fmt_met(pb.met)),
        Row("actuals.gender_balance.trainers.women_percent", _("Trainers: women (% of women and men)"),
            tb.women_percent, fmt_percent(tb.women_percent)),
        Row("actuals.gender_balance.trainers.men_percent", _("Trainers: men (% of women and men)"),
            tb.men_percent, fmt_percent(tb.men_percent)),
        Row("actuals.gender_balance.trainers.met", _("Trainers: 40/60 balance"), tb.met, fmt_met(tb.met)),
    ]
    survey = ind.survey
    result = [
        (_("Applications"), [Row(f"actuals.applications.{key}", str(label), ind.applications[key],
                                 fmt_int(ind.applications[key])) for key, label in APPLICATION_LABELS.items()]),
        (_("Money in the year"), [Row(f"actuals.amounts.{key}", str(label), ind.amounts[key], fmt_kr(ind.amounts[key]))
                                  for key, label in AMOUNT_LABELS.items()]),
        (_("Grants ended without being carried out"), [
            Row(f"actuals.ended.{key}", str(label), ind.ended[key],
                fmt_int(ind.ended[key]) if key == "grants" else fmt_kr(ind.ended[key]))
            for key, label in ENDED_LABELS.items()]),
    ]
    if ind.budget is not None:
        result.append((_("Budget %(year)s (the fund year's balance)") % {"year": ind.year}, [
            Row(f"budget.{key}", str(label), ind.budget[key], fmt_kr(ind.budget[key]))
            for key, label in BUDGET_LABELS.items()]))
    result += [
        (_("Participants and trainers"),
         [Row(f"actuals.participants.{key}", str(label), ind.participants[key], fmt_int(ind.participants[key]))
          for key, label in PARTICIPANT_LABELS.items()]
         + [Row(f"actuals.trainers.{key}", str(label), ind.trainers[key], fmt_int(ind.trainers[key]))
            for key, label in TRAINER_LABELS.items()]),
        (_("Gender balance (40/60)"), balance_rows),
        (_("Survey indicator"), [
            Row("actuals.survey.reports", _("Carried-out projects with an approved final report"), survey["reports"],
                fmt_int(survey["reports"])),
            Row("actuals.survey.participants", _("Their participants"), survey["participants"],
                fmt_int(survey["participants"])),
            Row("actuals.survey.percent", _("Share of the participants reporting increased knowledge"),
                survey["percent"], fmt_percent(survey["percent"])),
            Row("actuals.survey.projects_meeting_target",
                _("Projects where at least %(share)s %% report increased knowledge") % {"share": SURVEY_TARGET},
                survey["projects_meeting_target"], fmt_int(survey["projects_meeting_target"])),
            Row("actuals.survey.projects_percent", _("Share of the projects where at least %(share)s %% report "
                                                     "increased knowledge") % {"share": SURVEY_TARGET},
                survey["projects_percent"], fmt_percent(survey["projects_percent"])),
        ]),
        (_("Median days per stage"), [
            Row(f"actuals.median_days.{key}", str(STAGE_LABELS[key]), ind.median_days[key],
                fmt_days(ind.median_days[key]))
            for key in [s.value for s in MEASURED_STAGES] + ["submission_to_decision"]
        ]),
    ]
    return result


def target_rows(ind: Indicators) -> list[dict]:
    """The targets as shown: counts as whole numbers, shares (40/60, survey) in per cent."""
    rows = []
    for key, t in ind.targets.items():
        share = t.kind == "share"
        fmt = fmt_percent if share else fmt_int
        expected, forecast, status = t.expected_by_now, t.forecast, t.status  # each computed once
        rows.append({
            "key": key, "kind": t.kind, "label": str(t.label), "target": t.target, "actual": t.actual,
            "target_text": fmt(t.target) if t.target else "–", "actual_text": fmt(t.actual) if t.actual is not None
            else _("Not assessable"),
            "expected_by_now": expected, "forecast": forecast,
            "expected_text": fmt_percent(expected) if share else fmt_forecast(expected),
            "forecast_text": (fmt_percent(forecast) if share else fmt_forecast(forecast)),
            "status": status, "status_label": str(STATUS_LABELS[status]), "met": t.met,
            "rate": getattr(t, "rate", None), "pipeline": getattr(t, "pipeline", None),
        })
    return rows


def month_names(short: bool = True) -> list[str]:
    names = MONTHS_3 if short else MONTHS
    return [capfirst(str(names[m])) for m in range(1, 13)]


def monthly_rows(ind: Indicators, key: str, target: int) -> list[dict]:
    """Per month: the count, the running total and the target line's value at the end of the month."""
    rows, total = [], 0
    year_days = (date(ind.year + 1, 1, 1) - date(ind.year, 1, 1)).days
    for index, value in enumerate(ind.per_month[key]):
        if value is not None:
            total += value
        days = (date(ind.year, index + 1, days_in_month(ind.year, index + 1)) - date(ind.year, 1, 1)).days + 1
        rows.append({"month": month_names(short=False)[index], "count": value,
                     "cumulative": total if value is not None else None,
                     "target": round(target * days / year_days, 1) if target else None})
    return rows


CHARTS = (
    # (per_month key, the target it is measured against)
    ("received", "applications"),
    ("carried_out", "carried_out"),
)


def chart_title(ind: Indicators, key: str) -> str:
    if key == "received":
        return _("Applications received per month, %(fund)s %(year)s") % {"fund": ind.fund.name, "year": ind.year}
    return _("Projects carried out per month, %(fund)s %(year)s") % {"fund": ind.fund.name, "year": ind.year}


def chart_for(ind: Indicators, key: str, target_key: str) -> charts.Chart:
    target = ind.targets[target_key].target
    values = ind.per_month[key]
    total = sum(v for v in values if v is not None)
    if target:
        desc = _("Bars: the number per month. Line: the running total, %(total)s so far. Dashed line: the "
                 "target of %(target)s, reached evenly over the year. The table below has the same numbers.") % {
            "total": total, "target": target}
    else:
        desc = _("Bars: the number per month. Line: the running total, %(total)s so far. No target is set. "
                 "The table below has the same numbers.") % {"total": total}
    return charts.monthly_cumulative(
        title=chart_title(ind, key), desc=desc, per_month=values, target=target, month_labels=month_names(),
        labels={"per_month": _("Per month"), "cumulative": _("Running total"), "target": _("Target line")},
    )


# -- CSV, Excel -------------------------------------------------------------------------------------------

def to_csv(ind: Indicators) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv_rows(ind))
    return out.getvalue()


def to_xlsx(ind: Indicators) -> bytes:
    """A workbook: the figures (label, key, value) and the figures per month."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Indicators")[:31]
    bold = Font(bold=True)
    sheet.append([f"{ind.fund.name} {ind.year}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("As of %(date)s") % {"date": ind.as_of.isoformat()}])
    sheet.append([])
    sheet.append([_("Target"), _("Goal"), _("Actual"), _("Expected by now"), _("Forecast for the year"), _("Status")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in target_rows(ind):
        if row["kind"] == "share":  # per cent: the numbers as numbers, "not assessable" as text
            sheet.append([row["label"], row["target"], row["actual"] if row["actual"] is not None
                          else row["actual_text"], row["expected_by_now"], row["forecast"], row["status_label"]])
        else:
            sheet.append([row["label"], row["target"], row["actual"], row["expected_by_now"], row["forecast"],
                          row["status_label"]])
    sheet.append([])
    sheet.append([_("Section"), _("Indicator"), _("Value"), _("Key")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for title, rows in sections(ind):
        for row in rows:
            value = row.value
            if isinstance(value, bool) or value is None:
                value = row.text
            sheet.append([title, row.label, value, row.key])
            if isinstance(row.value, Decimal):
                sheet.cell(row=sheet.max_row, column=3).number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 58
    sheet.column_dimensions["C"].width = 16
    sheet.column_dimensions["D"].width = 50

    months = book.create_sheet(_("Per month")[:31])
    applications, carried = ind.targets["applications"].target, ind.targets["carried_out"].target
    months.append([_("Month"), _("Applications received"), _("Running total"), _("Target line"),
                   _("Granted"), _("Carried out"), _("Running total"), _("Target line")])
    for cell in months[1]:
        cell.font = bold
    received = monthly_rows(ind, "received", applications)
    done = monthly_rows(ind, "carried_out", carried)
    for index in range(12):
        months.append([received[index]["month"], received[index]["count"], received[index]["cumulative"],
                       received[index]["target"], ind.per_month["granted"][index], done[index]["count"],
                       done[index]["cumulative"], done[index]["target"]])
    months.column_dimensions["A"].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- the PDF, in Swedish ------------------------------------------------------------------------------------

def to_pdf(indicators: list[Indicators], *, year: int, previous: dict | None = None) -> bytes:
    """The yearly report: per fund the targets, the tables and the charts, each figure beside the same figure
    of the year before (`previous`: {fund id: that year's Indicators}). Always in Swedish."""
    previous = previous or {}
    with translation.override("sv"):
        styles = getSampleStyleSheet()
        body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=10, leading=13)
        small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor="#444444")
        h1 = ParagraphStyle("h1", parent=styles["Heading1"], fontName="Helvetica-Bold", fontSize=18)
        h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontName="Helvetica-Bold", fontSize=14)
        h3 = ParagraphStyle("h3", parent=styles["Heading3"], fontName="Helvetica-Bold", fontSize=11)
        table_style = TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), "Helvetica"), ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("BACKGROUND", (0, 0), (-1, 0), "#f3f5f7"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, "#c7ccd1"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ])

        def table(rows, widths):
            return Table(rows, colWidths=[w * mm for w in widths], style=table_style, repeatRows=1)

        as_of = indicators[0].as_of if indicators else timezone.localdate()
        story = [
            Paragraph(_("Indicator report %(year)s") % {"year": year}, h1),
            Paragraph(escape(_("Funds: %(funds)s. Figures as of %(date)s; made by Potten on %(today)s.") % {
                "funds": ", ".join(ind.fund.name for ind in indicators) or "–",
                "date": date_format(as_of, "j F Y"), "today": date_format(timezone.localdate(), "j F Y")}), body),
            Paragraph(escape(_(
                "Each figure counts in the year it happened: received by the date of submission (ineligible and "
                "withdrawn applications too), granted by the day the grant took effect (the second approval when "
                "one is needed), carried out by the date the final report was approved, paid by the payment date "
                "less what was paid back. Returned to the fund: unspent money of closed cases and lowered grants, "
                "and repayments received. Available = Budget − (Committed + Paid). The 40/60 balance is measured on "
                "the women and men among the participants and the trainers; other or not stated are left out of "
                "it. The survey share is the share of all participants who report increased knowledge.")), small),
        ]
        for position, ind in enumerate(indicators):
            if position:
                story.append(PageBreak())
            story += [Spacer(1, 4 * mm), Paragraph(escape(f"{ind.fund.name} {ind.year}"), h2)]
            before = previous.get(ind.fund.pk)
            rows = [[_("Target"), _("Goal"), _("Actual"), _("Expected by now"), _("Forecast"), _("Status")]]
            for row in target_rows(ind):
                rows.append([Paragraph(escape(row["label"]), body), row["target_text"], row["actual_text"],
                             row["expected_text"], row["forecast_text"], row["status_label"]])
            story.append(table(rows, [50, 16, 18, 26, 22, 28]))
            for key, target_key in CHARTS:
                chart = chart_for(ind, key, target_key)
                story.append(KeepTogether([Paragraph(escape(chart.title), h3), charts.to_drawing(chart)]))
            for title, section_rows in sections(ind, before):
                if before is None:
                    rows = [[title, _("Value")]] + [[Paragraph(escape(r.label), body), r.text] for r in section_rows]
                    widths = [125, 35]
                else:
                    rows = [[title, str(ind.year), str(before.year)]] + [
                        [Paragraph(escape(r.label), body), r.text, r.previous_text] for r in section_rows]
                    widths = [100, 30, 30]
                story.append(KeepTogether([Spacer(1, 3 * mm), table(rows, widths)]))
            rows = [[_("Month"), _("Received"), _("Running total"), _("Granted"), _("Carried out"),
                     _("Running total")]]
            received = monthly_rows(ind, "received", ind.targets["applications"].target)
            done = monthly_rows(ind, "carried_out", ind.targets["carried_out"].target)
            for index in range(12):
                cells = [received[index]["count"], received[index]["cumulative"], ind.per_month["granted"][index],
                         done[index]["count"], done[index]["cumulative"]]
                rows.append([received[index]["month"], *["–" if c is None else fmt_int(c) for c in cells]])
            story.append(KeepTogether([Spacer(1, 3 * mm), Paragraph(_("Per month"), h3),
                                       table(rows, [30, 24, 28, 24, 26, 28])]))
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                                bottomMargin=18 * mm, title=_("Indicator report %(year)s") % {"year": year},
                                author="Potten", lang="sv-SE")
        doc.build(story)
        return buffer.getvalue()
