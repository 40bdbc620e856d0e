"""The embedded font: DejaVu Sans, for names like "Zoë Ñúñez" or "Đặng" that the PDF base fonts lack."""

from __future__ import annotations

from functools import cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from kettrack.core.resources import resource_path

REGULAR = "KT-Sans"
BOLD = "KT-Sans-Bold"


@cache
def register() -> None:
    """Register the fonts once per process (ReportLab keeps a global registry)."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(resource_path("fonts/DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(BOLD, str(resource_path("fonts/DejaVuSans-Bold.ttf"))))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
