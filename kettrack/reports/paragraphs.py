"""``FastParagraph``: a ReportLab ``Paragraph`` that prints exactly the same, for less work.

A one-page superbill holds about forty paragraphs, and ReportLab spends more time on them than on
anything else: each one runs its text through an HTML parser when it is made, and a paragraph in a
table cell is laid out twice (once to size the row, once to draw it). Here

- plain text (no markup, no entity) skips the parser: its one fragment is a copy of the fragment the
  parser makes for that style, with the text set, which is all the parser would have done;
- text with markup is parsed once per process for each distinct text and style;
- a paragraph laid out again at the width it already has keeps the lines it has.

``tests/reports/test_superbill_pdf.py`` checks that the pages come out byte for byte as with
ReportLab's own ``Paragraph``.
"""

from __future__ import annotations

import re
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus.paragraph import (  # type: ignore[attr-defined]  # not in the stubs
    _FUZZ,
    Paragraph,
    cleanBlockQuotedText,
    textTransformFrags,
)
from reportlab.platypus.paraparser import ParaParser

_MARKUP = re.compile(r"[<>&]")
_PARSED_LIMIT = 4096  # distinct marked-up texts kept; cleared, not evicted one by one, when full

_plain_templates: dict[int, tuple[ParagraphStyle, Any]] = {}  # id(style) -> (style, its fragment)
_parsed: dict[tuple[str, int], tuple[ParagraphStyle, ParagraphStyle, list[Any]]] = {}


def _parse(text: str, style: ParagraphStyle) -> tuple[ParagraphStyle, list[Any]]:
    """What ``Paragraph`` does with ``text`` when it is not given fragments (``text`` is cleaned)."""
    parser = ParaParser()
    parser.caseSensitive = 1
    parsed_style, frags, bullet_frags = parser.parse(text, style)  # type: ignore[no-untyped-call]
    if frags is None or bullet_frags:
        raise ValueError(f"cannot lay out this paragraph text: {text[:30]!r}")
    textTransformFrags(frags, parsed_style)
    return parsed_style, frags


def _fragments(text: str, style: ParagraphStyle) -> tuple[ParagraphStyle, list[Any]] | None:
    """The style and fresh fragments for ``text``; None when only ReportLab's own path will do."""
    if style.textTransform or getattr(style, "bulletText", None):
        return None
    if text and not _MARKUP.search(text):
        # Plain text: the parser would copy the style's fragment and set its text; nothing else.
        known = _plain_templates.get(id(style))
        if known is None or known[0] is not style:
            parsed_style, frags = _parse("x", style)
            if len(frags) != 1 or parsed_style is not style:
                return None
            known = _plain_templates[id(style)] = (style, frags[0])
        return style, [known[1].clone(text=text)]
    key = (text, id(style))
    found = _parsed.get(key)
    if found is None or found[0] is not style:
        if len(_parsed) >= _PARSED_LIMIT:
            _parsed.clear()
        parsed_style, frags = _parse(text, style)
        found = _parsed[key] = (style, parsed_style, frags)
    return found[1], [frag.clone() for frag in found[2]]


class FastParagraph(Paragraph):  # type: ignore[misc]  # ReportLab's classes are untyped
    """A ``Paragraph`` that reuses parsed text and its own layout (see the module's docstring)."""

    def __init__(
        self,
        text: str | None,
        style: ParagraphStyle | None = None,
        bulletText: str | None = None,  # noqa: N803 - ReportLab's names: split() passes them so
        frags: list[Any] | None = None,
        caseSensitive: int = 1,  # noqa: N803
        encoding: str = "utf8",
    ) -> None:
        self._wrapped: tuple[float, tuple[float, float]] | None = None
        if frags is None and text is not None and style is not None and bulletText is None and caseSensitive:
            cleaned = cleanBlockQuotedText(text)
            found = _fragments(cleaned, style)
            if found is not None:
                super().__init__(cleaned, found[0], frags=found[1])
                return
        super().__init__(text, style, bulletText, frags, caseSensitive, encoding)  # type: ignore[arg-type]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        # The lines depend on the width alone; a table cell is wrapped at the same width to size
        # its row and again to draw it.
        wrapped = self._wrapped
        if wrapped is not None and wrapped[0] == availWidth:
            self.width = availWidth
            return wrapped[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        if availWidth >= _FUZZ:
            self._wrapped = (availWidth, size)
        return size
