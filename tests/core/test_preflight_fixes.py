"""Pre-flight problems of people's records, sessions and lines carry the command that fixes them: a
table of each kind of problem with the record it names and the exact command (placeholders in
capitals), plus a diagnosis the ICD-10-CM check refuses, replaced in every session that holds it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kettrack.core.bill_problems import PLACEHOLDERS, RecordKind, edit_fix
from kettrack.core.icd10 import Icd10Index
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import Address
from kettrack.core.service_lines import ServiceLine
from kettrack.core.superbill import Diagnosis, Superbill, preflight
from tests.core.test_line_rules import (
    CATALOG,
    CLINIC,
    COVERAGE,
    ESK,
    IV,
    PATIENT,
    PROVIDER,
    _bill,
    _line,
)

NO_ADDRESS = Address()


def _iv_bill(lines: tuple[ServiceLine, ...] = (_line("96365"),), **kw: object) -> Superbill:
    """An IV ketamine session's complete superbill, with ``kw`` broken."""
    return _bill(lines, IV, **kw)


# what is broken, the words of the problem, its record and id, the command that fixes it
TABLE = [
    ({"provider": replace(PROVIDER, npi="")}, "Provider NPI is missing", RecordKind.PROVIDER, 8,
     "kettrack providers edit 8 --npi NPI"),
    ({"provider": replace(PROVIDER, npi="1234567890")}, "check digit", RecordKind.PROVIDER, 8,
     "kettrack providers edit 8 --npi NPI"),
    ({"provider": replace(PROVIDER, phone="")}, "Provider phone", RecordKind.PROVIDER, 8,
     "kettrack providers edit 8 --phone PHONE"),
    ({"provider": replace(PROVIDER, credentials="")}, "credentials", RecordKind.PROVIDER, 8,
     "kettrack providers edit 8 --credentials CREDENTIALS"),
    ({"clinic": replace(CLINIC, address=replace(CLINIC.address, city=""))}, "Clinic address",
     RecordKind.PROVIDER, 7, "kettrack providers edit 7 --city CITY"),
    ({"clinic": replace(CLINIC, address=NO_ADDRESS)}, "Clinic address", RecordKind.PROVIDER, 7,
     "kettrack providers edit 7 --address-line1 STREET --city CITY"),
    # The TIN goes on the clinic when there is one, else on the provider.
    ({"clinic": replace(CLINIC, tin="")}, "TIN/EIN (tax ID) is missing", RecordKind.PROVIDER, 7,
     "kettrack providers edit 7 --tin TIN"),
    ({"clinic": None}, "TIN/EIN (tax ID) is missing", RecordKind.PROVIDER, 8,
     "kettrack providers edit 8 --tin TIN"),
    ({"patient": replace(PATIENT, date_of_birth=None)}, "date of birth", RecordKind.PATIENT, 3,
     "kettrack patients edit 3 --dob YYYY-MM-DD"),
    ({"patient": replace(PATIENT, address=replace(PATIENT.address, line1=""))}, "Patient address",
     RecordKind.PATIENT, 3, "kettrack patients edit 3 --address-line1 STREET"),
    ({"coverage": replace(COVERAGE, member_id="")}, "member ID", RecordKind.COVERAGE, 4,
     "kettrack coverages edit 4 --member-id MEMBER_ID"),
    ({"coverage": None}, "Insurance is missing", RecordKind.PATIENT, 3,
     "kettrack coverages add --patient 3 --payer PAYER_ID --member-id MEMBER_ID"),
    ({"diagnoses": ()}, "No diagnosis", RecordKind.SESSION, 1, "kettrack infusions edit 1 --dx ICD10"),
]  # fmt: skip


@pytest.mark.parametrize(("broken", "words", "record", "record_id", "fix"), TABLE)
def test_each_problem_prints_the_command_that_fixes_it(
    broken: dict[str, object], words: str, record: RecordKind, record_id: int, fix: str
) -> None:
    assert preflight(_iv_bill(), None, CATALOG) == []  # the table's bill is complete as it stands
    problem = next(p for p in preflight(_iv_bill(**broken), None, CATALOG) if words in p.message)
    assert (problem.record, problem.record_id, problem.fix) == (record, record_id, fix)
    assert problem.how_to_fix() == fix
    # Every word the person replaces is a declared placeholder (the CLI tests put values in for them).
    assert {w for w in fix.split() if w.isupper() and not w.startswith("-")} <= set(PLACEHOLDERS)


def test_the_rems_site_zip_is_fixed_on_the_site() -> None:
    site = replace(CLINIC, address=replace(CLINIC.address, postal_code=""))
    bill = _bill((_line("G2082", mods=("KX",)),), ESK, clinic=site)
    zip_problem = next(p for p in preflight(bill, None, CATALOG) if "ZIP" in p.message)
    assert zip_problem.fix == "kettrack providers edit 7 --postal-code ZIP"


def test_five_modifiers_keep_the_first_four() -> None:
    bill = _iv_bill(lines=(_line("96365", mods=("25", "59", "XU", "GA", "GY")),))
    problem = next(p for p in preflight(bill, None, CATALOG) if "4 modifiers" in p.message)
    assert problem.fix == (
        "kettrack lines set --session 1 --code 96365 --modifier 25 --modifier 59 --modifier XU --modifier GA"
    )


def test_no_diagnosis_on_several_sessions_fixes_each() -> None:
    lines = (_line("96365"), replace(_line("96365"), infusion_id=2))
    problem = next(
        p for p in preflight(_iv_bill(lines=lines, diagnoses=()), None, CATALOG) if p.field == "diagnoses"
    )
    assert problem.fix == "kettrack infusions edit 1 --dx ICD10 && kettrack infusions edit 2 --dx ICD10"


def test_a_refused_diagnosis_is_replaced_where_it_is_held(icd10: Icd10Index) -> None:
    # Sessions 1 and 2 point to F41 (B); session 3 only to F33.2 (A).
    lines = (
        replace(_line("96365"), pointers="AB"),
        replace(_line("96365"), pointers="B", infusion_id=2),
        replace(_line("96365"), pointers="A", infusion_id=3),
    )
    bill = _iv_bill(lines=lines, diagnoses=(Diagnosis("F33.2", ""), Diagnosis("F41", "")))
    problem = next(p for p in preflight(bill, Icd10Releases([icd10]), CATALOG) if p.field == "diagnoses")
    assert problem.message.startswith("F41 is not a billable code")
    assert (problem.record, problem.record_id) == (RecordKind.SESSION, 1)
    assert problem.fix == (
        "kettrack infusions edit 1 --replace-dx F41 ICD10 && kettrack infusions edit 2 --replace-dx F41 ICD10"
    )


def test_records_without_an_id_or_an_edit_command_have_no_command() -> None:
    assert edit_fix(RecordKind.PROVIDER, None, "--npi", "NPI") == ""
    assert edit_fix(RecordKind.SUPERBILL, 1) == ""
    assert edit_fix(RecordKind.PAYER, 2, "--appeals-address", "PO Box 1\nTown") == (
        "kettrack payers edit 2 --appeals-address 'PO Box 1\nTown'"
    )
