"""Page furniture shared by kettrack's documents: "Page N of M", a running header and footer, and
the DRAFT watermark. "of M" needs the page count, so pages are drawn once the document is complete."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from kettrack.reports.fonts import BOLD, REGULAR

MARGIN = 16 * mm
INK = colors.HexColor("#1d2b36")
MUTED = colors.HexColor("#5b6770")
RULE = colors.HexColor("#b8c2c9")
ACCENT = colors.HexColor("#2f6f8f")
SHADE = colors.HexColor("#eef3f6")

# Page content is Flate-compressed without the ASCII85 layer ReportLab adds by default: that layer
# only keeps a PDF 7-bit clean (for old mail gateways), makes the stream a quarter larger and, without
# ReportLab's optional C accelerator, costs more than the compression. Our PDFs live in the database
# and are handed out as binary files. What the pages show is unchanged (the decoded content is the same).
rl_config.useA85 = 0


def numbered_canvas(
    header: str, footer: str, draft: bool, pagesize: tuple[float, float] = LETTER
) -> Callable[..., Canvas]:
    """A canvas class that defers each page until the total is known, then stamps the furniture."""

    class _NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # the page-deferral recipe's hook

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, height = pagesize
            self.saveState()
            if draft:
                self.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.16))
                self.setFont(BOLD, 110)
                self.translate(width / 2, height / 2)
                self.rotate(40)
                self.drawCentredString(0, -35, "DRAFT")
                self.rotate(-40)
                self.translate(-width / 2, -height / 2)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, 12 * mm, width - MARGIN, 12 * mm)
            self.setFont(REGULAR, 7.5)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, 8 * mm, footer)
            self.drawRightString(width - MARGIN, 8 * mm, f"Page {self.getPageNumber()} of {total}")
            if self.getPageNumber() > 1:
                self.drawString(MARGIN, height - 10 * mm, header)
                self.line(MARGIN, height - 11.5 * mm, width - MARGIN, height - 11.5 * mm)
            self.restoreState()

    return _NumberedCanvas


def build_pdf(
    story: Sequence[Flowable],
    *,
    title: str,
    subject: str,
    header: str,
    footer: str,
    draft: bool,
    top_margin: float = 16 * mm,
) -> bytes:
    """A US Letter PDF of ``story`` with kettrack's margins, metadata and page furniture."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=top_margin,
        bottomMargin=18 * mm,
        title=title,
        author="kettrack",
        subject=subject,
        creator="kettrack",
        invariant=True,  # same input, same bytes: issued documents can be compared by hash
    )
    document.build(list(story), canvasmaker=numbered_canvas(header, footer, draft))  # type: ignore[arg-type]
    return buffer.getvalue()
