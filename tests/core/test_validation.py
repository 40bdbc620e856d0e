"""Validation tables: each bad input names its field and says what is wrong; good input comes back
cleaned. Rules cite their source: the CMS NPI standard (Luhn over 80840 + 9 digits), the IRS EIN
prefix list (via python-stdnum), the ICD-10-CM billable-leaf rule, the CMS place-of-service list."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kettrack.core import validation as v
from kettrack.core.enums import ProviderKind, Relationship, TreatmentKind
from kettrack.core.problems import InvalidInput
from kettrack.core.records import (
    Address,
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
    TreatmentRecord,
)

TODAY = date(2026, 11, 23)
BIRTH = date(1980, 5, 1)

BASE: dict[str, Any] = {
    "patient": PatientRecord(
        legal_name="Ada Lovelace", date_of_birth=BIRTH, phone="555-123-4567", email="ada@example.org"
    ),
    "provider": ProviderRecord(
        name="Grace Hopper",
        credentials="MD",
        npi="1234567893",
        tin="12-3456789",
        taxonomy="2084P0800X",
        license_state="CA",
    ),
    "payer": PayerRecord(name="Acme Health", phone="1-800-555-0100"),
    "coverage": CoverageRecord(patient_id=1, payer_id=1, member_id="XYZ123"),
    "treatment": TreatmentRecord(
        patient_id=1,
        kind=TreatmentKind.MEDICATION,
        name="Sertraline",
        started_on=date(2020, 1, 1),
        ended_on=date(2021, 1, 1),
    ),
    "infusion": InfusionRecord(
        patient_id=1,
        service_date=date(2026, 11, 2),
        start_time=time(9, 0),
        end_time=time(9, 55),
        dose_mg=Decimal("35.5"),
        weight_kg=Decimal("71"),
        diagnoses=("F33.1", "F43.10"),
        payments=(PaymentRecord(date(2026, 11, 2), Decimal("450.00")),),
    ),
}


@pytest.fixture(scope="module")
def icd10(icd10: Any) -> Any:
    """The session's bundled release, as the releases side by side the checks take."""
    from kettrack.core.icd10_releases import Icd10Releases

    return Icd10Releases([icd10])


def _check(kind: str, record: Any, icd: Any) -> Any:
    if kind == "patient":
        return v.check_patient(record, TODAY)
    if kind == "provider":
        return v.check_provider(record)
    if kind == "payer":
        return v.check_payer(record)
    if kind == "coverage":
        return v.check_coverage(record, TODAY)
    if kind == "treatment":
        return v.check_treatment(record, TODAY)
    return v.check_infusion(record, today=TODAY, icd=icd, date_of_birth=BIRTH)


def _pay(amount: str) -> tuple[PaymentRecord, ...]:
    return (PaymentRecord(date(2026, 11, 2), Decimal(amount)),)


# (kind, changes to the good record, field, the message or the start of it)
BAD_RECORDS: list[tuple[str, dict[str, Any], str, str]] = [
    # --- NPI: CMS NPI standard (45 CFR 162.406): 10 digits, first 1 or 2, Luhn over 80840 + 9 digits.
    ("provider", {"npi": "1234567890"}, "npi", "NPI has a wrong check digit (last digit)"),
    ("provider", {"npi": "3234567893"}, "npi", "NPI must start with 1 or 2"),
    ("provider", {"npi": "123456789"}, "npi", "NPI must be exactly 10 digits"),
    ("provider", {"npi": "12345678931"}, "npi", "NPI must be exactly 10 digits"),
    ("provider", {"npi": "12345A7893"}, "npi", "NPI must be exactly 10 digits"),
    ("provider", {"npi": "123456789²"}, "npi", "NPI must be exactly 10 digits"),  # str.isdigit() says yes
    ("provider", {"npi": "١٢٣٤٥٦٧٨٩٣"}, "npi", "NPI must be exactly 10 digits"),  # Arabic-Indic digits
    # --- EIN: IRS-issued campus prefixes (python-stdnum stdnum.us.ein); 00 is never issued.
    (
        "provider",
        {"tin": "00-1234567"},
        "tin",
        "TIN/EIN 00-1234567 does not start with a prefix the IRS issues",
    ),
    ("provider", {"tin": "12-345678"}, "tin", "TIN/EIN must be 9 digits, written like 12-3456789"),
    ("provider", {"tin": "１２３４５６７８９"}, "tin", "TIN/EIN must be 9 digits, written like 12-3456789"),
    ("provider", {"taxonomy": "2084P0800"}, "taxonomy", "a taxonomy code is 10 characters ending in X"),
    (
        "provider",
        {"kind": ProviderKind.ORGANIZATION, "clinic_id": 4},
        "clinic_id",
        "a clinic cannot belong to another clinic",
    ),
    ("provider", {"name": "  "}, "name", "Name is required"),
    ("provider", {"license_state": "California"}, "license_state", "is too long (10 characters; at most 2)"),
    ("provider", {"phone": "call me"}, "phone", "may hold only digits, spaces and + - ( ) ."),
    # --- Names and free text: no NUL, no bidi overrides, no control characters, bounded length.
    ("patient", {"legal_name": "Ada\x00Lovelace"}, "legal_name", "contains a NUL character"),
    (
        "patient",
        {"legal_name": "Ada \u202eecalevoL"},
        "legal_name",
        "contains an invisible text-direction character (U+202E)",
    ),
    (
        "patient",
        {"legal_name": "Ada\u2067Lovelace"},
        "legal_name",
        "contains an invisible text-direction character (U+2067)",
    ),
    ("patient", {"legal_name": "Ada\x1bLovelace"}, "legal_name", "contains a control character (U+001B)"),
    ("patient", {"legal_name": "Ada\ud800"}, "legal_name", "contains a control character (U+D800)"),
    ("patient", {"legal_name": "Ada\tLovelace"}, "legal_name", "contains a control character (U+0009)"),
    ("patient", {"legal_name": ""}, "legal_name", "Legal name is required"),
    ("patient", {"legal_name": "A" * 201}, "legal_name", "is too long (201 characters; at most 200)"),
    ("patient", {"email": "ada at example.org"}, "email", "'ada at example.org' is not an e-mail address"),
    ("patient", {"email": "ada@example"}, "email", "'ada@example' is not an e-mail address"),
    ("patient", {"phone": "555-CALL-NOW"}, "phone", "may hold only digits, spaces and + - ( ) ."),
    ("patient", {"phone": "12345"}, "phone", "has too few digits to be a phone number"),
    (
        "patient",
        {"date_of_birth": date(2027, 1, 1)},
        "date_of_birth",
        "Date of birth 2027-01-01 is in the future",
    ),
    (
        "patient",
        {"date_of_birth": date(1899, 12, 31)},
        "date_of_birth",
        "Date of birth 1899-12-31 is before 1900",
    ),
    (
        "patient",
        {"address": Address(postal_code="12345-67890")},
        "address.postal_code",
        "is too long (11 characters; at most 10)",
    ),
    # A name of invisible characters only shows as an empty line and matches nobody in a search.
    ("patient", {"legal_name": "\u200b\u200b"}, "legal_name", "Legal name has no visible letter"),
    ("patient", {"legal_name": "\u3164"}, "legal_name", "Legal name has no visible letter"),  # Hangul filler
    ("patient", {"legal_name": "\u2060 - 42"}, "legal_name", "Legal name has no visible letter"),
    ("provider", {"name": "\ufeff"}, "name", "Name has no visible letter"),
    ("payer", {"name": "\u200d\u200c"}, "name", "Payer name has no visible letter"),
    ("payer", {"name": ""}, "name", "Payer name is required"),
    ("payer", {"claims_address": "PO Box 1\x00"}, "claims_address", "contains a NUL character"),
    # --- Coverage.
    ("coverage", {"member_id": " "}, "member_id", "Member ID is required"),
    (
        "coverage",
        {"relationship": Relationship.SPOUSE},
        "policyholder_name",
        "Policyholder name is required when the patient is not the policyholder",
    ),
    (
        "coverage",
        {"effective_from": date(2026, 1, 1), "effective_to": date(2025, 12, 31)},
        "effective_to",
        "Coverage cannot end before it starts",
    ),
    (
        "coverage",
        {"policyholder_dob": date(2030, 1, 1)},
        "policyholder_dob",
        "Policyholder's birth date 2030-01-01 is in the future",
    ),
    (
        "coverage",
        {"relationship": Relationship.SPOUSE, "policyholder_name": "\u200b"},
        "policyholder_name",
        "Policyholder name has no visible letter",
    ),
    # Coverage dates: 1900 to two years ahead (a year 0001 or 9999 is a typo, not a plan year).
    (
        "coverage",
        {"effective_from": date(1, 1, 1)},
        "effective_from",
        "Coverage start 0001-01-01 is before 1900",
    ),
    (
        "coverage",
        {"effective_to": date(9999, 12, 31)},
        "effective_to",
        "Coverage end 9999-12-31 is more than 2 years ahead (after 2028-11-23)",
    ),
    # --- Treatment history.
    ("treatment", {"ended_on": date(2019, 1, 1)}, "ended_on", "The treatment cannot end before it started"),
    (
        "treatment",
        {"started_on": date(2027, 1, 1), "ended_on": None},
        "started_on",
        "Start date 2027-01-01 is in the future",
    ),
    ("treatment", {"notes": "x" * 1_000_000}, "notes", "is too long (1,000,000 characters; at most 20,000)"),
    # --- Infusion session.
    (
        "infusion",
        {"service_date": date(2026, 11, 24)},
        "service_date",
        "Date of service 2026-11-24 is in the future",
    ),
    (
        "infusion",
        {"service_date": date(1980, 4, 30)},
        "service_date",
        "Date of service 1980-04-30 is before the patient's birth",
    ),
    (
        "infusion",
        {"service_date": date(1899, 1, 1)},
        "service_date",
        "Date of service 1899-01-01 is before 1900",
    ),
    ("infusion", {"end_time": time(8, 0)}, "end_time", "The session must end after it starts"),
    ("infusion", {"end_time": time(9, 0)}, "end_time", "The session must end after it starts"),
    ("infusion", {"end_time": None}, "end_time", "Give both the start and the end time, or neither"),
    ("infusion", {"place_of_service": "1"}, "place_of_service", "Place of service is a 2-digit CMS code"),
    ("infusion", {"place_of_service": "AB"}, "place_of_service", "Place of service is a 2-digit CMS code"),
    # CMS place-of-service code set runs 01-99; 00 is not a code.
    ("infusion", {"place_of_service": "00"}, "place_of_service", "00 is not a place-of-service code"),
    ("infusion", {"dose_mg": Decimal("0")}, "dose_mg", "must be more than zero"),
    ("infusion", {"dose_mg": Decimal("-5")}, "dose_mg", "must be more than zero"),
    ("infusion", {"dose_mg": Decimal("35.125")}, "dose_mg", "has more than 2 decimal places"),
    ("infusion", {"dose_mg": Decimal("NaN")}, "dose_mg", "must be a finite number"),
    ("infusion", {"dose_mg": Decimal("2000.01")}, "dose_mg", "is larger than 2000: check the units"),
    ("infusion", {"weight_kg": Decimal("1e309")}, "weight_kg", "is larger than 500: check the units"),
    ("infusion", {"phq9_before": 28}, "phq9_before", "PHQ-9 scores run from 0 to 27"),
    ("infusion", {"phq9_after": -1}, "phq9_after", "PHQ-9 scores run from 0 to 27"),
    ("infusion", {"gad7_after": 22}, "gad7_after", "GAD-7 scores run from 0 to 21"),
    ("infusion", {"pain_before": 11}, "pain_before", "Pain scores run from 0 to 10"),
    # ICD-10-CM: only leaf (billable) codes go on a claim (CDC ICD-10-CM guidelines I.B.2/I.B.3).
    (
        "infusion",
        {"diagnoses": ("F43.1",)},
        "diagnoses",
        "F43.1 is not a billable code: choose F43.10, F43.11 or F43.12",
    ),
    ("infusion", {"diagnoses": ("F33",)}, "diagnoses", "F33 is not a billable code: choose"),
    ("infusion", {"diagnoses": ("43.10",)}, "diagnoses", "'43.10' is not an ICD-10-CM code"),
    ("infusion", {"diagnoses": ("F4",)}, "diagnoses", "'F4' is not an ICD-10-CM code"),
    ("infusion", {"diagnoses": ("F43..10",)}, "diagnoses", "'F43..10' is not an ICD-10-CM code"),
    ("infusion", {"diagnoses": ("Z99.999",)}, "diagnoses", "Z99.999 is not in the ICD-10-CM code set"),
    ("infusion", {"diagnoses": ("",)}, "diagnoses", "is empty"),
    ("infusion", {"diagnoses": ("F33.1", "f331")}, "diagnoses", "F33.1 is listed twice"),
    # NUCC 1500 item 21: at most 12 diagnoses, pointers A-L.
    (
        "infusion",
        {
            "diagnoses": (
                "F32.0",
                "F32.1",
                "F32.2",
                "F32.3",
                "F32.4",
                "F32.5",
                "F32.9",
                "F32.A",
                "F33.0",
                "F33.1",
                "F33.2",
                "F33.3",
                "F33.9",
            )
        },
        "diagnoses",
        "At most 12 diagnoses fit on a claim (pointers A-L)",
    ),
    ("infusion", {"payments": _pay("NaN")}, "payments[1].amount", "must be a finite amount of money"),
    ("infusion", {"payments": _pay("sNaN")}, "payments[1].amount", "must be a finite amount of money"),
    (
        "infusion",
        {"payments": _pay("1e309")},
        "payments[1].amount",
        "is larger than the largest amount allowed",
    ),
    (
        "infusion",
        {"payments": _pay("12.345")},
        "payments[1].amount",
        "has more than 2 decimal places (cents)",
    ),
    ("infusion", {"payments": _pay("-5")}, "payments[1].amount", "cannot be negative"),
    ("infusion", {"payments": _pay("0")}, "payments[1].amount", "A payment must be more than zero"),
    (
        "infusion",
        {"payments": (PaymentRecord(date(2026, 12, 1), Decimal("5")),)},
        "payments[1].paid_on",
        "Payment date 2026-12-01 is in the future",
    ),
    (
        "infusion",
        {"payments": (PaymentRecord(date(2026, 11, 1), Decimal("5"), reference="R" * 51),)},
        "payments[1].reference",
        "is too long (51 characters; at most 50)",
    ),
    ("infusion", {"notes": "x" * 1_000_000}, "notes", "is too long (1,000,000 characters; at most 20,000)"),
    ("infusion", {"side_effects": "nausea\x07"}, "side_effects", "contains a control character (U+0007)"),
]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    BAD_RECORDS,
    ids=[f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(BAD_RECORDS)],
)
def test_bad_record_names_field_and_problem(
    kind: str, changes: dict[str, Any], field: str, message: str, icd10: Any
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _check(kind, replace(BASE[kind], **changes), icd10)
    messages = caught.value.for_field(field)
    assert any(m.startswith(message) for m in messages), (field, caught.value.problems)


@pytest.mark.parametrize("kind", sorted(BASE))
def test_good_record_passes(kind: str, icd10: Any) -> None:
    assert _check(kind, BASE[kind], icd10) is not None


def test_all_problems_reported_at_once() -> None:
    bad = replace(BASE["provider"], name="", npi="1234567890", tin="00-1234567", taxonomy="x")
    with pytest.raises(InvalidInput) as caught:
        v.check_provider(bad)
    assert {p.field for p in caught.value.problems} == {"name", "npi", "tin", "taxonomy"}


BAD_TEXT_INPUTS: list[tuple[str, str, str]] = [
    ("2026-02-30", "date_of_service", "2026-02-30 is not a real date"),
    ("2026-13-01", "date_of_service", "2026-13-01 is not a real date"),
    ("2025-02-29", "date_of_service", "2025-02-29 is not a real date"),
    ("0000-01-01", "date_of_service", "0000-01-01 is not a real date"),
    ("11/23/2026", "date_of_service", "'11/23/2026' is not a date: write it as YYYY-MM-DD"),
    ("2026-1-1x", "date_of_service", "'2026-1-1x' is not a date: write it as YYYY-MM-DD"),
    ("٢٠٢٦-01-01", "date_of_service", "'٢٠٢٦-01-01' is not a date: write it as YYYY-MM-DD"),
    ("", "date_of_service", "'' is not a date: write it as YYYY-MM-DD"),
]


@pytest.mark.parametrize(("text", "field", "message"), BAD_TEXT_INPUTS)
def test_parse_date_refuses(text: str, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        v.parse_date(text, field)
    assert caught.value.for_field(field) == [message]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24:00", "24:00 is not a real time of day"),
        ("9:60", "9:60 is not a real time of day"),
        ("9am", "'9am' is not a time: write it as HH:MM (24-hour)"),
        ("٩:٣٠", "'٩:٣٠' is not a time: write it as HH:MM (24-hour)"),
    ],
)
def test_parse_time_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        v.parse_time(text, "start_time")
    assert caught.value.for_field("start_time") == [message]


def test_parse_date_and_time_accept() -> None:
    assert v.parse_date(" 2024-02-29 ") == date(2024, 2, 29)
    assert v.parse_date("2026-1-5") == date(2026, 1, 5)
    assert v.parse_time("9:05") == time(9, 5)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=20), st.from_regex(r"\A-?\d{1,5}-\d{1,3}-\d{1,3}\Z")))
def test_parse_date_never_raises_anything_but_invalid_input(text: str) -> None:
    try:
        parsed = v.parse_date(text)
    except InvalidInput as exc:
        assert exc.for_field("date")
    else:
        assert parsed.isoformat() == "-".join(
            part.zfill(width) for part, width in zip(text.strip().split("-"), (4, 2, 2), strict=True)
        )


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_date_round_trips_iso(value: date) -> None:
    assert v.parse_date(value.isoformat()) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "'abc' is not a number"),
        ("0", "must be more than zero"),
        ("1.234", "has more than 2 decimal places"),
        ("Infinity", "must be a finite number"),
        ("1e309", "is larger than 2000: check the units"),
    ],
)
def test_parse_decimal_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        v.parse_decimal(text, "dose_mg", places=2, maximum=Decimal("2000"))
    assert caught.value.for_field("dose_mg") == [message]


# --- good input comes back cleaned ---------------------------------------------------------------


def test_provider_cleaned() -> None:
    raw = ProviderRecord(
        name="  Grace Hopper ",
        npi=" 12345 67893",
        tin="123456789",
        taxonomy="2084p0800x",
        license_state="ca",
        address=Address(state="ny"),
    )
    clean = v.check_provider(raw)
    assert (clean.name, clean.npi, clean.tin, clean.taxonomy) == (
        "Grace Hopper",
        "1234567893",
        "12-3456789",
        "2084P0800X",
    )
    assert clean.license_state == "CA" and clean.address.state == "NY"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1_000_000_000, max_value=2_999_999_999))
def test_npi_check_digit_agrees_with_stdnum_luhn(number: int) -> None:
    # CMS NPI standard: Luhn over "80840" + the NPI (python-stdnum's luhn is the independent oracle).
    from stdnum import luhn

    npi = str(number)
    assert (v.npi_problem(npi) is None) == luhn.is_valid("80840" + npi)


def test_infusion_codes_normalised(icd10: Any) -> None:
    record = replace(BASE["infusion"], diagnoses=(" f4310", "f339", "f32a"), place_of_service=" 11 ")
    clean = v.check_infusion(record, today=TODAY, icd=icd10)
    assert clean.diagnoses == ("F43.10", "F33.9", "F32.A")
    assert clean.place_of_service == "11"
    assert clean.dose_mg == Decimal("35.50") and clean.payments[0].amount == Decimal("450.00")


def test_f3310_is_not_billable_but_f331_is(icd10: Any) -> None:
    # F33.1 (MDD, recurrent, moderate) is a leaf; there is no F33.10.
    assert icd10.problem_with("f331") is None
    assert icd10.problem_with("f3310").startswith("F33.10 is not in the ICD-10-CM code set")


def test_multiline_text_keeps_line_breaks_and_drops_windows_cr() -> None:
    record = replace(BASE["treatment"], notes="line one\r\n\tline two\r\n", details="a\nb")
    clean = v.check_treatment(record, TODAY)
    assert clean.notes == "line one\n\tline two" and clean.details == "a\nb"


def test_names_in_any_script_pass_and_coverage_may_be_planned_ahead() -> None:
    for name in ("Ødegaard", "李小龍", "O'Brien-Núñez", "3M Health", "Ελένη"):
        assert v.check_patient(replace(BASE["patient"], legal_name=name), TODAY).legal_name == name
    ahead = replace(BASE["coverage"], effective_from=date(2027, 1, 1), effective_to=date(2028, 11, 23))
    assert v.check_coverage(ahead, TODAY) == ahead


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("SB-2026-000001-v1.pdf", None),
        ("scan of EOB (2).png", None),
        ("", "is empty"),
        ("   ", "is empty"),
        ("/etc/shadow", "'/etc/shadow' is not a plain file name"),
        ("../../x", "'../../x' is not a plain file name"),
        ("..\\x", "'..\\\\x' is not a plain file name"),
        ("C:\\x.pdf", "'C:\\\\x.pdf' is not a plain file name"),
        ("a..b.pdf", "'a..b.pdf' is not a plain file name"),
        (".hidden", "'.hidden' is not a plain file name"),
        ("a\x00b", "contains a NUL character"),
        ("a\nb.pdf", "contains a control character (U+000A)"),
        ("a\tb.pdf", "contains a control character (U+0009)"),
        ("\u202efdp.exe", "contains an invisible text-direction character (U+202E)"),
        ("x\u200f.pdf", "contains an invisible text-direction character (U+200F)"),
        ("x.pdf ", "'x.pdf ' starts or ends with a space"),
        ("x" * 101, "is too long (101 characters; at most 100)"),
    ],
)
def test_file_name_problem(name: str, problem: str | None) -> None:
    found = v.file_name_problem(name)
    assert found == problem if problem is None else (found or "").startswith(problem), found


@pytest.mark.parametrize(
    ("value", "today", "problem"),
    [
        (date(1900, 1, 1), TODAY, None),
        (date(2028, 11, 23), TODAY, None),
        (date(1899, 12, 31), TODAY, "1899-12-31 is before 1900"),
        (date(2028, 11, 24), TODAY, "2028-11-24 is more than 2 years ahead (after 2028-11-23)"),
        (date(9999, 12, 31), TODAY, "9999-12-31 is more than 2 years ahead"),
        # From a 29 February the limit is 28 February two years on (the day does not recur).
        (date(2030, 2, 28), date(2028, 2, 29), None),
        (date(2030, 3, 1), date(2028, 2, 29), "2030-03-01 is more than 2 years ahead (after 2030-02-28)"),
    ],
)
def test_plausible_date_problem(value: date, today: date, problem: str | None) -> None:
    found = v.plausible_date_problem(value, today)
    assert found == problem if problem is None else (found or "").startswith(problem), found


def test_plain_text_allows_tab_and_line_feed_only_where_multiline() -> None:
    assert v.plain_text_problem("a\nb\tc", multiline=True) is None
    assert v.plain_text_problem("a\nb") == "contains a control character (U+000A)"
    assert v.plain_text_problem("a\rb", multiline=True) == "contains a control character (U+000D)"
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f":
        assert v.plain_text_problem(f"a{ch}b", multiline=True) == (
            f"contains an invisible text-direction character (U+{ord(ch):04X})"
        )
    assert v.plain_text_problem("Zoë, 李") is None


def test_codes_unchecked_without_index() -> None:
    record = replace(BASE["infusion"], diagnoses=("f331",))
    assert v.check_infusion(record, today=TODAY, icd=None).diagnoses == ("F33.1",)


def test_table_is_big_enough() -> None:
    assert len(BAD_RECORDS) + len(BAD_TEXT_INPUTS) >= 30


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=15), st.text(max_size=15), st.text(max_size=15))
def test_checks_never_crash_on_any_text(name: str, npi: str, tin: str, phone: str) -> None:
    for check in (
        lambda: v.check_provider(ProviderRecord(name=name, npi=npi, tin=tin, taxonomy=phone, phone=phone)),
        lambda: v.check_patient(PatientRecord(legal_name=name, phone=phone, email=tin), TODAY),
        lambda: v.check_payer(PayerRecord(name=name, claims_address=npi, phone=phone)),
    ):
        try:
            cleaned = check()
        except InvalidInput as exc:
            assert exc.problems
        else:
            assert "\x00" not in repr(cleaned)
            if isinstance(cleaned, ProviderRecord) and cleaned.npi:
                assert cleaned.npi.isascii() and v.npi_problem(cleaned.npi) is None


@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(
        st.one_of(st.text(max_size=9), st.sampled_from(["F33.1", "f4310", "F43.1", "F32.A"])), max_size=14
    )
)
def test_infusion_check_never_crashes_on_codes(codes: list[str], icd10: Any) -> None:
    try:
        cleaned = v.check_infusion(replace(BASE["infusion"], diagnoses=tuple(codes)), today=TODAY, icd=icd10)
    except InvalidInput as exc:
        assert exc.for_field("diagnoses")
    else:
        assert all(icd10.is_billable(code) for code in cleaned.diagnoses)
