"""An appeal letter's content as plain data, and the first draft of its text built from the record.

The medical-necessity case a reviewer looks for: the diagnosis, the treatments tried before and why
they failed, the treatment plan (drug, dose, frequency, duration), and outcome scores before and
after. The person edits the drafted paragraphs before the letter is issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kettrack.core.deadlines import Deadline
from kettrack.core.money import format_usd
from kettrack.core.records import TreatmentRecord
from kettrack.core.superbill import Diagnosis


@dataclass(frozen=True)
class ScorePoint:
    """Outcome scores measured on one day (any may be missing)."""

    day: date
    phq9: int | None = None
    gad7: int | None = None
    pain: int | None = None


@dataclass(frozen=True)
class TreatmentPlan:
    drug: str
    dose: str
    route: str
    frequency: str
    duration: str


@dataclass(frozen=True)
class AppealCase:
    """Everything the letter states, gathered from the claim, the patient's record and the denial."""

    sender_name: str
    sender_address: tuple[str, ...]
    payer_name: str
    appeals_address: tuple[str, ...]
    level_name: str
    claim_number: str
    member_id: str
    patient_name: str
    patient_dob: date | None
    service_dates: tuple[date, ...]
    amount_billed: Decimal
    amount_denied: Decimal
    denial_date: date
    denial_reason: str
    diagnoses: tuple[Diagnosis, ...]
    treatments: tuple[TreatmentRecord, ...]
    plan: TreatmentPlan | None
    scores: tuple[ScorePoint, ...]
    enclosures: tuple[str, ...]
    provider_name: str = ""
    provider_npi: str = ""
    group_number: str = ""
    sender_phone: str = ""
    denial_codes: str = ""
    deadline: Deadline | None = None


@dataclass(frozen=True)
class AppealLetter:
    """A letter ready to render: the case, its (edited) paragraphs, and its number and date."""

    case: AppealCase
    paragraphs: tuple[str, ...]
    letter_number: str
    issued_on: date


def _dates(days: tuple[date, ...]) -> str:
    ordered = sorted(days)
    if not ordered:
        return "the dates listed above"
    if len(ordered) == 1:
        return ordered[0].isoformat()
    return f"{ordered[0].isoformat()} to {ordered[-1].isoformat()} ({len(ordered)} sessions)"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def score_change(scores: tuple[ScorePoint, ...], attribute: str) -> tuple[int, int] | None:
    """The first and the latest recorded value of a score, if it was recorded at least twice."""
    values = [
        getattr(p, attribute)
        for p in sorted(scores, key=lambda p: p.day)
        if getattr(p, attribute) is not None
    ]
    return (values[0], values[-1]) if len(values) >= 2 else None


def draft_paragraphs(case: AppealCase) -> tuple[str, ...]:
    """A first draft of the letter body; plain sentences the person can edit."""
    paragraphs = [
        f"I am writing to request {_article(case.level_name)} {case.level_name.lower()} of the decision "
        f"dated {case.denial_date.isoformat()} on claim {case.claim_number} for {case.patient_name}, "
        f"member ID {case.member_id}, covering services on {_dates(case.service_dates)}. The amount billed "
        f"was {format_usd(case.amount_billed)}, of which {format_usd(case.amount_denied)} was denied.",
    ]
    reason = case.denial_reason.strip() or "no specific reason"
    codes = f" (adjustment codes {case.denial_codes})" if case.denial_codes else ""
    paragraphs.append(
        f"The plan denied the claim for this reason: {reason}{codes}. I ask that this decision be reversed "
        "because the treatment was medically necessary, as the record below shows."
    )
    if case.diagnoses:
        listed = "; ".join(f"{d.code} {d.description}" for d in case.diagnoses)
        paragraphs.append(f"Diagnosis: {listed}.")
    if case.treatments:
        tried = "; ".join(
            f"{t.name}{' (' + t.details + ')' if t.details else ''}: {t.outcome.label.lower()}"
            for t in case.treatments
        )
        paragraphs.append(
            f"Before this treatment, {len(case.treatments)} other treatments were tried and did not "
            f"succeed: {tried}."
        )
    if case.plan:
        p = case.plan
        paragraphs.append(
            f"Treatment plan: {p.drug}, {p.dose}, {p.route}, {p.frequency}, for {p.duration}, "
            f"under the care of {case.provider_name or 'the treating provider'}"
            + (f" (NPI {case.provider_npi})." if case.provider_npi else ".")
        )
    changes = []
    for attribute, label in (
        ("phq9", "PHQ-9 depression score"),
        ("gad7", "GAD-7 anxiety score"),
        ("pain", "pain score (0-10)"),
    ):
        change = score_change(case.scores, attribute)
        if change:
            changes.append(f"the {label} went from {change[0]} to {change[1]}")
    if changes:
        paragraphs.append("The treatment is working: " + "; ".join(changes) + ".")
    if case.deadline:
        paragraphs.append(
            f"This request is made within the time allowed ({case.deadline.rule}, {case.deadline.source}; "
            f"due by {case.deadline.due.isoformat()})."
        )
    paragraphs.append(
        "Please review the enclosed documents, reverse the denial and process the claim for payment. "
        "If you need anything else, contact me at the address above."
    )
    return tuple(paragraphs)
