"""The treating provider's letters: a letter of medical necessity (for the provider to sign) and a
request for prior authorization, drafted from the patient's record.

Both are signed by the treating provider and sent from the clinic; the payer is addressed at the
address on its record (its appeals address, where a letter of medical necessity usually goes with an
appeal; the person may send a prior authorization request to the plan's utilization review instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kettrack.core.appeal import ScorePoint, TreatmentPlan
from kettrack.core.enums import Drug
from kettrack.core.letter_arguments import (
    FILL_IN,
    dates_text,
    diagnosis_text,
    history_text,
    outcomes_text,
    plan_text,
)
from kettrack.core.letter_evidence import ESKETAMINE_APPROVAL, EvidenceReference, numbered
from kettrack.core.letter_kinds import LetterKind
from kettrack.core.letter_text import LetterBlock, LetterFacts
from kettrack.core.records import TreatmentRecord
from kettrack.core.superbill import Diagnosis


@dataclass(frozen=True)
class ClinicalCase:
    """A patient's treatment as the treating provider presents it to the payer."""

    patient_name: str
    patient_dob: date | None
    member_id: str
    group_number: str
    payer_name: str
    payer_address: tuple[str, ...]
    provider_name: str  # with credentials, "Dana Reyes, MD"
    provider_npi: str
    office_name: str  # the clinic (or the provider's own practice)
    office_address: tuple[str, ...]
    office_phone: str
    diagnoses: tuple[Diagnosis, ...]
    treatments: tuple[TreatmentRecord, ...]
    plan: TreatmentPlan | None
    scores: tuple[ScorePoint, ...]
    drug: Drug | None = None
    claim_number: str = ""  # the payer's, when the letter supports a claim
    service_dates: tuple[date, ...] = ()
    codes: str = ""  # for an authorization request: "G2083 G2082"
    units: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    evidence: tuple[EvidenceReference, ...] = ()


def _lowered(name: str) -> str:
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _treatment_words(case: ClinicalCase) -> str:
    if case.plan is not None:
        return f"treatment with {_lowered(case.plan.drug)} ({case.plan.route})"
    return f"treatment with {_lowered(case.drug.label)}" if case.drug else "the treatment described below"


def _record(case: ClinicalCase) -> list[str]:
    return [
        p
        for p in (
            diagnosis_text(case.diagnoses),
            history_text(case.treatments),
            plan_text(case.plan, case.provider_name, case.provider_npi),
            outcomes_text(case.scores),
        )
        if p
    ]


def medical_necessity_blocks(case: ClinicalCase) -> tuple[LetterBlock, ...]:
    """The letter of medical necessity's first draft, in the treating provider's voice."""
    treatment = _treatment_words(case)
    opening = (
        f"I am the treating provider of {case.patient_name}"
        + (f" (born {case.patient_dob.isoformat()})" if case.patient_dob else "")
        + f", member ID {case.member_id}. I write to document that {treatment} is medically necessary "
        "for this patient."
    )
    if case.claim_number:
        dates = dates_text(case.service_dates)
        opening += f" This letter supports claim {case.claim_number} for services on {dates}."
    blocks = [LetterBlock("opening", "", opening)]
    record = _record(case)
    if record:
        blocks.append(LetterBlock("clinical_history", "Clinical history", "\n\n".join(record)))
    if case.drug is Drug.ESKETAMINE:
        blocks.append(LetterBlock("approval", "FDA approval", ESKETAMINE_APPROVAL))
    elif case.evidence:
        blocks.append(LetterBlock("evidence", "Published evidence", numbered(case.evidence)))
    blocks.append(
        LetterBlock(
            "statement",
            "Medical necessity",
            "In my professional judgment this treatment is medically necessary for this patient: the "
            "treatments listed above failed or could not be tolerated, and the patient's measured response "
            "supports continuing it as planned. Stopping it would leave the patient without an effective "
            "treatment for the condition above.",
        )
    )
    blocks.append(
        LetterBlock(
            "closing",
            "",
            "Please contact my office at the address or telephone number above if you need anything further.",
        )
    )
    return tuple(blocks)


def prior_authorization_blocks(case: ClinicalCase) -> tuple[LetterBlock, ...]:
    """The prior authorization request's first draft."""
    codes = case.codes or f"{FILL_IN}the procedure and drug codes]"
    units = f"{case.units} units" if case.units else f"{FILL_IN}the number of sessions or units]"
    if case.period_from and case.period_to:
        period = f"from {case.period_from.isoformat()} to {case.period_to.isoformat()}"
    else:
        period = f"for {FILL_IN}the period the authorization should cover]"
    request = (
        f"I request prior authorization for {_treatment_words(case)} for {case.patient_name}, member ID "
        f"{case.member_id}: {codes}, {units}, {period}."
    )
    blocks = [LetterBlock("request", "", request)]
    record = _record(case)
    if record:
        blocks.append(LetterBlock("clinical_history", "Clinical information", "\n\n".join(record)))
    if case.drug is Drug.ESKETAMINE:
        blocks.append(LetterBlock("approval", "FDA approval", ESKETAMINE_APPROVAL))
    blocks.append(
        LetterBlock(
            "closing",
            "",
            "Please send the authorization number and the approved dates and units to my office at the "
            "address above. The clinical notes are available on request.",
        )
    )
    return tuple(blocks)


def clinical_facts(case: ClinicalCase, kind: LetterKind) -> LetterFacts:
    """What the provider's letters print around their text."""
    subject = (
        "Re: Letter of medical necessity"
        if kind is LetterKind.MEDICAL_NECESSITY
        else "Re: Request for prior authorization"
    ) + f" for {case.patient_name}"
    references = [
        f"Patient: {case.patient_name}"
        + (f", born {case.patient_dob.isoformat()}" if case.patient_dob else ""),
        f"Member ID: {case.member_id}" + (f", group {case.group_number}" if case.group_number else ""),
    ]
    if case.claim_number:
        references.append(f"Claim number: {case.claim_number}")
    references.append(
        f"Treating provider: {case.provider_name}"
        + (f", NPI {case.provider_npi}" if case.provider_npi else "")
    )
    department = "Utilization management" if kind is LetterKind.PRIOR_AUTHORIZATION else "Medical director"
    recipient = (case.payer_name, department, *case.payer_address)
    signer = tuple(
        p
        for p in (
            case.provider_name,
            f"NPI {case.provider_npi}" if case.provider_npi else "",
            "Treating provider",
        )
        if p
    )
    return LetterFacts(
        kind=kind,
        sender=tuple(p for p in (case.office_name, *case.office_address, case.office_phone) if p),
        recipient=recipient,
        subject=subject,
        references=tuple(references),
        signer=signer,
        scores=case.scores,
        payer_claim_number=case.claim_number,
        patient_name=case.patient_name,
    )
