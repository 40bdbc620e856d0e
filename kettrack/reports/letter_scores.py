"""The outcome scores a letter shows: a table of the sessions' scores before and after each session,
and a small chart of the scores over time."""

from __future__ import annotations

from datetime import date

from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from kettrack.core.appeal import ScorePoint
from kettrack.reports import fonts
from kettrack.reports.page import ACCENT, MUTED, RULE, SHADE

MAX_TABLE_ROWS = 12
_SERIES = (
    ("phq9", "PHQ-9 (0-27)", colors.HexColor("#2f6f8f")),
    ("gad7", "GAD-7 (0-21)", colors.HexColor("#8f5f2f")),
    ("pain", "Pain (0-10)", colors.HexColor("#6f8f2f")),
)


def table_points(scores: tuple[ScorePoint, ...], most: int = MAX_TABLE_ROWS) -> list[ScorePoint]:
    """The points the table lists: all of them, or ``most`` spread evenly from the first to the latest
    (a year of weekly sessions would fill pages; the chart shows every point)."""
    ordered = sorted(scores, key=lambda p: p.day)
    if len(ordered) <= most:
        return ordered
    picks = sorted({round(i * (len(ordered) - 1) / (most - 1)) for i in range(most)})
    return [ordered[i] for i in picks]


def score_table(scores: tuple[ScorePoint, ...], width: float) -> Table:
    """Dates and, for each measure recorded, the score before the session and after it (columns never
    filled in are left out)."""
    ordered = table_points(scores)
    columns: list[tuple[str, str]] = []  # (attribute, heading)
    for attribute, name, _ in _SERIES:
        short = name.split(" ")[0]
        if any(getattr(p, attribute) is not None for p in ordered):
            columns.append((attribute, f"{short} before"))
        if any(getattr(p, f"{attribute}_after") is not None for p in ordered):
            columns.append((f"{attribute}_after", f"{short} after"))
    rows: list[list[str]] = [["Date", *(heading for _, heading in columns)]]
    for point in ordered:
        values = (getattr(point, attribute) for attribute, _ in columns)
        rows.append([point.day.isoformat(), *("" if v is None else str(v) for v in values)])
    column = width * 0.75 / max(len(columns), 1)
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 8),
            ("FONT", (0, 0), (-1, 0), fonts.BOLD, 8),
            ("TEXTCOLOR", (0, 0), (-1, 0), ACCENT),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ]
    )
    return Table(
        rows, colWidths=[width * 0.25, *([column] * len(columns))], repeatRows=1, style=style, hAlign="LEFT"
    )


def score_chart(scores: tuple[ScorePoint, ...], width: float, height: float = 55 * mm) -> Drawing | None:
    """Scores over time, one line per measure recorded at least twice."""
    ordered = sorted(scores, key=lambda p: p.day)
    if len(ordered) < 2:
        return None
    origin = ordered[0].day
    series, names, tints = [], [], []
    for attribute, name, tint in _SERIES:
        points = [
            ((p.day - origin).days, getattr(p, attribute))
            for p in ordered
            if getattr(p, attribute) is not None
        ]
        if len(points) >= 2:
            series.append(points)
            names.append(name)
            tints.append(tint)
    if not series:
        return None
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 30, 30, int(width - 150), int(height - 42)
    plot.data = series
    span = (ordered[-1].day - origin).days
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(span, 1)
    # Five dated ticks from the first session to the latest, so both ends are labelled.
    plot.xValueAxis.valueSteps = sorted({round(span * i / 4) for i in range(5)})
    label = "%b %d" if span < 300 and origin.year == ordered[-1].day.year else "%b %Y"
    plot.xValueAxis.labelTextFormat = lambda days: (
        date.fromordinal(origin.toordinal() + int(days))
    ).strftime(label)
    plot.xValueAxis.labels.fontName = fonts.REGULAR
    plot.xValueAxis.labels.fontSize = 7
    highest = max(value for points in series for _, value in points)
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = 5 * (highest // 5 + 1)  # headroom above the highest score
    plot.yValueAxis.valueStep = 5
    plot.yValueAxis.labels.fontName = fonts.REGULAR
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.gridStrokeColor = RULE
    plot.yValueAxis.visibleGrid = True
    for index, tint in enumerate(tints):
        plot.lines[index].strokeColor = tint
        plot.lines[index].strokeWidth = 1.5
        marker = makeMarker("FilledCircle", size=3, fillColor=tint, strokeColor=tint)  # type: ignore[no-untyped-call]
        plot.lines[index].symbol = marker
    drawing.add(plot)
    legend = LineLegend()
    legend.x, legend.y = int(width - 110), int(height - 20)
    legend.fontName, legend.fontSize = fonts.REGULAR, 7.5
    legend.alignment = "right"  # the swatch first, then its name
    legend.dx, legend.dy, legend.strokeWidth = 14, 2, 2
    legend.colorNamePairs = list(zip(tints, names, strict=True))
    drawing.add(legend)
    drawing.add(
        String(30, 3, "Lower is better for every score", fontName=fonts.REGULAR, fontSize=7, fillColor=MUTED)
    )
    return drawing
