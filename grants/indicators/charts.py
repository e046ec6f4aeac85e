"""Charts drawn by Potten itself: inline SVG for the pages, the same drawing for the PDF (reportlab).

A chart is first laid out as a few primitives (rectangles, lines, texts) in a box whose y axis points
down, as in SVG; `to_svg` and `to_drawing` only paint them. No JavaScript, no remote library.

The SVG is accessible: role="img", a <title> and a <desc> (referenced by aria-labelledby), and the page
shows the same numbers in a table next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

# Colours with at least 3:1 contrast against white (WCAG 1.4.11); series also differ by shape and dash.
BAR = "#5f8fa1"  # 3.5:1 on white
LINE = "#00536b"
TARGET = "#8a4b00"
AXIS = "#4a525c"
INK = "#1b1f24"


@dataclass
class Prim:
    kind: str  # rect, line, polyline, circle, text
    attrs: dict = field(default_factory=dict)


@dataclass
class Chart:
    width: int
    height: int
    title: str
    desc: str
    prims: list[Prim]
    legend: list[tuple[str, str, str]]  # (kind, colour, label)


def nice_max(value: float) -> int:
    """A round top for the y axis, at least 1."""
    if value <= 5:
        return max(1, math.ceil(value))
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return int(math.ceil(top))
    return int(math.ceil(value))


def ticks(top: int) -> list[int]:
    step = max(1, top // 5 if top > 5 else 1)
    while top / step > 6:
        step += 1
    return list(range(0, top + 1, step))


def monthly_cumulative(*, title: str, desc: str, per_month: list[int | None], target: int,
                       month_labels: list[str], labels: dict, width: int = 640, height: int = 300) -> Chart:
    """Bars per month, the cumulative line, and the target line (straight from 0 in January to the
    target at the end of December). Months still to come (None) are left empty."""
    cumulative, total = [], 0
    for value in per_month:
        if value is None:
            cumulative.append(None)
        else:
            total += value
            cumulative.append(total)
    known = [v for v in cumulative if v is not None]
    top = nice_max(max([target, *known, *[v for v in per_month if v is not None], 1]))
    left, right, upper, lower = 44, 12, 14, 34
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / 12

    def y(value: float) -> float:
        return round(upper + plot_h - plot_h * value / top, 1)

    prims: list[Prim] = []
    for tick in ticks(top):
        prims.append(Prim("line", {"x1": left, "y1": y(tick), "x2": width - right, "y2": y(tick),
                                   "stroke": "#d5d9dd", "stroke-width": 1}))
        prims.append(Prim("text", {"x": left - 6, "y": y(tick) + 4, "text": str(tick), "anchor": "end", "size": 11}))
    for index, value in enumerate(per_month):
        x = left + index * slot
        if value:
            prims.append(Prim("rect", {"x": round(x + slot * 0.2, 1), "y": y(value), "width": round(slot * 0.6, 1),
                                       "height": round(plot_h * value / top, 1), "fill": BAR}))
        prims.append(Prim("text", {"x": round(x + slot / 2, 1), "y": height - lower + 16, "text": month_labels[index],
                                   "anchor": "middle", "size": 11}))
    if target:
        prims.append(Prim("line", {"x1": left, "y1": y(0), "x2": width - right, "y2": y(target), "stroke": TARGET,
                                   "stroke-width": 2, "stroke-dasharray": "6 4"}))
    points = [(round(left + (i + 1) * slot, 1), y(v)) for i, v in enumerate(cumulative) if v is not None]
    if points:
        points = [(left, y(0)), *points]
        prims.append(Prim("polyline", {"points": points, "stroke": LINE, "stroke-width": 3, "fill": "none"}))
        for px, py in points[1:]:
            prims.append(Prim("circle", {"cx": px, "cy": py, "r": 3.5, "fill": LINE}))
    prims.append(Prim("line", {"x1": left, "y1": y(0), "x2": width - right, "y2": y(0), "stroke": AXIS,
                               "stroke-width": 1.5}))
    prims.append(Prim("line", {"x1": left, "y1": upper, "x2": left, "y2": y(0), "stroke": AXIS, "stroke-width": 1.5}))
    legend = [("rect", BAR, labels["per_month"]), ("line", LINE, labels["cumulative"])]
    if target:
        legend.append(("dash", TARGET, labels["target"]))
    return Chart(width=width, height=height, title=title, desc=desc, prims=prims, legend=legend)


# -- painting -------------------------------------------------------------------------------------------

def to_svg(chart: Chart, *, element_id: str) -> str:
    """The chart as an inline <svg> element (a string to mark safe: every text is escaped here)."""
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id={quoteattr(element_id)} class="chart" role="img" '
           f'viewBox="0 0 {chart.width} {chart.height}" width="100%" preserveAspectRatio="xMinYMin meet" '
           f'aria-labelledby="{title_id} {desc_id}">',
           f'<title id="{title_id}">{escape(chart.title)}</title>',
           f'<desc id="{desc_id}">{escape(chart.desc)}</desc>']
    for prim in chart.prims:
        a = prim.attrs
        if prim.kind == "rect":
            out.append(f'<rect x="{a["x"]}" y="{a["y"]}" width="{a["width"]}" height="{a["height"]}" fill="{a["fill"]}"/>')
        elif prim.kind == "line":
            dash = f' stroke-dasharray="{a["stroke-dasharray"]}"' if "stroke-dasharray" in a else ""
            out.append(f'<line x1="{a["x1"]}" y1="{a["y1"]}" x2="{a["x2"]}" y2="{a["y2"]}" stroke="{a["stroke"]}" '
                       f'stroke-width="{a["stroke-width"]}"{dash}/>')
        elif prim.kind == "polyline":
            points = " ".join(f"{x},{y}" for x, y in a["points"])
            out.append(f'<polyline points="{points}" fill="none" stroke="{a["stroke"]}" '
                       f'stroke-width="{a["stroke-width"]}" stroke-linejoin="round"/>')
        elif prim.kind == "circle":
            out.append(f'<circle cx="{a["cx"]}" cy="{a["cy"]}" r="{a["r"]}" fill="{a["fill"]}"/>')
        elif prim.kind == "text":
            anchor = {"end": "end", "middle": "middle"}.get(a.get("anchor"), "start")
            out.append(f'<text x="{a["x"]}" y="{a["y"]}" font-size="{a["size"]}" text-anchor="{anchor}" '
                       f'fill="{INK}" aria-hidden="true">{escape(a["text"])}</text>')
    out.append("</svg>")
    return "".join(out)


def to_drawing(chart: Chart, *, scale: float = 0.72):
    """The chart as a reportlab Drawing (for the PDF), with its legend underneath."""
    legend_h = 18
    h = chart.height
    drawing = Drawing(chart.width * scale, (h + legend_h) * scale)

    def fy(value):  # SVG's y (down) to reportlab's (up), above the legend
        return (h - value + legend_h) * scale

    for prim in chart.prims:
        a = prim.attrs
        if prim.kind == "rect":
            drawing.add(Rect(a["x"] * scale, fy(a["y"] + a["height"]), a["width"] * scale, a["height"] * scale,
                             fillColor=colors.HexColor(a["fill"]), strokeColor=None))
        elif prim.kind == "line":
            line = Line(a["x1"] * scale, fy(a["y1"]), a["x2"] * scale, fy(a["y2"]),
                        strokeColor=colors.HexColor(a["stroke"]), strokeWidth=a["stroke-width"] * scale)
            if "stroke-dasharray" in a:
                line.strokeDashArray = [float(v) * scale for v in a["stroke-dasharray"].split()]
            drawing.add(line)
        elif prim.kind == "polyline":
            flat = []
            for x, y in a["points"]:
                flat += [x * scale, fy(y)]
            drawing.add(PolyLine(flat, strokeColor=colors.HexColor(a["stroke"]), strokeWidth=a["stroke-width"] * scale))
        elif prim.kind == "circle":
            drawing.add(Circle(a["cx"] * scale, fy(a["cy"]), a["r"] * scale, fillColor=colors.HexColor(a["fill"]),
                               strokeColor=None))
        elif prim.kind == "text":
            anchor = {"end": "end", "middle": "middle"}.get(a.get("anchor"), "start")
            drawing.add(String(a["x"] * scale, fy(a["y"]), a["text"], fontName="Helvetica", fontSize=a["size"] * scale,
                               textAnchor=anchor, fillColor=colors.HexColor(INK)))
    x = 44 * scale
    for kind, colour, label in chart.legend:
        c = colors.HexColor(colour)
        if kind == "rect":
            drawing.add(Rect(x, 4 * scale, 12 * scale, 10 * scale, fillColor=c, strokeColor=None))
        else:
            line = Line(x, 9 * scale, x + 14 * scale, 9 * scale, strokeColor=c, strokeWidth=2.5 * scale)
            if kind == "dash":
                line.strokeDashArray = [4 * scale, 3 * scale]
            drawing.add(line)
        drawing.add(String(x + 18 * scale, 5 * scale, label, fontName="Helvetica", fontSize=10 * scale,
                           fillColor=colors.HexColor(INK)))
        x += (26 + 5.6 * len(label)) * scale
    return drawing
