"""The appeal letter PDF: a business letter to the payer's appeals address with the claim facts, the
edited body text, a table and a small chart of outcome scores over time, and the list of enclosures."""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from kettrack.core.appeal import AppealLetter, ScorePoint
from kettrack.core.money import format_usd
from kettrack.reports import fonts
from kettrack.reports.page import ACCENT, INK, MARGIN, MUTED, RULE, SHADE, build_pdf

_BODY = ParagraphStyle(
    "kt-letter", fontName=fonts.REGULAR, fontSize=10, leading=14, textColor=INK, spaceAfter=7
)
_SMALL = ParagraphStyle(
    "kt-letter-small", parent=_BODY, fontSize=8.5, leading=11, textColor=MUTED, spaceAfter=0
)
_RE = ParagraphStyle("kt-letter-re", parent=_BODY, fontName=fonts.BOLD)
_SECTION = ParagraphStyle(
    "kt-letter-section", parent=_BODY, fontName=fonts.BOLD, textColor=ACCENT, spaceBefore=6
)
MAX_TABLE_ROWS = 12
_SERIES = (
    ("phq9", "PHQ-9 (0-27)", colors.HexColor("#2f6f8f")),
    ("gad7", "GAD-7 (0-21)", colors.HexColor("#8f5f2f")),
    ("pain", "Pain (0-10)", colors.HexColor("#6f8f2f")),
)


def _lines(lines: tuple[str, ...] | list[str], style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph("<br/>".join(escape(line) for line in lines if line), style)


def table_points(scores: tuple[ScorePoint, ...], most: int = MAX_TABLE_ROWS) -> list[ScorePoint]:
    """The points the table lists: all of them, or ``most`` spread evenly from the first to the latest
    (a year of weekly sessions would fill pages; the chart shows every point)."""
    ordered = sorted(scores, key=lambda p: p.day)
    if len(ordered) <= most:
        return ordered
    picks = sorted({round(i * (len(ordered) - 1) / (most - 1)) for i in range(most)})
    return [ordered[i] for i in picks]


def _score_table(scores: tuple[ScorePoint, ...], width: float) -> Table:
    """Dates and the measures that were recorded (columns never filled in are left out)."""
    ordered = table_points(scores)
    measures = [
        (a, n.split(" ")[0]) for a, n, _ in _SERIES if any(getattr(p, a) is not None for p in ordered)
    ]
    rows: list[list[str]] = [["Date", *(label for _, label in measures)]]
    for point in ordered:
        values = (getattr(point, attribute) for attribute, _ in measures)
        rows.append([point.day.isoformat(), *("" if v is None else str(v) for v in values)])
    column = width * 0.6 / max(len(measures), 1)
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
        rows, colWidths=[width * 0.4, *([column] * len(measures))], repeatRows=1, style=style, hAlign="LEFT"
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


def render_appeal_letter(letter: AppealLetter, *, draft: bool = False) -> bytes:
    fonts.register()
    case = letter.case
    width = LETTER[0] - 2 * MARGIN - 12
    service = sorted(case.service_dates)
    claim = case.claim_number + (f" (our reference {case.reference})" if case.reference else "")
    decision = f"Decision appealed: dated {case.denial_date.isoformat()}"
    if case.denial_codes:
        decision += f"; adjustment codes {case.denial_codes}"
    facts = [
        f"Re: {case.level_name} — claim {claim}",
        f"Patient: {case.patient_name}"
        + (f", born {case.patient_dob.isoformat()}" if case.patient_dob else ""),
        f"Member ID: {case.member_id}" + (f", group {case.group_number}" if case.group_number else ""),
        "Dates of service: "
        + (
            ", ".join(d.isoformat() for d in service)
            if len(service) <= 6
            else f"{service[0].isoformat()} to {service[-1].isoformat()} ({len(service)} sessions)"
        ),
        f"Amount billed: {format_usd(case.amount_billed)}; not paid: {format_usd(case.amount_denied)}",
        decision,
    ]
    if case.provider_name:
        facts.append(
            f"Treating provider: {case.provider_name}"
            + (f", NPI {case.provider_npi}" if case.provider_npi else "")
        )
    if case.deadline:
        facts.append(f"Deadline to appeal: {case.deadline.due.isoformat()} ({case.deadline.rule})")
    recipient = [case.payer_name, *case.appeals_address]
    if not any("appeal" in line.lower() for line in case.appeals_address):
        recipient.insert(1, "Appeals department")
    story: list[Flowable] = [
        _lines([case.sender_name, *case.sender_address, case.sender_phone]),
        Spacer(1, 4),
        _lines([letter.issued_on.strftime("%B %d, %Y").replace(" 0", " ")]),
        _lines(recipient),
        Spacer(1, 2),
        Paragraph(escape(facts[0]), _RE),
        _lines(facts[1:]),
        Spacer(1, 4),
        Paragraph("To whom it may concern:", _BODY),
    ]
    # A line break inside a paragraph is the person's (a list of treatments, say): keep it.
    story += [Paragraph(escape(text).replace("\n", "<br/>"), _BODY) for text in letter.paragraphs]
    if case.scores:
        chart = score_chart(case.scores, width)
        scores_block: list[Flowable] = [Paragraph("Outcome scores", _SECTION)]
        if chart is not None:
            scores_block.append(chart)
        shown = len(table_points(case.scores))
        caption = "Scores recorded at each session, before treatment."
        if shown < len(case.scores):
            caption += f" The table lists {shown} of the {len(case.scores)} sessions; the chart shows all."
        scores_block += [_lines([caption], _SMALL), Spacer(1, 3), _score_table(case.scores, width * 0.6)]
        story.append(KeepTogether(scores_block))
    story.append(
        KeepTogether(
            [
                Spacer(1, 10),
                Paragraph("Sincerely,", _BODY),
                Spacer(1, 18),
                _lines([case.sender_name]),
            ]
        )
    )
    if case.enclosures:
        story += [
            Paragraph("Enclosures", _SECTION),
            Paragraph("<br/>".join(f"{n}. {escape(e)}" for n, e in enumerate(case.enclosures, 1)), _BODY),
        ]
    header = f"Appeal {letter.letter_number} · claim {case.claim_number} · {case.patient_name}"
    return build_pdf(
        story,
        title=f"Appeal {letter.letter_number}",
        subject="Appeal letter",
        header=header,
        footer=header,
        draft=draft,
        top_margin=18 * mm,
    )
