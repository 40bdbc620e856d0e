"""The case a provider's letter is drafted from (a letter of medical necessity, a prior authorization
request; kettrack.services.letter_drafts): the patient, coverage and payer, the treating provider and
office, diagnoses, treatments tried, the course with its outcome scores, the claim's dates when the
letter is about one, and the advice on what the record lacks (never part of the letter). Nothing here
writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date

from kettrack.core.appeal import failed_treatments, score_points, treatment_plan
from kettrack.core.claims import Filer
from kettrack.core.enums import CoverageRank, Drug
from kettrack.core.letter_clinical import ClinicalCase
from kettrack.core.letter_evidence import EvidenceReference, references_for
from kettrack.core.letter_kinds import LetterKind
from kettrack.core.problems import InvalidInput
from kettrack.core.rows import InfusionFilter
from kettrack.services.appeal_drafting import text_lines
from kettrack.services.letters import AppealService
from kettrack.store.models import LetterDraftEntry

__all__ = ["clinical_case", "patient_of"]


def patient_of(appeals: AppealService, claim_id: int | None, patient_id: int | None) -> int:
    """The patient a letter is about: the claim's, else the one named (which must exist)."""
    if claim_id is not None:
        return appeals.views.row(claim_id).patient_id
    if patient_id is None:
        raise InvalidInput.single("patient", "say which patient the letter is about")
    appeals.patients.get(patient_id)  # NotFound for a wrong id
    return patient_id


def clinical_case(
    appeals: AppealService,
    row: LetterDraftEntry,
    patient_id: int | None,
    library: Callable[[], Sequence[EvidenceReference]],
) -> tuple[ClinicalCase, tuple[str, ...]]:
    """The provider's letter's case from the record, and the advice on what it lacks."""
    ap = appeals
    patient_id = patient_of(ap, row.claim_id, patient_id or row.patient_id or None)
    patient = ap.patients.get(patient_id)
    claim_number = ""
    service_dates: tuple[date, ...] = ()
    claimed_ids: set[int | None] = set()
    coverage_id = row.coverage_id
    if row.claim_id is not None:
        detail = ap.views.get(row.claim_id)
        claim_number = detail.row.payer_claim_number.strip()
        service_dates = tuple(sorted({line.service_date for line in detail.lines}))
        coverage_id = coverage_id or detail.coverage_id
        claimed_ids = {
            s.id
            for s in ap.infusions.list(InfusionFilter(patient_id=patient_id))
            if s.service_date in service_dates
        }
    if coverage_id is None:
        primary = [c for c in ap.coverages.for_patient(patient_id) if c.rank is CoverageRank.PRIMARY]
        if not primary:
            raise InvalidInput.single("coverage", "the patient has no primary coverage: choose one")
        coverage_id = primary[0].id
    assert coverage_id is not None
    coverage = ap.coverages.get(coverage_id)
    if coverage.patient_id != patient_id:
        raise InvalidInput.single("coverage", "the coverage is another patient's")
    payer = ap.payers.get(coverage.payer_id)
    sessions = ap.infusions.list(InfusionFilter(patient_id=patient_id))
    claimed = [s for s in sessions if s.id in claimed_ids] or sessions
    drug = Counter(s.drug for s in claimed).most_common(1)[0][0] if claimed else None
    course = [s for s in sessions if s.drug is drug]
    provider_name, provider_npi, office = ap._people(claimed, Filer.CLINIC, patient_id)
    address = text_lines(payer.appeals_address) or text_lines(payer.claims_address)
    if address and address[0].casefold() == payer.name.strip().casefold():
        address = address[1:]
    case = ClinicalCase(
        patient_name=patient.legal_name,
        patient_dob=patient.date_of_birth,
        member_id=coverage.member_id,
        group_number=coverage.group_number,
        payer_name=payer.name,
        payer_address=address,
        provider_name=provider_name,
        provider_npi=provider_npi,
        office_name=office[0] if provider_name else "",
        office_address=office[1] if provider_name else (),
        office_phone=office[2] if provider_name else "",
        diagnoses=ap._diagnoses(claimed),
        treatments=failed_treatments(ap.treatments.for_patient(patient_id)),
        plan=treatment_plan(course),
        scores=tuple(score_points(course)),
        drug=drug,
        claim_number=claim_number,
        service_dates=service_dates,
        codes=row.codes,
        units=row.units,
        period_from=row.period_from,
        period_to=row.period_to,
        evidence=references_for(drug, library()) if drug is Drug.KETAMINE else (),
    )
    advice: list[str] = []
    if not address:
        advice.append(
            "The payer has no address on its record: add its appeals address (Payers in the window, or "
            "kettrack payers edit ID --appeals-address ...) before sending the letter"
        )
    if not provider_name:
        advice.append("No treating provider is recorded on the patient's sessions: the letter has no signer")
    if not case.diagnoses:
        advice.append("The patient's sessions have no diagnosis codes")
    if not case.treatments:
        advice.append("No earlier treatments are recorded: add those tried before (they show necessity)")
    if len(case.scores) < 2:
        advice.append("Fewer than two sessions have outcome scores: the letter cannot show a response")
    if row.kind is LetterKind.PRIOR_AUTHORIZATION:
        advice.append(
            "Authorization requests usually go to the plan's utilization management (fax or portal), "
            "not its appeals address: check where this one goes"
        )
    return case, tuple(advice)
