"""Letter drafts: start a letter of any kind from the record, keep its edited text, preview it, and
issue it. Nothing is filed while a letter is a draft; issuing an appeal (or external review request)
files it on the claim through :class:`kettrack.services.letters.AppealService`, and issuing a letter
of medical necessity or prior authorization request keeps it as an ``issued_letters`` row with its
PDF in ``documents``.

The draft keeps only what the person decided (kind, what it is about, arguments, disputed lines, the
text); the facts a letter prints (addresses, claim number, amounts) are read from the record each
time, so a claim number recorded after drafting is in the letter issued. The case a provider's letter
is drafted from is gathered in ``kettrack.services.clinical_cases``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kettrack.core.enums import Drug
from kettrack.core.letter_clinical import (
    clinical_facts,
    medical_necessity_blocks,
    prior_authorization_blocks,
)
from kettrack.core.letter_draft import IssuedLetter, LetterDraftView, blocks_from_json, blocks_to_json
from kettrack.core.letter_evidence import EvidenceReference, check_citation
from kettrack.core.letter_kinds import Argument, LetterKind
from kettrack.core.letter_text import (
    LetterBlock,
    LetterDocument,
    LetterFacts,
    appeal_facts,
    check_blocks,
    placeholder_problem,
)
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.reports.letter import render_letter
from kettrack.services.clinical_cases import clinical_case, patient_of
from kettrack.services.letters import AppealService
from kettrack.store import audit, documents
from kettrack.store.models import EvidenceReferenceEntry, IssuedLetterEntry, LetterDraftEntry

_PREFIX = {LetterKind.MEDICAL_NECESSITY: "LMN-", LetterKind.PRIOR_AUTHORIZATION: "PAR-"}
_ATTEMPTS = 3


def _editable(session: Session, draft_id: int) -> LetterDraftEntry:
    """The draft to change, in ``session``: an unknown one is NotFound, an issued one is refused."""
    row = session.get(LetterDraftEntry, draft_id)
    if row is None:
        raise NotFound("letter draft", draft_id)
    if row.issued_number:
        raise InvalidInput.single("letter", f"this draft was issued as {row.issued_number}")
    return row


class LetterService:
    """Drafts, previews and issues every kind of letter; keeps the evidence library."""

    def __init__(self, appeals: AppealService) -> None:
        self.appeals = appeals
        self.db = appeals.db

    # --- starting a draft -------------------------------------------------------------------------

    def start(
        self,
        kind: LetterKind,
        *,
        claim_id: int | None = None,
        patient_id: int | None = None,
        coverage_id: int | None = None,
        arguments: Sequence[Argument] = (),
        disputed: Sequence[int] = (),
        codes: str = "",
        units: int | None = None,
        period_from: date | None = None,
        period_to: date | None = None,
    ) -> LetterDraftView:
        """A new draft of ``kind``, its text drafted from the record and stored. Nothing is filed."""
        if kind.about_a_claim:
            if claim_id is None:
                raise InvalidInput.single("claim", f"say which claim the {kind.label.lower()} is about")
            draft = self.appeals.draft(claim_id, disputed=disputed or None, arguments=arguments or None)
            if kind is LetterKind.EXTERNAL_REVIEW and draft.kind is not LetterKind.EXTERNAL_REVIEW:
                raise InvalidInput.single(
                    "kind", f"the claim's next step is a {draft.level_name.lower()}, not an external review"
                )
            kind = draft.kind  # an appeal at the external level is an external review request
            patient = self.appeals.views.row(claim_id).patient_id
            row = LetterDraftEntry(
                kind=kind,
                patient_id=patient,
                claim_id=claim_id,
                arguments=",".join(a.value for a in draft.case.arguments),
                disputed_lines=",".join(str(n) for n in disputed),
                blocks=blocks_to_json(draft.blocks),
            )
        else:
            if units is not None and units < 1:
                raise InvalidInput.single("units", "at least 1")
            if period_from and period_to and period_to < period_from:
                raise InvalidInput.single("period_to", "ends before it starts")
            row = LetterDraftEntry(
                kind=kind,
                patient_id=0,
                claim_id=claim_id,
                coverage_id=coverage_id,
                codes=" ".join(codes.upper().split())[:100],
                units=units,
                period_from=period_from,
                period_to=period_to,
            )
            case, _ = clinical_case(self.appeals, row, patient_id, self.evidence)
            row.patient_id = patient_of(self.appeals, claim_id, patient_id)
            builder = (
                medical_necessity_blocks
                if kind is LetterKind.MEDICAL_NECESSITY
                else prior_authorization_blocks
            )
            row.blocks = blocks_to_json(builder(case))
        with self.db.session() as session:
            session.add(row)
            session.flush()
            audit.record(session, "create", "letter_draft", row.id, f"{kind.value} draft")
            draft_id = row.id
        return self.get(draft_id)

    # --- reading and editing ----------------------------------------------------------------------

    def _row(self, draft_id: int) -> LetterDraftEntry:
        with self.db.reader() as session:
            row = session.get(LetterDraftEntry, draft_id)
            if row is None:
                raise NotFound("letter draft", draft_id)
            session.expunge(row)
            return row

    def _facts(self, row: LetterDraftEntry) -> tuple[LetterFacts, tuple[str, ...], LetterDraftView]:
        """What the letter prints, the advice, and the view of the draft, all from the record now."""
        blocks = blocks_from_json(row.blocks)
        base = LetterDraftView(
            id=row.id,
            kind=row.kind,
            patient_id=row.patient_id,
            claim_id=row.claim_id,
            blocks=blocks,
            advice=(),
            no_claim_number=row.no_claim_number,
            issued_number=row.issued_number,
        )
        if row.kind.about_a_claim:
            assert row.claim_id is not None
            arguments = tuple(Argument(a) for a in row.arguments.split(",") if a)
            disputed = tuple(int(n) for n in row.disputed_lines.split(",") if n)
            if row.issued_number:  # the claim has moved on: its next appeal is not this letter's
                return LetterFacts(row.kind, (), (), "", (), ()), (), replace(base, arguments=arguments)
            draft = self.appeals.draft(row.claim_id, disputed=disputed or None, arguments=arguments or None)
            facts = appeal_facts(draft.case, row.kind)
            advice, gaps = draft.warnings, draft.gaps
            if row.no_claim_number:
                advice = tuple(a for a in advice if not a.startswith("No payer claim number"))
                gaps = tuple(g for g in gaps if g.field != "payer_claim_number")
            about = f"{draft.case.patient_name}, claim {draft.case.claim_number or draft.case.reference}"
            view = replace(
                base,
                advice=advice,
                gaps=gaps,
                arguments=draft.case.arguments,
                disputed_lines=disputed,
                payer_claim_number=draft.case.claim_number,
                amount_in_dispute=draft.case.disputed,
                about=about,
            )
            return facts, advice, view
        case, advice = clinical_case(self.appeals, row, None, self.evidence)
        facts = clinical_facts(case, row.kind)
        view = replace(base, advice=advice, payer_claim_number=case.claim_number, about=case.patient_name)
        return facts, advice, view

    def get(self, draft_id: int) -> LetterDraftView:
        return self._facts(self._row(draft_id))[2]

    def drafts(self, *, claim_id: int | None = None, patient_id: int | None = None) -> list[LetterDraftView]:
        """Drafts not yet issued, newest first (their text only: advice is read per draft with ``get``)."""
        with self.db.reader() as session:
            query = select(LetterDraftEntry).where(LetterDraftEntry.issued_number == "")
            if claim_id is not None:
                query = query.where(LetterDraftEntry.claim_id == claim_id)
            if patient_id is not None:
                query = query.where(LetterDraftEntry.patient_id == patient_id)
            rows = session.scalars(query.order_by(LetterDraftEntry.id.desc())).all()
            return [
                LetterDraftView(r.id, r.kind, r.patient_id, r.claim_id, blocks_from_json(r.blocks), ())
                for r in rows
            ]

    def save(
        self, draft_id: int, blocks: Sequence[LetterBlock], *, no_claim_number: bool | None = None
    ) -> LetterDraftView:
        """Keep the edited text (and the person's word that the payer gave no claim number)."""
        kept = check_blocks(blocks)
        with self.db.session() as session:
            row = _editable(session, draft_id)
            row.blocks = blocks_to_json(kept)
            if no_claim_number is not None:
                row.no_claim_number = no_claim_number
            audit.record(session, "update", "letter_draft", row.id, "text edited")
        return self.get(draft_id)

    def discard(self, draft_id: int) -> None:
        with self.db.session() as session:
            row = _editable(session, draft_id)
            session.delete(row)
            audit.record(session, "delete", "letter_draft", draft_id, "draft discarded")

    # --- preview and issue ------------------------------------------------------------------------

    def preview_pdf(self, draft_id: int, blocks: Sequence[LetterBlock] | None = None) -> bytes:
        """The letter as it would be issued today, marked DRAFT on every page."""
        row = self._row(draft_id)
        text = check_blocks(blocks if blocks is not None else blocks_from_json(row.blocks))
        facts = self._facts(row)[0]
        number = self.appeals._next_number() if row.kind.about_a_claim else self._next_number(row.kind)
        return render_letter(LetterDocument(facts, text, number, self.appeals.today()), draft=True)

    def issue(
        self,
        draft_id: int,
        *,
        issued_on: date,
        note: str = "",
        blocks: Sequence[LetterBlock] | None = None,
        no_claim_number: bool | None = None,
    ) -> IssuedLetter:
        """Issue the draft (with ``blocks`` when given, saved first). An appeal is filed on its claim."""
        if blocks is not None or no_claim_number is not None:
            row = self._row(draft_id)
            self.save(
                draft_id,
                blocks if blocks is not None else blocks_from_json(row.blocks),
                no_claim_number=no_claim_number,
            )
        row = self._row(draft_id)
        if row.issued_number:
            raise InvalidInput.single("letter", f"this draft was already issued as {row.issued_number}")
        text = check_blocks(blocks_from_json(row.blocks))
        if row.kind.about_a_claim:
            assert row.claim_id is not None
            info = self.appeals.issue(
                row.claim_id,
                filed_on=issued_on,
                note=note,
                blocks=text,
                no_claim_number=row.no_claim_number,
                disputed=tuple(int(n) for n in row.disputed_lines.split(",") if n) or None,
                arguments=tuple(Argument(a) for a in row.arguments.split(",") if a) or None,
            )
            self._mark(draft_id, info.number)
            return IssuedLetter(row.kind, info.id, info.number, info.sha256, info.file_name, info.claim_id)
        if problem := placeholder_problem(text):
            raise InvalidInput.single("text", problem)
        if issued_on > self.appeals.today():
            raise InvalidInput.single("date", "this date is in the future")
        facts = self._facts(row)[0]
        for _attempt in range(_ATTEMPTS):
            number = self._next_number(row.kind)
            pdf = render_letter(LetterDocument(facts, text, number, issued_on))
            try:
                return self._record(row, number, pdf, text)
            except IntegrityError as exc:
                if "issued_letters" in str(exc.orig) and "number" in str(exc.orig):
                    continue
                raise
        raise InvalidInput.single("letter", "other letters were being issued at the same moment: try again")

    def _record(
        self, row: LetterDraftEntry, number: str, pdf: bytes, text: tuple[LetterBlock, ...]
    ) -> IssuedLetter:
        with self.db.session() as session:
            entry = IssuedLetterEntry(
                kind=row.kind,
                number=number,
                patient_id=row.patient_id,
                claim_id=row.claim_id,
                draft_id=row.id,
                issued_at=datetime.now(UTC),
                file_name=f"{number}.pdf",
                sha256=documents.put(session, pdf, documents.PDF),
                blocks=blocks_to_json(text),
            )
            session.add(entry)
            session.flush()
            draft = session.get(LetterDraftEntry, row.id)
            assert draft is not None
            draft.issued_number = number
            audit.record(session, "issue", "letter", entry.id, f"{number} ({row.kind.value})")
            return IssuedLetter(row.kind, entry.id, number, entry.sha256, entry.file_name, row.claim_id)

    def _mark(self, draft_id: int, number: str) -> None:
        with self.db.session() as session:
            draft = session.get(LetterDraftEntry, draft_id)
            if draft is not None:
                draft.issued_number = number

    def _next_number(self, kind: LetterKind) -> str:
        prefix = _PREFIX[kind]
        with self.db.reader() as session:
            last = session.scalar(
                select(IssuedLetterEntry.number)
                .where(IssuedLetterEntry.number.like(f"{prefix}%"))
                .order_by(func.length(IssuedLetterEntry.number).desc(), IssuedLetterEntry.number.desc())
                .limit(1)
            )
        digits = last[len(prefix) :] if last else ""
        return f"{prefix}{int(digits) + 1 if digits.isdigit() else 1:06d}"

    def letter_pdf(self, letter_id: int) -> bytes:
        """An issued provider's letter's PDF, checked against its SHA-256."""
        with self.db.reader() as session:
            row = session.get(IssuedLetterEntry, letter_id)
            if row is None:
                raise NotFound("letter", letter_id)
            return documents.content(session, row.sha256, f"letter {row.number}")

    # --- the evidence library ---------------------------------------------------------------------

    def evidence(self) -> list[EvidenceReference]:
        """The person's own references (kettrack's seed references are added where they are cited)."""
        with self.db.reader() as session:
            return [
                EvidenceReference(r.citation, r.drug, r.id)
                for r in session.scalars(select(EvidenceReferenceEntry).order_by(EvidenceReferenceEntry.id))
            ]

    def add_evidence(self, citation: str, drug: Drug | None = None) -> EvidenceReference:
        text = check_citation(citation)
        with self.db.session() as session:
            row = EvidenceReferenceEntry(citation=text, drug=drug)
            session.add(row)
            session.flush()
            audit.record(session, "create", "evidence_reference", row.id, "")
            return EvidenceReference(text, drug, row.id)
