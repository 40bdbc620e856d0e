"""Validation of what a user types for billing: service lines, procedure codes, fee amounts.

Rules that make a superbill incomplete but not wrong to save (a retired code, a missing NDC) are left
to the pre-flight check; these refuse only what can never be right.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from kettrack.core.codes import MODIFIERS, ProcedureCode, code_system
from kettrack.core.money import parse_amount
from kettrack.core.ndc import NdcError, normalize_ndc
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.service_lines import POINTER_LETTERS, ServiceLine
from kettrack.core.validation import text_problem

MAX_UNITS = 999
MAX_MODIFIERS = 4
NDC_UNITS = ("ME", "ML", "UN", "GR", "F2")


def check_service_line(line: ServiceLine, diagnosis_count: int) -> ServiceLine:
    problems: list[Problem] = []
    code = line.code.strip().upper()
    if code_system(code) is None:
        problems.append(
            Problem("code", f"{line.code!r} is not a CPT or HCPCS code (5 characters, like 96365)")
        )
    if not re.fullmatch(r"\d{2}", line.place_of_service.strip()):
        problems.append(Problem("place_of_service", "Place of service is a 2-digit code, like 11"))
    modifiers = tuple(m.strip().upper() for m in line.modifiers if m.strip())
    if len(modifiers) > MAX_MODIFIERS:
        problems.append(Problem("modifiers", f"At most {MAX_MODIFIERS} modifiers fit on a line"))
    for modifier in modifiers:
        if not re.fullmatch(r"[0-9A-Z]{2}", modifier):
            problems.append(Problem("modifiers", f"{modifier!r} is not a modifier (2 letters or digits)"))
    pointers = line.pointers.strip().upper().replace(",", "").replace(" ", "")
    allowed = POINTER_LETTERS[:diagnosis_count]
    if len(pointers) > MAX_MODIFIERS:
        problems.append(Problem("pointers", "A line points to at most 4 diagnoses"))
    if len(set(pointers)) != len(pointers):
        problems.append(Problem("pointers", "A diagnosis letter is repeated"))
    for letter in pointers:
        if letter not in allowed:
            problems.append(
                Problem(
                    "pointers",
                    f"{letter} does not match a diagnosis of the session (A-{allowed[-1:] or 'A'})",
                )
            )
    if not 1 <= line.units <= MAX_UNITS:
        problems.append(Problem("units", f"Units run from 1 to {MAX_UNITS}"))
    try:
        charge = parse_amount(line.charge, "charge")
    except InvalidInput as exc:
        problems.extend(exc.problems)
        charge = line.charge
    ndc = line.ndc.strip()
    if ndc:
        try:
            ndc = normalize_ndc(ndc)
        except NdcError as exc:
            problems.append(Problem("ndc", str(exc)))
        if line.ndc_unit not in NDC_UNITS:
            problems.append(Problem("ndc_unit", f"The quantity unit is one of {', '.join(NDC_UNITS)}"))
        if line.ndc_quantity is not None and not (Decimal(0) < line.ndc_quantity <= Decimal(99999)):
            problems.append(Problem("ndc_quantity", "The drug quantity must be more than 0"))
    if problem := text_problem(line.description, max_len=200):
        problems.append(Problem("description", problem))
    if problems:
        raise InvalidInput(problems)
    return replace(
        line,
        code=code,
        modifiers=modifiers,
        pointers=pointers,
        charge=charge,
        ndc=ndc,
        place_of_service=line.place_of_service.strip(),
        description=line.description.strip(),
        ndc_unit=line.ndc_unit if ndc else "",
        ndc_quantity=line.ndc_quantity if ndc else None,
    )


def check_procedure_code(entry: ProcedureCode) -> ProcedureCode:
    problems: list[Problem] = []
    code = entry.code.strip().upper()
    if code_system(code) is None:
        problems.append(
            Problem("code", f"{entry.code!r} is not a CPT (5 digits) or HCPCS (letter + 4 digits) code")
        )
    description = entry.description.strip()
    if not description:
        problems.append(Problem("description", "Write a short plain-language description"))
    elif problem := text_problem(description, max_len=200):
        problems.append(Problem("description", problem))
    if not 1 <= entry.default_units <= MAX_UNITS:
        problems.append(Problem("default_units", f"Units run from 1 to {MAX_UNITS}"))
    if entry.effective_from and entry.effective_to and entry.effective_to < entry.effective_from:
        problems.append(Problem("effective_to", "A code cannot end before it starts"))
    replaced_by = entry.replaced_by.strip().upper()
    if replaced_by and code_system(replaced_by) is None:
        problems.append(Problem("replaced_by", f"{entry.replaced_by!r} is not a CPT or HCPCS code"))
    if problems:
        raise InvalidInput(problems)
    return replace(entry, code=code, description=description, replaced_by=replaced_by)


def modifier_description(modifier: str) -> str:
    return MODIFIERS.get(modifier.upper(), "")
