"""An appeal's case from the record, for the appeal letter (``kettrack.services.letters``): the claim,
the denial and its reason codes read by the triage, the next level and its deadline, the amount in
dispute, diagnoses, treatments tried, the course of treatment with its outcome scores, the authorization
and submission on file, and who sends the letter. Nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select

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
from kettrack.core.claims import DECISION_EVENTS, ZERO, Filer
from kettrack.core.deadlines import DeadlineKind
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.letter_amounts import amount_in_dispute, disputed_dates
from kettrack.core.letter_evidence import EvidenceReference, references_for
from kettrack.core.letter_fixes import LetterRecords, letter_problems
from kettrack.core.letter_kinds import NOT_AN_APPEAL, Argument, LetterKind, arguments_for, letter_route
from kettrack.core.letter_text import appeal_blocks
from kettrack.core.problems import InvalidInput
from kettrack.core.reason_codes import split_remarks
from kettrack.core.records import InfusionRecord
from kettrack.core.rows import InfusionFilter
from kettrack.core.superbill import Diagnosis
from kettrack.services.appeal_drafting import (
    authorization_on_file,
    codes_and_reasons,
    dispute_lines,
    enclosures,
    last_event,
    next_level,
    submission,
    text_lines,
)
from kettrack.services.claims import ClaimService
from kettrack.store.claim_records import payer_rules
from kettrack.store.claim_views import ClaimViews
from kettrack.store.database import Database
from kettrack.store.infusions import InfusionRepository
from kettrack.store.models import EvidenceReferenceEntry, IssuedSuperbill, ServiceLine
from kettrack.store.people import (
    CoverageRepository,
    PatientRepository,
    PayerRepository,
    ProviderRepository,
    TreatmentRepository,
)
from kettrack.store.prior_auths import ReasonCodeRepository

__all__ = ["EXTERNAL_LEVEL", "AppealCases"]

# The ERISA level that is filed as an external review (EventKind.EXTERNAL_REVIEW_FILED).
EXTERNAL_LEVEL = "external"


class AppealCases:
    """Gathers an appeal's case from the repositories (the appeal service builds on it)."""

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
            gaps=tuple(
                letter_problems(
                    case,
                    LetterRecords(
                        claim_id, detail.row.number, payer.id, detail.row.patient_id, detail.coverage_id
                    ),
                )
            ),
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
