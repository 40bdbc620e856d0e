"""What an appeal draft lacks that a record holds, as problems naming the record and field with the
command that fixes each: the payer's appeals address, the payer's claim number, the earlier
treatments a medical-necessity letter cites, and the prior authorization an authorization letter
cites."""

from __future__ import annotations

import pytest

from kettrack.core.bill_problems import RecordKind
from kettrack.core.letter_fixes import LetterRecords, letter_problems
from kettrack.core.letter_kinds import Argument
from tests.core.test_letters import _case

RECORDS = LetterRecords(claim_id=12, claim_reference="CL-000012", payer_id=3, patient_id=5, coverage_id=7)


@pytest.mark.parametrize(
    ("changes", "record", "record_id", "field", "fix"),
    [
        (
            {"appeals_address": ()},
            RecordKind.PAYER,
            3,
            "appeals_address",
            "kettrack payers edit 3 --appeals-address ADDRESS",
        ),
        (
            {"claim_number": ""},
            RecordKind.CLAIM,
            12,
            "payer_claim_number",
            "kettrack claims note CL-000012 --payer-claim-number CLAIM_NUMBER",
        ),
        (
            {"treatments": ()},
            RecordKind.PATIENT,
            5,
            "treatments",
            "kettrack treatments add --patient 5 --kind KIND --name NAME",
        ),
        (
            {"arguments": (Argument.AUTHORIZATION,), "authorization": None},
            RecordKind.CLAIM,
            12,
            "prior_authorization",
            "kettrack auths add --coverage 7 --number AUTH_NUMBER --claim CL-000012",
        ),
    ],
)
def test_each_gap_names_its_record_and_the_command(
    changes: dict[str, object], record: RecordKind, record_id: int, field: str, fix: str
) -> None:
    assert letter_problems(_case(), RECORDS) == []  # a complete case lacks nothing
    (problem,) = letter_problems(_case(**changes), RECORDS)
    assert (problem.record, problem.record_id, problem.field, problem.fix) == (record, record_id, field, fix)
    assert problem.how_to_fix() == fix


def test_treatments_matter_only_to_a_medical_necessity_letter() -> None:
    case = _case(treatments=(), arguments=(Argument.TIMELY_FILING,))
    assert letter_problems(case, RECORDS) == []


def test_without_the_records_ids_the_window_is_named_instead() -> None:
    (problem,) = letter_problems(_case(appeals_address=()), LetterRecords())
    assert problem.fix == ""
    assert problem.how_to_fix() == "in the window: People › Payers (payer, field appeals_address)"
