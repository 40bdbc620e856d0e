"""What an appeal or external review draft lacks that a record holds, as problems that name the record
and field and carry the command that fixes each (the pre-flight problems of superbills,
kettrack.core.bill_problems.BillProblem), so the letter editor can open the record and the command line
can print ``fix:`` under the advice.

The advice itself (kettrack.core.appeal.case_warnings) stays the person's words; these problems only
add where to fix what the advice names. Nothing here is ever printed in a letter.
"""

from __future__ import annotations

from dataclasses import dataclass

from kettrack.core.appeal import AppealCase
from kettrack.core.bill_problems import BillProblem, RecordKind, edit_fix
from kettrack.core.letter_kinds import Argument

__all__ = ["LetterRecords", "letter_problems"]


@dataclass(frozen=True)
class LetterRecords:
    """The records a letter's case was gathered from (AppealCase holds their words, not their ids)."""

    claim_id: int | None = None
    claim_reference: str = ""  # kettrack's own number (CL-000012): the command line takes it
    payer_id: int | None = None
    patient_id: int | None = None
    coverage_id: int | None = None


def letter_problems(case: AppealCase, records: LetterRecords) -> list[BillProblem]:
    """The record-held gaps of the letter's case, each with the command that fills it."""
    problems: list[BillProblem] = []
    claim = records.claim_reference or (str(records.claim_id) if records.claim_id is not None else "")
    if not case.appeals_address:
        problems.append(
            BillProblem(
                "The payer has no appeals address: the letter would have no address",
                RecordKind.PAYER,
                records.payer_id,
                "appeals_address",
                edit_fix(RecordKind.PAYER, records.payer_id, "--appeals-address", "ADDRESS"),
            )
        )
    if not case.claim_number:
        # A note records the number whatever the claim's state (acknowledging is refused once decided).
        fix = f"kettrack claims note {claim} --payer-claim-number CLAIM_NUMBER" if claim else ""
        problems.append(
            BillProblem(
                "The payer's claim number is not recorded",
                RecordKind.CLAIM,
                records.claim_id,
                "payer_claim_number",
                fix,
            )
        )
    if Argument.MEDICAL_NECESSITY in case.arguments and not case.treatments:
        fix = (
            f"kettrack treatments add --patient {records.patient_id} --kind KIND --name NAME"
            if records.patient_id is not None
            else ""
        )
        problems.append(
            BillProblem(
                "No earlier treatments are recorded for the patient",
                RecordKind.PATIENT,
                records.patient_id,
                "treatments",
                fix,
            )
        )
    if Argument.AUTHORIZATION in case.arguments and case.authorization is None:
        fix = (
            f"kettrack auths add --coverage {records.coverage_id} --number AUTH_NUMBER --claim {claim}"
            if records.coverage_id is not None and claim
            else ""
        )
        problems.append(
            BillProblem(
                "No prior authorization is linked to the claim",
                RecordKind.CLAIM,
                records.claim_id,
                "prior_authorization",
                fix,
            )
        )
    return problems
