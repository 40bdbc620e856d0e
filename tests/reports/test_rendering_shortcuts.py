"""The shortcuts that make superbills cheap to draw (kettrack.reports.fonts' EmbeddedFont and
kettrack.reports.paragraphs' FastParagraph) must write exactly what ReportLab's own classes write:
these compare the PDF bytes, so a ReportLab upgrade that changes the font or paragraph internals they
copy fails here rather than in a patient's hands."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from kettrack.reports import fonts, paragraphs, superbill
from kettrack.reports.batch import render_superbills
from kettrack.reports.paragraphs import FastParagraph
from tests.reports.test_superbill_pdf import _bill

TEXTS = [
    "Zoë Ñúñez · Đặng — 2026-01-05–2026-01-06",
    "Dana &lt;b&gt;&amp; Reyes, MD",
    "<font color='#5b6770'>Member ID</font>  XKM123456789",
    "<b>Balance due</b>",
    "  spaced \n out   text  ",
    "",
    "Major depressive disorder, recurrent severe without psychotic features " * 3,
]


def _canvas_pdf(text: str) -> bytes:
    fonts.register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    canvas.setFont(fonts.REGULAR, 11)
    canvas.drawString(72, 700, text)
    canvas.drawString(72, 680, text[::-1])  # the same characters in another order of first use
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _reportlabs_own_font(monkeypatch: pytest.MonkeyPatch) -> None:
    # ReportLab maps a second font on the same face to the first one registered, so the comparison
    # swaps the methods back rather than registering a plain TTFont beside ours.
    monkeypatch.setattr(fonts.EmbeddedFont, "addObjects", TTFont.addObjects)
    monkeypatch.setattr(fonts.EmbeddedFont, "stringWidth", TTFont.stringWidth)


# The last text needs two of the font's 256-character subsets.
@pytest.mark.parametrize("text", [TEXTS[0], "plain ASCII only", "".join(map(chr, range(0x100, 0x250)))])
def test_the_embedded_font_writes_what_reportlabs_font_writes(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = [_canvas_pdf(text), _canvas_pdf(text)]  # the second from the font's cache
    with monkeypatch.context() as patch:
        _reportlabs_own_font(patch)
        expected = _canvas_pdf(text)
    assert ours == [expected, expected]


def _story_pdf(paragraph: Any, width: float) -> bytes:
    fonts.register()
    style = ParagraphStyle("t", fontName=fonts.REGULAR, fontSize=9, leading=11)
    cells = [[paragraph(text, style), paragraph(text, style)] for text in TEXTS]
    story = [paragraph(text, style) for text in TEXTS] + [Table(cells, colWidths=[width, 2 * width])]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER, invariant=True).build(story)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [60.0, 150.0])
def test_fast_paragraphs_lay_out_and_draw_like_paragraphs(width: float) -> None:
    expected = _story_pdf(Paragraph, width)
    assert _story_pdf(FastParagraph, width) == expected
    assert _story_pdf(FastParagraph, width) == expected  # parsed text reused


@pytest.mark.parametrize("sessions", [1, 2, 14])
def test_a_superbill_is_the_same_as_with_reportlabs_own_classes(
    sessions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    bill = _bill(sessions)
    ours = superbill.render_superbill(bill, draft=sessions == 2)
    _reportlabs_own_font(monkeypatch)
    monkeypatch.setattr(superbill, "Paragraph", Paragraph)
    assert superbill.render_superbill(bill, draft=sessions == 2) == ours


def test_a_batch_gives_each_superbill_its_own_pdf_in_order() -> None:
    bills = [replace(_bill(1 + n % 3), statement_number=f"SB-2026-{n:06d}") for n in range(12)]
    expected = [superbill.render_superbill(b) for b in bills]
    assert render_superbills(bills, workers=1) == expected
    assert render_superbills(iter(bills), workers=2) == expected  # on worker processes, taken lazily


def test_threads_rendering_at_once_share_the_caches_safely() -> None:
    # The window renders previews on a thread pool: the font and paragraph caches are shared.
    bills = [replace(_bill(1 + n % 3), statement_number=f"SB-2026-{n:06d}") for n in range(24)]
    expected = [superbill.render_superbill(b) for b in bills]
    paragraphs._parsed.clear()  # cold caches, so the threads race to fill them
    for name in (fonts.REGULAR, fonts.BOLD):
        font = pdfmetrics.getFont(name)
        font._pieces.clear()
        font._widths.clear()
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(superbill.render_superbill, bills)) == expected
