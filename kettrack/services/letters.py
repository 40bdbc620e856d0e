"""Appeal letters from the database: draft the next appeal of a denied claim from the record (the
claim, the denial and its reason codes, diagnoses, treatments tried, the treatment plan and outcome
scores), render the edited text, and issue it: an owner-only PDF with its SHA-256, the
``appeal_letters`` row and the APPEAL_FILED event at the next level, all or nothing.

Both the letter row and the event are append-only, so the letter number is chosen before the
transaction and a clash with another desk issuing at the same moment simply tries the next one.
What a draft takes from the record (the next level, the denial's reasons, the enclosures) and the
checks on a letter's paragraphs are in ``kettrack.services.appeal_drafting``; gathering the case a
draft is made from, in ``kettrack.services.appeal_cases``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kettrack.core.appeal import AppealDraft
from kettrack.core.claim_states import EventKind
from kettrack.core.claims import LetterInfo, NewEvent
from kettrack.core.letter_kinds import Argument
from kettrack.core.letter_text import (
    LetterBlock,
    LetterDocument,
    appeal_facts,
    check_blocks,
    placeholder_problem,
)
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.validation import text_problem
from kettrack.reports.letter import render_letter
from kettrack.services.appeal_cases import EXTERNAL_LEVEL, AppealCases
from kettrack.services.appeal_drafting import MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, check_paragraphs
from kettrack.store import audit, documents
from kettrack.store.models import AppealLetterEntry

# AppealDraft is plain data and lives in kettrack.core.appeal; importing it from here keeps working.
__all__ = [
    "EXTERNAL_LEVEL",
    "MAX_PARAGRAPHS",
    "MAX_PARAGRAPH_CHARS",
    "AppealDraft",
    "AppealService",
    "check_paragraphs",
]

_ISSUE_ATTEMPTS = 3


class _NumberTaken(Exception):
    """Another desk issued a letter with the number we chose, between our read and our write."""


class AppealService(AppealCases):
    """Drafts, previews and issues appeal letters (the case each is drafted from: ``AppealCases``)."""

    # --- drafting -------------------------------------------------------------------------------

    def draft(
        self,
        claim_id: int,
        *,
        disputed: Sequence[int] | None = None,
        arguments: Sequence[Argument] | None = None,
    ) -> AppealDraft:
        """The next appeal of a denied (or partly paid, or upheld) claim, drafted from the record:
        its arguments chosen by the denial's triage route unless ``arguments`` are given, its amount in
        dispute from the ``disputed`` line positions (every line when none)."""
        return self._gather(claim_id, disputed=disputed, arguments=arguments)[0]

    # --- the letter -----------------------------------------------------------------------------

    def _next_number(self) -> str:
        with self.db.reader() as session:
            last = session.scalar(
                select(AppealLetterEntry.number)
                .where(AppealLetterEntry.number.like("AP-%"))
                .order_by(func.length(AppealLetterEntry.number).desc(), AppealLetterEntry.number.desc())
                .limit(1)
            )
        digits = last[3:] if last else ""
        return f"AP-{int(digits) + 1 if digits.isdigit() else 1:06d}"

    def preview_pdf(
        self,
        claim_id: int,
        paragraphs: Sequence[str] = (),
        *,
        blocks: Sequence[LetterBlock] | None = None,
        disputed: Sequence[int] | None = None,
        arguments: Sequence[Argument] | None = None,
    ) -> bytes:
        """The letter as it would be issued today, with the number it would most likely get, marked
        DRAFT so a printed preview is never mistaken for the letter on record."""
        text = _blocks_of(paragraphs, blocks)
        draft = self.draft(claim_id, disputed=disputed, arguments=arguments)
        facts = appeal_facts(draft.case, draft.kind)
        return render_letter(LetterDocument(facts, text, self._next_number(), self.today()), draft=True)

    def issue(
        self,
        claim_id: int,
        paragraphs: Sequence[str] = (),
        *,
        filed_on: date,
        note: str = "",
        blocks: Sequence[LetterBlock] | None = None,
        no_claim_number: bool = False,
        disputed: Sequence[int] | None = None,
        arguments: Sequence[Argument] | None = None,
    ) -> LetterInfo:
        """Render the letter, keep it with its SHA-256, and record it and the appeal's filing at the
        next level in one transaction. Refused (nothing recorded) while the payer's claim number is
        unknown, unless ``no_claim_number`` confirms the plan gave none, or while a ``[fill in: ...]``
        is left in the text. On any failure nothing is recorded and no file is left behind."""
        text = _blocks_of(paragraphs, blocks)
        if problem := placeholder_problem(text):
            raise InvalidInput.single("text", problem)
        if problem := text_problem(note, max_len=3000, multiline=True):
            raise InvalidInput.single("note", problem)
        if filed_on > self.today():
            raise InvalidInput.single("date", "this date is in the future")
        draft, event_count = self._gather(claim_id, disputed=disputed, arguments=arguments)
        if not draft.case.claim_number and not no_claim_number:
            raise InvalidInput.single(
                "payer_claim_number",
                "the payer's claim number is not recorded: record it from the EOB or denial, or confirm "
                "that the payer gave none",
            )
        facts = appeal_facts(draft.case, draft.kind)
        for _attempt in range(_ISSUE_ATTEMPTS):
            number = self._next_number()
            pdf = render_letter(LetterDocument(facts, text, number, filed_on))
            try:
                paragraphs_kept = tuple(b.text for b in text)
                return self._record(draft, event_count, paragraphs_kept, number, pdf, filed_on, note.strip())
            except _NumberTaken:
                continue
        raise InvalidInput.single(
            "letter", "other appeal letters were being issued at the same moment: issue this one again"
        )

    def _record(
        self,
        draft: AppealDraft,
        event_count: int,
        text: tuple[str, ...],
        number: str,
        pdf: bytes,
        filed_on: date,
        note: str,
    ) -> LetterInfo:
        external = draft.level == EXTERNAL_LEVEL
        event = NewEvent(
            # An external review has its own state: an independent reviewer decides, not the plan.
            EventKind.EXTERNAL_REVIEW_FILED if external else EventKind.APPEAL_FILED,
            filed_on,
            note=f"Appeal letter {number}" + (f": {note}" if note else ""),
            appeal_level=None if external else draft.level,
        )
        with self.db.session() as session:
            event_id = self.claims.record_in(session, draft.claim_id, event, expected_events=event_count)
            row = AppealLetterEntry(
                claim_id=draft.claim_id,
                event_id=event_id,
                number=number,
                level=draft.level,
                issued_at=datetime.now(UTC),
                file_name=f"{number}.pdf",
                sha256=documents.put(session, pdf, documents.PDF),
                paragraphs=json.dumps(list(text), ensure_ascii=False),
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:
                # SQLite names the column, PostgreSQL the constraint.
                if any(
                    name in str(exc.orig) for name in ("appeal_letters.number", "uq_appeal_letters_number")
                ):
                    raise _NumberTaken() from exc
                raise
            audit.record(session, "issue", "appeal_letter", row.id, f"{row.number} for claim {row.claim_id}")
            return LetterInfo(
                row.id, row.claim_id, row.number, row.level, row.issued_at, row.file_name, row.sha256
            )

    def letter_pdf(self, letter_id: int) -> bytes:
        """The issued letter's PDF, checked against its recorded SHA-256."""
        with self.db.reader() as session:
            row = session.get(AppealLetterEntry, letter_id)
            if row is None:
                raise NotFound("appeal letter", letter_id)
            return documents.content(session, row.sha256, f"appeal letter {row.number}")


def _blocks_of(paragraphs: Sequence[str], blocks: Sequence[LetterBlock] | None) -> tuple[LetterBlock, ...]:
    """The letter's parts, checked: the given blocks, or the paragraphs as parts without titles."""
    if blocks is None:
        check_paragraphs(paragraphs)
        blocks = [LetterBlock(f"p{n}", "", p) for n, p in enumerate(paragraphs, 1)]
    return check_blocks(blocks)
