"""Appeal letters from the database: draft the next appeal of a denied claim from the record (the
claim, the denial and its reason codes, diagnoses, treatments tried, the treatment plan and outcome
scores), render the edited text, and issue it: an owner-only PDF with its SHA-256, the
``appeal_letters`` row and the APPEAL_FILED event at the next level, all or nothing.

Both the letter row and the event are append-only, so the letter number is chosen before the
transaction and a clash with another desk issuing at the same moment simply tries the next one.
What a draft takes from the record (the next level, the denial's reasons, the enclosures) and the
checks on a letter's paragraphs are in ``kettrack.services.appeal_drafting``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kettrack.core.appeal import (
    AppealCase,
    AppealDraft,
    case_warnings,
    failed_treatments,
    score_points,
    treatment_plan,
)
from kettrack.core.claim_deadlines import claim_deadlines
from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import DECISION_EVENTS, ZERO, Filer, LetterInfo, NewEvent
from kettrack.core.deadlines import DeadlineKind
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.letter_amounts import amount_in_dispute, disputed_dates
from kettrack.core.letter_evidence import EvidenceReference, references_for
from kettrack.core.letter_kinds import NOT_AN_APPEAL, Argument, LetterKind, arguments_for, letter_route
from kettrack.core.letter_text import (
    LetterBlock,
    LetterDocument,
    appeal_blocks,
    appeal_facts,
    check_blocks,
    placeholder_problem,
)
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.reason_codes import split_remarks
from kettrack.core.records import InfusionRecord
from kettrack.core.rows import InfusionFilter
from kettrack.core.superbill import Diagnosis
from kettrack.core.validation import text_problem
from kettrack.reports.letter import render_letter
from kettrack.services.appeal_drafting import (
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
    authorization_on_file,
    check_paragraphs,
    codes_and_reasons,
    dispute_lines,
    enclosures,
    last_event,
    next_level,
    submission,
    text_lines,
)
from kettrack.services.claims import ClaimService
from kettrack.store import audit, documents
from kettrack.store.claim_records import payer_rules
from kettrack.store.claim_views import ClaimViews
from kettrack.store.database import Database
from kettrack.store.infusions import InfusionRepository
from kettrack.store.models import AppealLetterEntry, EvidenceReferenceEntry, IssuedSuperbill, ServiceLine
from kettrack.store.people import (
    CoverageRepository,
    PatientRepository,
    PayerRepository,
    ProviderRepository,
    TreatmentRepository,
)
from kettrack.store.prior_auths import ReasonCodeRepository

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
# The ERISA level that is filed as an external review (EventKind.EXTERNAL_REVIEW_FILED).
EXTERNAL_LEVEL = "external"


class _NumberTaken(Exception):
    """Another desk issued a letter with the number we chose, between our read and our write."""


class AppealService:
    """Drafts, previews and issues appeal letters."""

    def __init__(
        self,
        db: Database,
        *,
        claims: ClaimService,
        views: ClaimViews,
        patients: PatientRepository,
        providers: ProviderRepository,
        payers: PayerRepository,
        coverages: CoverageRepository,
        treatments: TreatmentRepository,
        infusions: InfusionRepository,
        reason_codes: ReasonCodeRepository,
        icd: Callable[[], Icd10Releases],
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.claims, self.views = claims, views
        self.patients, self.providers, self.payers = patients, providers, payers
        self.coverages, self.treatments, self.infusions = coverages, treatments, infusions
        self.reason_codes = reason_codes
        self.icd, self.today = icd, today

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

    def _gather(
        self,
        claim_id: int,
        *,
        disputed: Sequence[int] | None = None,
        arguments: Sequence[Argument] | None = None,
    ) -> tuple[AppealDraft, int]:
        """The draft and the number of events it was drafted from (issuing refuses if that changed)."""
        today = self.today()
        detail = self.views.get(claim_id)
        with self.db.reader() as session:
            rules = payer_rules(session, detail.row.payer_id)
            level = next_level(rules, detail.status)
            line_ids = [line.service_line_id for line in detail.lines if line.service_line_id is not None]
            infusion_ids = set(
                session.scalars(select(ServiceLine.infusion_id).where(ServiceLine.id.in_(line_ids)))
            )
            bill = session.get(IssuedSuperbill, detail.superbill_id) if detail.superbill_id else None
            superbill = ""
            if bill is not None:
                superbill = f"Superbill {bill.number}" + (
                    f", version {bill.version}" if bill.version > 1 else ""
                )
            library = [
                EvidenceReference(row.citation, row.drug, row.id)
                for row in session.scalars(select(EvidenceReferenceEntry).order_by(EvidenceReferenceEntry.id))
            ]
        events = list(detail.events)
        lines = dispute_lines(detail)
        known = {line.position for line in lines}
        if disputed and (unknown := sorted(set(disputed) - known)):
            raise InvalidInput.single(
                "lines", f"the claim has lines 1 to {len(lines)}: there is no line {unknown[0]}"
            )
        service_dates = list(disputed_dates(lines, disputed))
        upheld = detail.status.state is ClaimState.APPEAL_DECIDED
        notice = last_event(events, {EventKind.APPEAL_UPHELD} if upheld else DECISION_EVENTS)
        assert notice is not None  # the state says a decision was recorded
        # An upheld appeal's notice rarely restates the codes: the reason is the original denial's.
        coded = (
            notice
            if notice.adjustments
            else last_event([e for e in events if e.adjustments], DECISION_EVENTS)
        )
        adjustments = coded.adjustments if coded else ()
        words = {(c.code, c.kind): c.description for c in self.reason_codes.reason_codes()}
        # The reasons in words are for the person (the window shows them); the letter states the codes.
        codes, reason = codes_and_reasons(adjustments, words)
        if not reason and upheld:
            reason = "the plan upheld its denial on appeal"
        route = letter_route(adjustments, [r for a in adjustments for r in split_remarks(a.remarks)])
        chosen = tuple(dict.fromkeys(arguments)) if arguments else arguments_for(route)

        deadline = next(
            (
                d
                for d in claim_deadlines(
                    rules, sorted({line.service_date for line in detail.lines}), events, today
                )
                if d.kind is DeadlineKind.APPEAL
            ),
            None,
        )
        patient = self.patients.get(detail.row.patient_id)
        coverage = self.coverages.get(detail.coverage_id)
        payer = self.payers.get(detail.row.payer_id)
        course, claimed = self._sessions(detail.row.patient_id, infusion_ids, service_dates)
        provider_name, provider_npi, sender = self._people(claimed, detail.filer, detail.row.patient_id)
        appeals_address = text_lines(payer.appeals_address)
        if appeals_address and appeals_address[0].casefold() == payer.name.strip().casefold():
            appeals_address = appeals_address[1:]  # the letter prints the payer's name itself
        submitted_on, method, proof = submission(detail)
        drug = Counter(s.drug for s in claimed).most_common(1)[0][0] if claimed else None
        case = AppealCase(
            sender_name=sender[0],
            sender_address=sender[1],
            sender_phone=sender[2],
            payer_name=payer.name,
            appeals_address=appeals_address,
            level_name=level.name,
            claim_number=detail.row.payer_claim_number.strip(),
            reference=detail.row.number,
            member_id=coverage.member_id,
            group_number=coverage.group_number,
            patient_name=patient.legal_name,
            patient_dob=patient.date_of_birth,
            service_dates=tuple(service_dates),
            amount_billed=sum(
                (line.charge for line in lines if not disputed or line.position in disputed), ZERO
            ),
            amount_denied=max(detail.money.billed - detail.money.paid, ZERO),
            amount_in_dispute=amount_in_dispute(lines, disputed, detail.money, adjustments),
            denial_date=notice.on,
            denial_reason=reason,
            denial_codes=codes,
            diagnoses=self._diagnoses(claimed),
            treatments=failed_treatments(self.treatments.for_patient(detail.row.patient_id)),
            plan=treatment_plan(course),
            scores=score_points(course),
            enclosures=enclosures(detail, notice, superbill),
            provider_name=provider_name,
            provider_npi=provider_npi,
            deadline=deadline,
            payer_kind=payer.kind,
            arguments=chosen,
            authorization=authorization_on_file(detail.auths, service_dates),
            submitted_on=submitted_on,
            submit_method=method,
            submission_proof=proof,
            filing_limit=f"{rules.filing.words()} after the date of service",
            drug=drug,
            evidence=references_for(drug, library) if drug is not None else (),
            filer_is_clinic=detail.filer is Filer.CLINIC,
            network=coverage.network,
        )
        warnings = list(case_warnings(case, today))
        if route in NOT_AN_APPEAL:
            warnings.insert(
                0,
                f"kettrack reads this decision as {route.value.replace('_', ' ')}: an appeal is not the "
                "usual next step (see the claim's next step)",
            )
        if level.minimum_amount is not None and case.disputed < level.minimum_amount:
            warnings.append(
                f"A {level.name} needs at least ${level.minimum_amount:,.2f} in dispute; "
                f"this claim has ${case.disputed:,.2f}"
            )
        if detail.status.state is ClaimState.PARTIALLY_PAID and not disputed:
            warnings.append(
                "The plan paid part of this claim: choose the lines you dispute so the letter states the "
                "right amount (every line is counted now)"
            )
        kind = LetterKind.EXTERNAL_REVIEW if level.key == EXTERNAL_LEVEL else LetterKind.APPEAL
        blocks = appeal_blocks(case, kind, today)
        draft = AppealDraft(
            claim_id=claim_id,
            level=level.key,
            level_name=level.name,
            case=case,
            paragraphs=tuple(b.text for b in blocks),
            deadline=deadline,
            warnings=tuple(warnings),
            blocks=blocks,
            kind=kind,
        )
        return draft, len(events)

    def _sessions(
        self, patient_id: int, claimed_ids: set[int], service_dates: list[date]
    ) -> tuple[list[InfusionRecord], list[InfusionRecord]]:
        """The whole course of the claimed drug (for the plan and the scores) and the claimed sessions."""
        everything = self.infusions.list(InfusionFilter(patient_id=patient_id))
        claimed = [s for s in everything if s.id in claimed_ids]
        if not claimed and service_dates:  # lines typed in without sessions: match them by date
            claimed = [s for s in everything if service_dates[0] <= s.service_date <= service_dates[-1]]
        if not claimed:
            return [], []
        drug = Counter(s.drug for s in claimed).most_common(1)[0][0]
        last_claimed = max(s.service_date for s in claimed)
        # The course up to today: sessions after the claimed ones show whether the effect lasted.
        course = [
            s for s in everything if s.drug is drug and s.service_date <= max(last_claimed, self.today())
        ]
        return course, claimed

    def _diagnoses(self, sessions: list[InfusionRecord]) -> tuple[Diagnosis, ...]:
        codes: list[str] = []
        for visit in sessions:
            codes += [c for c in visit.diagnoses if c not in codes]
        if not codes:
            return ()
        icd = self.icd()
        return tuple(Diagnosis(code, icd.describe(code) or "") for code in codes)

    def _people(
        self, claimed: list[InfusionRecord], filer: Filer, patient_id: int
    ) -> tuple[str, str, tuple[str, tuple[str, ...], str]]:
        """The treating provider (name, NPI) and who sends the letter: the patient, or the clinic
        when the clinic files the claim."""
        provider_ids = [s.provider_id for s in claimed if s.provider_id is not None]
        provider = self.providers.get(Counter(provider_ids).most_common(1)[0][0]) if provider_ids else None
        clinic_ids = [s.clinic_id for s in claimed if s.clinic_id is not None]
        clinic_id = clinic_ids[-1] if clinic_ids else (provider.clinic_id if provider else None)
        clinic = self.providers.get(clinic_id) if clinic_id is not None else None
        name = provider.display_name if provider else ""
        npi = provider.npi if provider else ""
        office = clinic or provider
        if filer is Filer.CLINIC and office is not None:
            return name, npi, (office.display_name, tuple(office.address.lines()), office.phone)
        patient = self.patients.get(patient_id)
        return name, npi, (patient.legal_name, tuple(patient.address.lines()), patient.phone)

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
