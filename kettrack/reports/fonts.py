"""The embedded font: DejaVu Sans, for names like "Zoë Ñúñez" or "Đặng" that the PDF base fonts lack.

Embedding a TrueType font means writing, for each 256-character subset a document uses, a cut-down
copy of the font (its glyph table), a widths array and a ToUnicode map, all Flate-compressed. ReportLab
rebuilds them for every document, which costs about a quarter of a one-page superbill; yet every
superbill uses nearly the same subset (ASCII plus the few other characters its names and dashes
need, in order of first use). ``EmbeddedFont`` builds each distinct subset's pieces once per process
and writes the very same bytes into every document that uses it.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)

from kettrack.core.resources import resource_path

REGULAR = "KT-Sans"
BOLD = "KT-Sans-Bold"

_CACHED_SUBSETS = 64  # per font; a batch of superbills needs a handful
_CACHED_WIDTHS = 20_000  # per font: words, labels and codes measured while laying out lines


@dataclass(frozen=True)
class _SubsetPieces:
    """One subset's PDF pieces, formatted and compressed once."""

    widths: bytes  # the formatted /Widths array
    cmap: bytes  # the ToUnicode CMap stream's content (compressed when the document compresses)
    font_file: bytes  # the subset font program (compressed likewise)
    font_file_length: int  # its uncompressed length (/Length1)


def _flate_dictionary(compressed: bool, **entries: Any) -> pdfdoc.PDFDictionary:
    """A stream dictionary that says its content is already Flate-encoded (so ReportLab leaves it)."""
    dictionary = pdfdoc.PDFDictionary(entries)
    if compressed:
        dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName(pdfdoc.PDFZCompress.pdfname)])
    return dictionary


class EmbeddedFont(TTFont):  # type: ignore[misc]  # ReportLab's classes are untyped
    """A TrueType font whose subsets' PDF objects are built once per process, not once per document.

    ``addObjects`` writes the same objects as ReportLab's ``TTFont.addObjects`` (a test compares the
    two byte for byte); only the expensive parts come from a cache keyed by the subset's characters.
    """

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._pieces: dict[tuple[int, bool, tuple[int, ...]], _SubsetPieces] = {}
        self._pieces_lock = threading.Lock()
        self._widths: dict[tuple[str, float], float] = {}

    def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:  # noqa: N802
        """The width of ``text`` at ``size`` points, remembered: line breaking measures the same
        words (labels, codes, dates) over and over, and ReportLab sums them glyph by glyph."""
        key = (text, size)
        width = self._widths.get(key)
        if width is None:
            width = super().stringWidth(text, size, encoding)
            if len(self._widths) >= _CACHED_WIDTHS:
                self._widths.clear()
            self._widths[key] = width
        return width

    def _subset_pieces(self, number: int, subset: list[int], base_font: str, compress: bool) -> _SubsetPieces:
        key = (number, compress, tuple(subset))
        pieces = self._pieces.get(key)
        if pieces is not None:
            return pieces
        # Built under the lock: the font face's subsetting reads shared tables that are not safe to
        # walk from two threads at once (a preview rendering while a superbill issues raised KeyError).
        with self._pieces_lock:
            pieces = self._pieces.get(key)
            if pieces is None:
                face: Any = self.face
                widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(
                    pdfdoc.DummyDoc()
                )
                cmap = makeToUnicodeCMap(base_font, subset).encode("utf-8")
                font_file = face.makeSubset(subset)
                pieces = _SubsetPieces(
                    widths=widths,
                    cmap=zlib.compress(cmap) if compress else cmap,
                    font_file=zlib.compress(font_file) if compress else font_file,
                    font_file_length=len(font_file),
                )
                if len(self._pieces) >= _CACHED_SUBSETS:
                    self._pieces.clear()
                self._pieces[key] = pieces
        return pieces

    def addObjects(self, doc: Any) -> None:  # noqa: N802 - ReportLab's name
        """Add one font dictionary (with descriptor, widths, ToUnicode map and font program) per subset."""
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)  # type: ignore[attr-defined]
        state.frozen = 1
        face = self.face
        compress = bool(doc.compression)
        for number, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(number, doc)[1:]
            base_font = b"".join((SUBSETN(number), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            pieces = self._subset_pieces(number, subset, base_font, compress)

            font: Any = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {number}"
            font.Name = internal_name
            font.BaseFont = base_font
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = pieces.widths

            cmap = pdfdoc.PDFStream(_flate_dictionary(compress), pieces.cmap)
            font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_font)

            font_file = pdfdoc.PDFStream(
                _flate_dictionary(compress, Length1=pieces.font_file_length), pieces.font_file
            )
            font_file_ref = doc.Reference(font_file, f"fontFile:{face.filename}({base_font})")
            descriptor = pdfdoc.PDFDictionary(
                {
                    "Type": "/FontDescriptor",
                    "Ascent": face.ascent,
                    "CapHeight": face.capHeight,
                    "Descent": face.descent,
                    "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                    "FontBBox": pdfdoc.PDFArray(face.bbox),
                    "FontName": pdfdoc.PDFName(base_font),
                    "ItalicAngle": face.italicAngle,
                    "StemV": face.stemV,
                    "FontFile2": font_file_ref,
                    "MissingWidth": face.defaultWidth,
                }
            )
            font.FontDescriptor = doc.Reference(descriptor, "fontDescriptor:" + base_font)

            doc.Reference(font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = font
        del self.state[doc]


@cache
def register() -> None:
    """Register the fonts once per process (ReportLab keeps a global registry)."""
    pdfmetrics.registerFont(EmbeddedFont(REGULAR, str(resource_path("fonts/DejaVuSans.ttf"))))
    pdfmetrics.registerFont(EmbeddedFont(BOLD, str(resource_path("fonts/DejaVuSans-Bold.ttf"))))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
