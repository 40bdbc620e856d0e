"""Service lines: what a session is billed as, proposed from the session itself.

The rules (billing reference; CMS/AMA infusion hierarchy as commonly applied):
- IV ketamine: 15 minutes or less is an IV push (96374). Longer is an infusion: 96365 for the first
  hour, plus one 96366 for each further hour that runs more than 30 minutes past the hour before
  (a 90-minute infusion is 96365 alone; 91 minutes adds one 96366; 151 minutes adds two).
- IM ketamine: 96372.
- Ketamine itself: J3490 (no code of its own) with the NDC and the dose as quantity.
- Esketamine: G2082 up to 56 mg, G2083 over 56 mg, plus the drug code valid on the date of service
  (S0013 until 2025-12-31, J0013 from 2026-01-01), units = milligrams.
The user can change every proposed line; this only saves typing and catches the common mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kettrack.core.codes import CodeCatalog
from kettrack.core.enums import Drug, Route
from kettrack.core.records import InfusionRecord

POINTER_LETTERS = "ABCDEFGHIJKL"
MAX_POINTERS_PER_LINE = 4
PUSH_LIMIT_MINUTES = 15
ESKETAMINE_LOW_DOSE_MG = Decimal(56)
ESKETAMINE_DRUG_CODES = ("J0013", "S0013")
KETAMINE_DRUG_CODE = "J3490"


@dataclass(frozen=True)
class ServiceLine:
    """One billed line of a superbill or claim."""

    service_date: date
    place_of_service: str
    code: str
    description: str
    units: int
    charge: Decimal
    modifiers: tuple[str, ...] = ()
    pointers: str = "A"
    ndc: str = ""
    ndc_unit: str = ""
    ndc_quantity: Decimal | None = None
    infusion_id: int | None = None


@dataclass(frozen=True)
class Proposal:
    """Proposed lines and what could not be decided from the session alone."""

    lines: tuple[ServiceLine, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


def iv_administration(minutes: int) -> list[tuple[str, int]]:
    """(code, units) for an IV ketamine session of ``minutes``."""
    if minutes <= 0:
        raise ValueError("an infusion lasts more than 0 minutes")
    if minutes <= PUSH_LIMIT_MINUTES:
        return [("96374", 1)]
    codes = [("96365", 1)]
    further_hours = 0
    # Each further hour counts once the infusion runs more than 30 minutes past the previous hour.
    while minutes > 60 * (further_hours + 1) + 30:
        further_hours += 1
    if further_hours:
        codes.append(("96366", further_hours))
    return codes


def esketamine_session_code(dose_mg: Decimal) -> str:
    return "G2082" if dose_mg <= ESKETAMINE_LOW_DOSE_MG else "G2083"


def pointers_for(diagnosis_count: int) -> str:
    return POINTER_LETTERS[: min(diagnosis_count, MAX_POINTERS_PER_LINE)] or ""


def propose_lines(
    session: InfusionRecord,
    fees: Mapping[str, Decimal],
    catalog: CodeCatalog,
    *,
    ndcs: Mapping[str, str] | None = None,
) -> Proposal:
    """Lines for one session, each charged at the fee schedule's price per unit (0.00 when unpriced).

    ``ndcs`` gives the NDC usually billed with each drug code (from the fee schedule).
    """
    ndcs = ndcs or {}
    warnings: list[str] = []
    codes: list[tuple[str, int, str, Decimal | None]] = []  # code, units, ndc, ndc quantity
    day = session.service_date
    if session.drug is Drug.KETAMINE:
        if session.route is Route.IV:
            minutes = session.duration_minutes
            if minutes is None:
                warnings.append(
                    "The session has no start and end time, so the infusion codes assume under 90 minutes"
                )
                minutes = 60
            codes.extend((code, units, "", None) for code, units in iv_administration(minutes))
        elif session.route is Route.IM:
            codes.append(("96372", 1, "", None))
        else:
            warnings.append(f"No administration code is proposed for {session.route.label} ketamine")
        ndc = ndcs.get(KETAMINE_DRUG_CODE, "")
        if not ndc:
            warnings.append("The ketamine line (J3490) needs the vial's NDC")
        codes.append((KETAMINE_DRUG_CODE, 1, ndc, session.dose_mg))
    else:
        if session.dose_mg is None:
            warnings.append("The esketamine dose is missing: G2082 (up to 56 mg) or G2083 cannot be chosen")
        else:
            codes.append((esketamine_session_code(session.dose_mg), 1, "", None))
        drug = catalog.valid_drug_code(ESKETAMINE_DRUG_CODES, day)
        if drug is None:
            warnings.append(f"No esketamine drug code is valid on {day.isoformat()}")
        elif session.dose_mg is not None:
            units = int(session.dose_mg.to_integral_value())
            ndc = ndcs.get(drug.code, "")
            if not ndc:
                warnings.append(f"The esketamine line ({drug.code}) needs the device's NDC")
            codes.append((drug.code, units, ndc, session.dose_mg))
    lines = []
    for code, units, line_ndc, quantity in codes:
        entry = catalog.get(code)
        unit_fee = fees.get(code, Decimal("0.00"))
        lines.append(
            ServiceLine(
                service_date=day,
                place_of_service=session.place_of_service,
                code=code,
                description=entry.description if entry else "",
                units=units,
                charge=(unit_fee * units).quantize(Decimal("0.01")),
                pointers=pointers_for(len(session.diagnoses)),
                ndc=line_ndc,
                ndc_unit="ME" if line_ndc else "",
                ndc_quantity=quantity if line_ndc else None,
                infusion_id=session.id,
            )
        )
    unpriced = sorted({line.code for line in lines if line.code not in fees})
    if unpriced:
        warnings.append("No fee is set for " + ", ".join(unpriced))
    return Proposal(tuple(lines), tuple(warnings))
