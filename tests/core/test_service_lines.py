"""Table tests for the service-line rules, code validity dates and NDC normalisation.

Sources: billing reference (infusion hierarchy: 96365 first hour, +96366 only past 30 minutes into a
further hour, 15 minutes or less is a push, 96374; esketamine G2082 up to 56 mg, G2083 over 56 mg;
S0013 ended 2025-12-31, J0013 from 2026-01-01, UnitedHealthcare policy 2026D0069P).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from kettrack.core.codes import STARTER_CODES, CodeCatalog, code_system
from kettrack.core.enums import Drug, Route
from kettrack.core.ndc import NdcError, ndc_for_claim, normalize_ndc
from kettrack.core.records import InfusionRecord
from kettrack.core.service_lines import iv_administration, propose_lines

CATALOG = CodeCatalog()
FEES = {
    "96365": Decimal("250.00"),
    "96366": Decimal("90.00"),
    "96374": Decimal("120.00"),
    "J3490": Decimal("35.00"),
    "G2082": Decimal("600.00"),
    "G2083": Decimal("800.00"),
    "J0013": Decimal("8.50"),
    "S0013": Decimal("8.50"),
}


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (15, [("96374", 1)]),  # 15 minutes or less: a push
        (16, [("96365", 1)]),
        (60, [("96365", 1)]),
        (90, [("96365", 1)]),  # exactly 30 minutes past the hour: no further hour
        (91, [("96365", 1), ("96366", 1)]),
        (150, [("96365", 1), ("96366", 1)]),
        (151, [("96365", 1), ("96366", 2)]),
    ],
)
def test_iv_ketamine_codes_by_duration(minutes: int, expected: list[tuple[str, int]]) -> None:
    assert iv_administration(minutes) == expected


def _session(**kw: object) -> InfusionRecord:
    base: dict[str, object] = {
        "patient_id": 1,
        "service_date": date(2026, 3, 2),
        "diagnoses": ("F33.2", "F41.1"),
    }
    base.update(kw)
    return InfusionRecord(**base)  # type: ignore[arg-type]


def _timed(minutes: int) -> dict[str, object]:
    start = time(9, 0)
    end = timedelta(hours=9) + timedelta(minutes=minutes)
    return {"start_time": start, "end_time": time(end.seconds // 3600, end.seconds % 3600 // 60)}


def test_iv_ketamine_session_proposes_admin_and_drug_lines_with_fees() -> None:
    proposal = propose_lines(
        _session(dose_mg=Decimal("40"), **_timed(95)), FEES, CATALOG, ndcs={"J3490": "42023-0113-10"}
    )
    assert [(ln.code, ln.units, ln.charge) for ln in proposal.lines] == [
        ("96365", 1, Decimal("250.00")),
        ("96366", 1, Decimal("90.00")),
        ("J3490", 1, Decimal("35.00")),
    ]
    drug = proposal.lines[-1]
    assert (drug.ndc, drug.ndc_unit, drug.ndc_quantity) == ("42023-0113-10", "ME", Decimal("40"))
    assert all(ln.pointers == "AB" for ln in proposal.lines)
    assert proposal.warnings == ()


@pytest.mark.parametrize(("dose", "code"), [(Decimal(56), "G2082"), (Decimal(84), "G2083")])
def test_esketamine_session_code_by_dose(dose: Decimal, code: str) -> None:
    proposal = propose_lines(
        _session(drug=Drug.ESKETAMINE, route=Route.INTRANASAL, dose_mg=dose), FEES, CATALOG
    )
    assert proposal.lines[0].code == code
    assert proposal.lines[1].units == int(dose)


@pytest.mark.parametrize(("day", "drug_code"), [(date(2025, 12, 31), "S0013"), (date(2026, 1, 1), "J0013")])
def test_esketamine_drug_code_follows_the_date_of_service(day: date, drug_code: str) -> None:
    session = _session(drug=Drug.ESKETAMINE, route=Route.INTRANASAL, dose_mg=Decimal(84), service_date=day)
    assert [ln.code for ln in propose_lines(session, FEES, CATALOG).lines] == ["G2083", drug_code]


@pytest.mark.parametrize(
    ("code", "day", "problem"),
    [
        ("S0013", date(2025, 12, 31), None),
        ("S0013", date(2026, 1, 1), "S0013 was retired on 2025-12-31: use J0013"),
        ("J0013", date(2025, 12, 31), "J0013 is valid only from 2026-01-01: use S0013"),
        ("J0013", date(2026, 1, 1), None),
        ("96365", date(2020, 5, 5), None),
        ("ABCDE", date(2026, 1, 1), "ABCDE is not a CPT or HCPCS code"),
        ("99999", date(2026, 1, 1), "99999 is not in the code list: add it with its description first"),
    ],
)
def test_code_dates(code: str, day: date, problem: str | None) -> None:
    assert CATALOG.date_problem(code, day) == problem


def test_missing_times_fees_and_ndc_are_warned_about() -> None:
    proposal = propose_lines(_session(dose_mg=Decimal("40")), {}, CATALOG)
    text = " | ".join(proposal.warnings)
    assert "no start and end time" in text and "NDC" in text and "No fee is set for 96365, J3490" in text


def test_starter_codes_are_well_formed() -> None:
    assert all(code_system(c.code) is not None for c in STARTER_CODES)
    assert len({c.code for c in STARTER_CODES}) == len(STARTER_CODES)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("1234-5678-90", "01234-5678-90"),  # 4-4-2
        ("12345-678-90", "12345-0678-90"),  # 5-3-2
        ("12345-6789-0", "12345-6789-00"),  # 5-4-1
        ("12345-6789-01", "12345-6789-01"),  # 5-4-2 already
        ("12345678901", "12345-6789-01"),
    ],
)
def test_ndc_normalisation(text: str, normalized: str) -> None:
    assert normalize_ndc(text) == normalized
    assert ndc_for_claim(text) == normalized.replace("-", "")


@pytest.mark.parametrize(
    "text", ["", "1234567890", "123-4567-89", "12345-67890-1", "abcde-fghi-jk", "1234-5678"]
)
def test_bad_ndcs_are_refused(text: str) -> None:
    with pytest.raises(NdcError):
        normalize_ndc(text)
