"""Service lines: what a session is billed as, proposed from the session itself.

The rules (billing reference; CMS/AMA infusion hierarchy as commonly applied):
- IV ketamine: 15 minutes or less is an IV push (96374). Longer is an infusion: 96365 for the first
  hour, plus one 96366 for each further hour that runs more than 30 minutes past the hour before
  (a 90-minute infusion is 96365 alone; 91 minutes adds one 96366; 151 minutes adds two).
- IM ketamine: 96372.
- Ketamine itself: J3490 (no code of its own) with the NDC and the dose as quantity.
- Esketamine: G2082 up to 56 mg, G2083 over 56 mg. For Original Medicare with KX and no drug line (the
  drug is included); for other payers plus the drug code valid on the date of service (S0013 until
  2025-12-31, J0013 from 2026-01-01, or the payer's override), units = the kit's milligrams, with the
  kit's NDC (kettrack.core.line_rules).
- Lines are placed where the session was, unless that was telehealth: drug and infusion lines are
  in-person services, so they take the clinic's usual place of service instead.
The user can change every proposed line; this only saves typing and catches the common mistakes. The
same rules are checked again before a superbill is issued (kettrack.core.line_rules.check_lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kettrack.core.codes import CodeCatalog, CodeKind
from kettrack.core.enums import Drug, Route
from kettrack.core.line_rules import (
    ESKETAMINE_DRUG_CODES,
    ESKETAMINE_KITS,
    ESKETAMINE_LOW_DOSE_MG,
    KX,
    PUSH_LIMIT_MINUTES,
    TELEHEALTH_PLACES,
    BillingContext,
    ContainerType,
    esketamine_session_code,
    is_part_b,
    iv_administration,
    kit_for_dose,
)
from kettrack.core.records import InfusionRecord

__all__ = [
    "ESKETAMINE_DRUG_CODES",
    "ESKETAMINE_LOW_DOSE_MG",
    "KETAMINE_DRUG_CODE",
    "MAX_POINTERS_PER_LINE",
    "POINTER_LETTERS",
    "PUSH_LIMIT_MINUTES",
    "Proposal",
    "ServiceLine",
    "esketamine_session_code",
    "iv_administration",
    "pointers_for",
    "propose_lines",
]

POINTER_LETTERS = "ABCDEFGHIJKL"
MAX_POINTERS_PER_LINE = 4
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


def pointers_for(diagnosis_count: int) -> str:
    return POINTER_LETTERS[: min(diagnosis_count, MAX_POINTERS_PER_LINE)] or ""


def context_for(catalog: CodeCatalog, context: BillingContext | None) -> BillingContext:
    """``context`` (or a context with no payer) knowing which of the catalog's codes are in-person
    services (administration) and which are drugs."""
    from dataclasses import replace

    context = context or BillingContext()
    if context.in_person_codes or context.drug_codes:
        return context
    codes = list(catalog)
    return replace(
        context,
        in_person_codes=frozenset(
            c.code for c in codes if c.kind in (CodeKind.ADMINISTRATION, CodeKind.DRUG)
        ),
        drug_codes=frozenset(c.code for c in codes if c.kind is CodeKind.DRUG),
    )


def propose_lines(
    session: InfusionRecord,
    fees: Mapping[str, Decimal],
    catalog: CodeCatalog,
    *,
    ndcs: Mapping[str, str] | None = None,
    context: BillingContext | None = None,
) -> Proposal:
    """Lines for one session, each charged at the fee schedule's price per unit (0.00 when unpriced).

    ``ndcs`` gives the NDC usually billed with each drug code (from the fee schedule); ``context`` who
    the lines are billed to (the payer's kind and code overrides, the NDCs' container types, the usual
    place of service).
    """
    ndcs = ndcs or {}
    context = context_for(catalog, context)
    part_b = is_part_b(context.payer_kind)
    warnings: list[str] = []
    # code, units, ndc, ndc unit, ndc quantity, modifiers
    codes: list[tuple[str, int, str, str, Decimal | None, tuple[str, ...]]] = []
    day = session.service_date
    if session.drug is Drug.KETAMINE:
        if session.route is Route.IV:
            minutes = session.duration_minutes
            if minutes is None:
                warnings.append(
                    "The session has no start and end time, so the infusion codes assume under 90 minutes"
                )
                minutes = 60
            codes.extend((code, units, "", "", None, ()) for code, units in iv_administration(minutes))
        elif session.route is Route.IM:
            codes.append(("96372", 1, "", "", None, ()))
        else:
            warnings.append(f"No administration code is proposed for {session.route.label} ketamine")
        ndc = ndcs.get(KETAMINE_DRUG_CODE, "")
        if not ndc:
            warnings.append("The ketamine line (J3490) needs the vial's NDC")
        modifiers: tuple[str, ...] = ()
        if part_b and ndc:
            container = context.containers.get(ndc, ContainerType.UNKNOWN)
            if container is ContainerType.SINGLE_DOSE:
                modifiers = ("JZ",)
                warnings.append(
                    "JZ says none of the vial was discarded: if some was, bill the discarded amount on a "
                    "line of its own with JW"
                )
            elif container is ContainerType.UNKNOWN:
                warnings.append(
                    f"Record whether NDC {ndc} is a single-dose or multi-dose vial: Medicare needs JW or JZ "
                    "on single-dose drugs"
                )
        codes.append(
            (context.billed_code(KETAMINE_DRUG_CODE), 1, ndc, "ME" if ndc else "", session.dose_mg, modifiers)
        )
    else:
        if session.dose_mg is None:
            warnings.append("The esketamine dose is missing: G2082 (up to 56 mg) or G2083 cannot be chosen")
        else:
            codes.append((esketamine_session_code(session.dose_mg), 1, "", "", None, (KX,) if part_b else ()))
        drug = catalog.valid_drug_code(ESKETAMINE_DRUG_CODES, day)
        if part_b:
            pass  # Medicare includes the drug in G2082/G2083: no drug line
        elif drug is None:
            warnings.append(f"No esketamine drug code is valid on {day.isoformat()}")
        elif session.dose_mg is not None:
            units = int(session.dose_mg.to_integral_value())
            kit = kit_for_dose(session.dose_mg)
            ndc = ndcs.get(drug.code, "")
            if kit and (not ndc or ndc in ESKETAMINE_KITS):
                # A kit's milligrams are its units: the 56 mg dose is the 56 mg kit, one kit.
                codes.append((context.billed_code(drug.code), units, kit, "UN", Decimal(1), ()))
            else:
                if not ndc:
                    warnings.append(f"The esketamine line ({drug.code}) needs the device's NDC")
                quantity = session.dose_mg if ndc else None
                codes.append((context.billed_code(drug.code), units, ndc, "ME" if ndc else "", quantity, ()))
    place = session.place_of_service
    if place in TELEHEALTH_PLACES:
        warnings.append(
            f"The session is recorded at place of service {place} (telehealth); its lines are given in "
            f"person, so they use {context.usual_place}"
        )
        place = context.usual_place
    lines = []
    for code, units, line_ndc, unit, quantity, line_modifiers in codes:
        entry = catalog.get(code)
        unit_fee = fees.get(code, Decimal("0.00"))
        lines.append(
            ServiceLine(
                service_date=day,
                place_of_service=place,
                code=code,
                description=entry.description if entry else "",
                units=units,
                charge=(unit_fee * units).quantize(Decimal("0.01")),
                modifiers=line_modifiers,
                pointers=pointers_for(len(session.diagnoses)),
                ndc=line_ndc,
                ndc_unit=unit if line_ndc else "",
                ndc_quantity=quantity if line_ndc else None,
                infusion_id=session.id,
            )
        )
    unpriced = sorted({line.code for line in lines if line.code not in fees})
    if unpriced:
        warnings.append("No fee is set for " + ", ".join(unpriced))
    return Proposal(tuple(lines), tuple(warnings))
