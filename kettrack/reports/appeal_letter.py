"""The appeal letter PDF: an appeal (or external review request) drafted from the case, rendered by
the letters' renderer (:mod:`kettrack.reports.letter`). The score table and chart are in
:mod:`kettrack.reports.letter_scores` (re-exported here)."""

from __future__ import annotations

from kettrack.core.appeal import AppealLetter
from kettrack.core.letter_kinds import LetterKind
from kettrack.core.letter_text import LetterBlock, LetterDocument, appeal_facts
from kettrack.reports.letter import render_letter
from kettrack.reports.letter_scores import MAX_TABLE_ROWS, score_chart, score_table, table_points

__all__ = ["MAX_TABLE_ROWS", "render_appeal_letter", "score_chart", "score_table", "table_points"]


def render_appeal_letter(
    letter: AppealLetter, *, draft: bool = False, kind: LetterKind = LetterKind.APPEAL
) -> bytes:
    """The letter with its paragraphs as edited (each one a block without a title)."""
    blocks = tuple(LetterBlock(f"p{n}", "", text) for n, text in enumerate(letter.paragraphs, 1))
    document = LetterDocument(appeal_facts(letter.case, kind), blocks, letter.letter_number, letter.issued_on)
    return render_letter(document, draft=draft)
