"""Every letter kettrack sends a payer, as a PDF: a business letter from the sender to the payer's
address with the reference lines, the (edited) text blocks under their titles, the outcome scores
(table and chart) when the letter argues from them, a signature block, and the enclosures.

It renders a ``LetterDocument`` only: facts from the record and the person's text. Advice to the
person has no place in it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from kettrack.core.letter_kinds import LetterKind
from kettrack.core.letter_text import LetterDocument
from kettrack.reports import fonts
from kettrack.reports.letter_scores import score_chart, score_table, table_points
from kettrack.reports.page import ACCENT, INK, MARGIN, MUTED, build_pdf

_BODY = ParagraphStyle(
    "kt-letter", fontName=fonts.REGULAR, fontSize=10, leading=14, textColor=INK, spaceAfter=7
)
_SMALL = ParagraphStyle(
    "kt-letter-small", parent=_BODY, fontSize=8.5, leading=11, textColor=MUTED, spaceAfter=0
)
_RE = ParagraphStyle("kt-letter-re", parent=_BODY, fontName=fonts.BOLD, spaceAfter=2)
_SECTION = ParagraphStyle(
    "kt-letter-section", parent=_BODY, fontName=fonts.BOLD, textColor=ACCENT, spaceBefore=4, spaceAfter=3
)
_NUMBER_PREFIX = {
    LetterKind.APPEAL: "Appeal",
    LetterKind.EXTERNAL_REVIEW: "External review request",
    LetterKind.MEDICAL_NECESSITY: "Letter of medical necessity",
    LetterKind.PRIOR_AUTHORIZATION: "Prior authorization request",
}


def _lines(lines: tuple[str, ...] | list[str], style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph("<br/>".join(escape(line) for line in lines if line), style)


def _text(text: str) -> list[Flowable]:
    """A block's text: blank lines part paragraphs; a single line break (a list) is kept."""
    return [
        Paragraph(escape(part.strip()).replace("\n", "<br/>"), _BODY)
        for part in text.split("\n\n")
        if part.strip()
    ]


def _signature(signer: tuple[str, ...], width: float) -> Flowable:
    """Room to sign and date, the signer's printed name and role under the line."""
    rows = [["", ""], [signer[0] if signer else "", "Date"], *[[line, ""] for line in signer[1:]]]
    table = Table(rows, colWidths=[width * 0.55, width * 0.3], rowHeights=[26, *([13] * (len(rows) - 1))])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 9.5),
                ("FONT", (0, 1), (0, 1), fonts.BOLD, 9.5),
                ("TEXTCOLOR", (1, 1), (1, 1), MUTED),
                ("LINEBELOW", (0, 0), (0, 0), 0.8, INK),
                ("LINEBELOW", (1, 0), (1, 0), 0.8, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), 18),
                ("TOPPADDING", (0, 1), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    table.hAlign = "LEFT"
    return table


def render_letter(letter: LetterDocument, *, draft: bool = False) -> bytes:
    """The letter as a PDF; ``draft`` marks every page DRAFT (a preview is never the letter on record)."""
    fonts.register()
    facts = letter.facts
    width = LETTER[0] - 2 * MARGIN - 12
    story: list[Flowable] = [
        _lines(list(facts.sender)),
        Spacer(1, 4),
        _lines([letter.issued_on.strftime("%B %d, %Y").replace(" 0", " ")]),
        _lines(list(facts.recipient)),
        Spacer(1, 2),
        Paragraph(escape(facts.subject), _RE),
        _lines(list(facts.references)),
        Spacer(1, 4),
        Paragraph("To whom it may concern:", _BODY),
    ]
    for block in letter.blocks:
        parts = _text(block.text)
        if block.title and parts:
            story.append(KeepTogether([Paragraph(escape(block.title), _SECTION), parts[0]]))
            story += parts[1:]
        else:
            story += parts
    if facts.scores:
        chart = score_chart(facts.scores, width)
        scores: list[Flowable] = [Paragraph("Outcome scores", _SECTION)]
        if chart is not None:
            scores.append(chart)
        shown = len(table_points(facts.scores))
        caption = "Scores recorded at each session, before and after treatment; lower is better."
        if shown < len(facts.scores):
            caption += f" The table lists {shown} of the {len(facts.scores)} sessions; the chart shows all."
        scores += [_lines([caption], _SMALL), Spacer(1, 3), score_table(facts.scores, width * 0.8)]
        story.append(KeepTogether(scores))
    story.append(
        KeepTogether(
            [Spacer(1, 8), Paragraph("Sincerely,", _BODY), Spacer(1, 4), _signature(facts.signer, width)]
        )
    )
    if facts.enclosures:
        listed = "<br/>".join(f"{n}. {escape(e)}" for n, e in enumerate(facts.enclosures, 1))
        story.append(
            KeepTogether([Spacer(1, 6), Paragraph("Enclosures", _SECTION), Paragraph(listed, _BODY)])
        )
    name = f"{_NUMBER_PREFIX[facts.kind]} {letter.number}"
    about = f"claim {facts.payer_claim_number}" if facts.payer_claim_number else ""
    header = " · ".join(p for p in (name, about, facts.patient_name) if p)
    return build_pdf(
        story,
        title=name,
        subject=facts.kind.label,
        header=header,
        footer=header,
        draft=draft,
        top_margin=18 * mm,
    )
