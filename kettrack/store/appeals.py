"""Appeal letters from the record: gather the medical-necessity case for a denied claim (diagnoses,
treatments tried, the treatment plan, outcome scores over time, the denial in plain words, the
deadline), let the person edit the drafted text, then issue it: the PDF is written owner-only and
its row and the "appeal filed" event are recorded in one transaction, or nothing is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from kettrack.core.appeal import AppealCase, AppealLetter, ScorePoint, TreatmentPlan, draft_paragraphs
from kettrack.core.claim_deadlines import claim_deadlines, status_of
from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import ZERO, ClaimDetail, Filer, LetterInfo, NewEvent
from kettrack.core.deadlines import Deadline, DeadlineKind
from kettrack.core.icd10 import Icd10Index
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.records import InfusionRecord
from kettrack.core.rows import InfusionFilter
from kettrack.core.superbill import Diagnosis
from kettrack.core.validation import text_problem
from kettrack.store.claim_views import ClaimViews
from kettrack.store.claims import ClaimService, payer_rules
from kettrack.store.database import Database
from kettrack.store.files import sha256_of, write_private
from kettrack.store.infusions import InfusionRepository
from kettrack.store.location import make_private_dir
from kettrack.store.models import AppealLetterEntry, IssuedSuperbill, ServiceLine
from kettrack.store.people import (
    CoverageRepository,
    PatientRepository,
    PayerRepository,
    ProviderRepository,
    TreatmentRepository,
)
from kettrack.store.prior_auths import ReasonCodeRepository

APPEALABLE = (ClaimState.DENIED, ClaimState.PARTIALLY_PAID, ClaimState.APPEAL_DECIDED)
MAX_PARAGRAPHS = 40


@dataclass(frozen=True)
class AppealDraft:
    """What the appeal dialog shows: the level, the gathered case and the drafted paragraphs."""

    claim_id: int
    level: str
    level_name: str
    case: AppealCase
    paragraphs: tuple[str, ...]
    deadline: Deadline | None


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _address(line1: str, line2: str, city: str, state: str, postal: str) -> tuple[str, ...]:
    place = " ".join(part for part in (f"{city}," if city else "", state, postal) if part).strip(" ,")
    return tuple(part for part in (line1, line2, place) if part)


def _frequency(sessions: Sequence[InfusionRecord]) -> tuple[str, str]:
    """How often and for how long, in words, from the sessions' dates."""
    days = sorted({s.service_date for s in sessions})
    if len(days) < 2:
        return "a single session so far", "ongoing, as the treating provider directs"
    span = (days[-1] - days[0]).days
    weeks = max(1, round(span / 7))
    per_week = len(days) / max(1.0, span / 7)
    often = f"{len(days)} sessions over {weeks} week{'s' if weeks != 1 else ''}"
    if per_week >= 1.5:
        often += f" (about {round(per_week)} a week)"
    return often, f"{days[0].isoformat()} to {days[-1].isoformat()}, continuing as the plan directs"


class AppealService:
    """Drafts, previews and issues appeal letters for claims."""

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
        icd: Callable[[], Icd10Index],
        folder: Path,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db, self.claims, self.views = db, claims, views
        self.patients, self.providers, self.payers = patients, providers, payers
        self.coverages, self.treatments, self.infusions = coverages, treatments, infusions
        self.reason_codes, self.icd, self.folder, self.today = reason_codes, icd, folder, today

    # --- gathering the case ---------------------------------------------------------------------

    def _sessions(self, detail: ClaimDetail) -> list[InfusionRecord]:
        line_ids = [line.service_line_id for line in detail.lines if line.service_line_id is not None]
        with self.db.reader() as session:
            infusion_ids = sorted(
                set(session.scalars(select(ServiceLine.infusion_id).where(ServiceLine.id.in_(line_ids))))
            )
        return [self.infusions.get(i) for i in infusion_ids]

    def _denial(self, detail: ClaimDetail) -> tuple[date, str, str]:
        """The decision being appealed: its date, the reason in plain words, and its codes."""
        notice_kinds = (EventKind.DENIED, EventKind.PARTIALLY_PAID, EventKind.APPEAL_UPHELD)
        notice = next((e for e in reversed(detail.events) if e.kind in notice_kinds), None)
        if notice is None:
            raise InvalidInput.single("claim", "there is no denial on this claim to appeal")
        adjustments = notice.adjustments or next(
            (e.adjustments for e in reversed(detail.events) if e.adjustments), ()
        )
        words = {(c.code, c.kind): c.description for c in self.reason_codes.reason_codes()}
        reasons: list[str] = []
        codes: list[str] = []
        for adjustment in adjustments:
            codes.append(f"{adjustment.group.value}-{adjustment.reason}")
            if text := words.get((adjustment.reason, "carc")):
                reasons.append(text[0].lower() + text[1:])
            for remark in adjustment.remarks.split():
                codes.append(remark)
                if text := words.get((remark, "rarc")):
                    reasons.append(text[0].lower() + text[1:])
        if notice.note.strip():
            reasons.append(notice.note.strip())
        if notice.kind is EventKind.APPEAL_UPHELD and not reasons:
            reasons.append("the plan upheld its denial on appeal")
        return notice.on, "; ".join(dict.fromkeys(reasons)), ", ".join(dict.fromkeys(codes))

    def draft(self, claim_id: int) -> AppealDraft:
        """The case and a first draft of the letter for the claim's next appeal level."""
        detail = self.views.get(claim_id)
        if detail.status.state not in APPEALABLE or (
            detail.status.state is ClaimState.APPEAL_DECIDED
            and detail.status.outcome is not None
            and detail.status.outcome.value == "overturned"
        ):
            raise InvalidInput.single(
                "claim",
                f"claim {detail.row.number} is {detail.status.describe().lower()}: only a denied, partly "
                "paid or upheld claim can be appealed",
            )
        with self.db.reader() as session:
            rules = payer_rules(session, detail.row.payer_id)
            superbill = (
                session.scalar(
                    select(IssuedSuperbill.number).where(IssuedSuperbill.id == detail.superbill_id)
                )
                if detail.superbill_id
                else None
            )
        status = status_of(detail.events)
        current = status.appeal_level if status.appeal_level in {r.key for r in rules.levels} else None
        level = rules.next_level(current)
        if level is None:
            raise InvalidInput.single("claim", "every appeal level of this plan has been used")
        deadlines = claim_deadlines(
            rules, [line.service_date for line in detail.lines], detail.events, self.today()
        )
        deadline = next((d for d in deadlines if d.kind is DeadlineKind.APPEAL), None)
        patient = self.patients.get(detail.row.patient_id)
        coverage = self.coverages.get(detail.coverage_id)
        payer = self.payers.get(detail.row.payer_id)
        sessions = self._sessions(detail)
        provider = next(
            (self.providers.get(s.provider_id) for s in sessions if s.provider_id is not None), None
        )
        clinic = next((self.providers.get(s.clinic_id) for s in sessions if s.clinic_id is not None), None)
        codes: list[str] = []
        for s in sessions:
            codes += [c for c in s.diagnoses if c not in codes]
        icd = self.icd()
        diagnoses = tuple(Diagnosis(code, icd.describe(code) or "") for code in codes)
        denial_date, reason, denial_codes = self._denial(detail)
        history = [
            s
            for s in self.infusions.list(InfusionFilter(patient_id=patient.id))
            if s.service_date <= self.today()
        ]
        scores = tuple(
            ScorePoint(
                s.service_date,
                s.phq9_before if s.phq9_before is not None else s.phq9_after,
                s.gad7_before if s.gad7_before is not None else s.gad7_after,
                s.pain_before if s.pain_before is not None else s.pain_after,
            )
            for s in history
        )
        plan = None
        if sessions:
            latest = max(sessions, key=lambda s: s.service_date)
            dose = f"{latest.dose_mg} mg" if latest.dose_mg is not None else "dose as recorded"
            if latest.dose_mg is not None and latest.weight_kg:
                dose += f" ({(latest.dose_mg / latest.weight_kg).quantize(ZERO)} mg/kg)"
            frequency, duration = _frequency(history or sessions)
            plan = TreatmentPlan(latest.drug.label, dose, latest.route.label, frequency, duration)
        if detail.filer is Filer.CLINIC and clinic is not None:
            sender_name = clinic.name
            sender_address = _address(
                clinic.address.line1,
                clinic.address.line2,
                clinic.address.city,
                clinic.address.state,
                clinic.address.postal_code,
            )
            sender_phone = clinic.phone
        else:
            sender_name = patient.legal_name
            a = patient.address
            sender_address = _address(a.line1, a.line2, a.city, a.state, a.postal_code)
            sender_phone = patient.phone
        enclosures = [f"Denial notice dated {denial_date.isoformat()}"]
        if superbill:
            enclosures.append(f"Itemized superbill {superbill}")
        enclosures += [a.description or a.original_name for a in detail.attachments]
        enclosures.append("Treatment records and outcome scores (summarised above)")
        case = AppealCase(
            sender_name=sender_name,
            sender_address=sender_address,
            payer_name=payer.name,
            appeals_address=_lines(payer.appeals_address) or _lines(payer.claims_address),
            level_name=level.name,
            claim_number=detail.row.payer_claim_number or detail.row.number,
            member_id=coverage.member_id,
            patient_name=patient.legal_name,
            patient_dob=patient.date_of_birth,
            service_dates=tuple(sorted({line.service_date for line in detail.lines})),
            amount_billed=detail.money.billed,
            amount_denied=detail.money.billed - detail.money.paid,
            denial_date=denial_date,
            denial_reason=reason,
            diagnoses=diagnoses,
            treatments=tuple(self.treatments.for_patient(patient.id or 0)),
            plan=plan,
            scores=scores,
            enclosures=tuple(dict.fromkeys(enclosures)),
            provider_name=provider.name if provider else "",
            provider_npi=provider.npi if provider else "",
            group_number=coverage.group_number,
            sender_phone=sender_phone,
            denial_codes=denial_codes,
            deadline=deadline,
        )
        return AppealDraft(claim_id, level.key, level.name, case, draft_paragraphs(case), deadline)

    # --- issuing ----------------------------------------------------------------------------------

    def _letter(self, draft: AppealDraft, paragraphs: Sequence[str], number: str, on: date) -> AppealLetter:
        cleaned = tuple(p.strip() for p in paragraphs if p.strip())
        if not cleaned:
            raise InvalidInput.single("text", "the letter has no text")
        if len(cleaned) > MAX_PARAGRAPHS:
            raise InvalidInput.single("text", f"at most {MAX_PARAGRAPHS} paragraphs")
        for paragraph in cleaned:
            if problem := text_problem(paragraph, max_len=5000, multiline=True):
                raise InvalidInput.single("text", problem)
        return AppealLetter(draft.case, cleaned, number, on)

    def preview_pdf(self, claim_id: int, paragraphs: Sequence[str]) -> bytes:
        """The letter as it would be issued (marked as a draft), for a preview."""
        from kettrack.reports.appeal_letter import render_appeal_letter

        draft = self.draft(claim_id)
        return render_appeal_letter(self._letter(draft, paragraphs, "DRAFT", self.today()), draft=True)

    def issue(
        self, claim_id: int, paragraphs: Sequence[str], *, filed_on: date, note: str = ""
    ) -> LetterInfo:
        """Render and keep the letter, and record the appeal as filed at the next level: all or nothing."""
        from kettrack.reports.appeal_letter import render_appeal_letter

        draft = self.draft(claim_id)
        if filed_on > self.today():
            raise InvalidInput.single("date", "this date is in the future")
        with self.db.reader() as session:
            next_id = int(session.scalar(select(func.coalesce(func.max(AppealLetterEntry.id), 0))) or 0) + 1
        number = f"AP-{next_id:06d}"
        content = render_appeal_letter(self._letter(draft, paragraphs, number, filed_on))
        path = make_private_dir(self.folder) / f"{number}.pdf"
        write_private(path, content)
        try:
            with self.db.session() as session:
                event_id = self.claims.record_in(
                    session,
                    claim_id,
                    NewEvent(
                        # An external review is its own state: an independent reviewer, not the plan, decides.
                        EventKind.EXTERNAL_REVIEW_FILED
                        if draft.level == "external"
                        else EventKind.APPEAL_FILED,
                        filed_on,
                        note=note or f"Appeal letter {number} sent",
                        appeal_level=None if draft.level == "external" else draft.level,
                    ),
                )
                row = AppealLetterEntry(
                    claim_id=claim_id,
                    event_id=event_id,
                    number=number,
                    level=draft.level,
                    issued_at=datetime.now(UTC),
                    file_name=path.name,
                    sha256=sha256_of(path),
                    paragraphs="\n\n".join(p.strip() for p in paragraphs if p.strip()),
                )
                session.add(row)
                session.flush()
                return LetterInfo(
                    row.id, claim_id, number, draft.level, row.issued_at, row.file_name, row.sha256
                )
        except BaseException:
            path.unlink(missing_ok=True)  # no letter on disk without its record
            raise

    def letter_path(self, letter_id: int) -> Path:
        with self.db.reader() as session:
            row = session.get(AppealLetterEntry, letter_id)
            if row is None:
                raise NotFound("appeal letter", letter_id)
            path = self.folder / row.file_name
            if not path.is_file():
                raise InvalidInput.single("letter", f"the file of letter {row.number} is missing")
            if sha256_of(path) != row.sha256:
                raise InvalidInput.single(
                    "letter", f"the file of letter {row.number} was changed after issuing"
                )
            return path
