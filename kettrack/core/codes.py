"""Procedure codes (CPT and HCPCS Level II) a ketamine practice bills, with kettrack's own
plain-language descriptions, and the modifiers that go with them.

CPT descriptors are AMA-copyrighted: we ship the code numbers with descriptions written for kettrack,
never the official text, and users can edit them. HCPCS Level II is public domain (CMS). Codes carry
effective dates because payers reject a code on a date it was not valid: esketamine's drug code
S0013 ended 2025-12-31 and J0013 replaced it from 2026-01-01.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from kettrack.core.enums import LabeledEnum


class CodeKind(LabeledEnum):
    ADMINISTRATION = "administration"
    DRUG = "drug"
    VISIT = "visit"
    PSYCHOTHERAPY = "psychotherapy"
    OTHER = "other"


class CodeSystem(LabeledEnum):
    CPT = "cpt"
    HCPCS = "hcpcs"


_CPT = re.compile(r"^(\d{5}|\d{4}[FT])$")
_HCPCS = re.compile(r"^[A-V][0-9]{4}$")


def code_system(code: str) -> CodeSystem | None:
    """Which code set a code's shape belongs to, or None when it fits neither."""
    text = code.strip().upper()
    if _CPT.match(text):
        return CodeSystem.CPT
    if _HCPCS.match(text):
        return CodeSystem.HCPCS
    return None


@dataclass(frozen=True)
class ProcedureCode:
    """A billable procedure or drug code with our own description and its validity window."""

    code: str
    kind: CodeKind
    description: str
    default_units: int = 1
    effective_from: date | None = None
    effective_to: date | None = None
    replaced_by: str = ""
    add_on: bool = False

    @property
    def system(self) -> CodeSystem | None:
        return code_system(self.code)

    def valid_on(self, day: date) -> bool:
        if self.effective_from is not None and day < self.effective_from:
            return False
        return not (self.effective_to is not None and day > self.effective_to)


def _c(code: str, kind: CodeKind, description: str, **kw: object) -> ProcedureCode:
    return ProcedureCode(code, kind, description, **kw)  # type: ignore[arg-type]


ADM, DRUG, VISIT, PSY, OTHER = (
    CodeKind.ADMINISTRATION,
    CodeKind.DRUG,
    CodeKind.VISIT,
    CodeKind.PSYCHOTHERAPY,
    CodeKind.OTHER,
)

# The starting set from the billing reference; every entry is editable by the user.
STARTER_CODES: tuple[ProcedureCode, ...] = (
    _c("96365", ADM, "IV drug infusion given in the clinic: the first hour"),
    _c(
        "96366",
        ADM,
        "IV drug infusion: each further hour (billed when it runs 31+ minutes into it)",
        add_on=True,
    ),
    _c("96367", ADM, "A second, different drug infused one after the other", add_on=True),
    _c("96374", ADM, "A drug pushed into a vein in 15 minutes or less"),
    _c("96375", ADM, "Each further IV push of a different drug", add_on=True),
    _c("96372", ADM, "A drug injected into a muscle or under the skin"),
    _c("J3490", DRUG, "Drug without a code of its own (here: ketamine), billed with its NDC"),
    _c("J0013", DRUG, "Esketamine nasal spray, per 1 mg", effective_from=date(2026, 1, 1)),
    _c(
        "S0013",
        DRUG,
        "Esketamine nasal spray, per 1 mg (retired code)",
        effective_to=date(2025, 12, 31),
        replaced_by="J0013",
    ),
    _c("G2082", ADM, "Esketamine treatment session with observation, up to 56 mg (established patient)"),
    _c("G2083", ADM, "Esketamine treatment session with observation, more than 56 mg (established patient)"),
    _c("99202", VISIT, "Office visit, new patient, straightforward"),
    _c("99203", VISIT, "Office visit, new patient, low complexity"),
    _c("99204", VISIT, "Office visit, new patient, moderate complexity"),
    _c("99205", VISIT, "Office visit, new patient, high complexity"),
    _c("99211", VISIT, "Brief office visit with clinical staff, established patient"),
    _c("99212", VISIT, "Office visit, established patient, straightforward"),
    _c("99213", VISIT, "Office visit, established patient, low complexity"),
    _c("99214", VISIT, "Office visit, established patient, moderate complexity"),
    _c("99215", VISIT, "Office visit, established patient, high complexity"),
    _c("90791", PSY, "First psychiatric evaluation, without medical services"),
    _c("90792", PSY, "First psychiatric evaluation, with medical services"),
    _c("90833", PSY, "Psychotherapy during a medical visit, about 30 minutes", add_on=True),
    _c("90836", PSY, "Psychotherapy during a medical visit, about 45 minutes", add_on=True),
    _c("90838", PSY, "Psychotherapy during a medical visit, about 60 minutes", add_on=True),
    _c("90785", PSY, "Added for a session made harder to run by communication factors", add_on=True),
    _c(
        "99417",
        VISIT,
        "Longer visit than the level covers: each further 15 minutes (commercial plans)",
        add_on=True,
    ),
    _c("G2212", VISIT, "Longer visit than the level covers: each further 15 minutes (Medicare)", add_on=True),
    _c("99415", OTHER, "Extended clinical-staff time with the patient: the first hour", add_on=True),
    _c("99416", OTHER, "Extended clinical-staff time with the patient: each further 30 minutes", add_on=True),
)

# Modifier descriptions in kettrack's own words.
MODIFIERS: dict[str, str] = {
    "25": "A separate, significant visit on the same day as a procedure",
    "59": "A distinct service, separate from others billed that day",
    "XU": "An unusual service that does not overlap the main one",
    "JW": "Part of the drug was discarded (the wasted amount)",
    "JZ": "None of the drug was discarded",
    "95": "Given by live audio-video telehealth",
    "GT": "Given by interactive audio-video telehealth (older modifier)",
    "GA": "A signed advance notice of non-coverage (ABN) is on file",
    "GY": "Not a covered benefit by law or by the plan",
    "KX": "The plan's medical-policy requirements are met and documented",
}


class CodeCatalog:
    """The codes in use, by code; answers whether a code is valid on a date and what replaces it."""

    def __init__(self, codes: Iterable[ProcedureCode] = STARTER_CODES) -> None:
        self._codes = {c.code: c for c in codes}

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._codes

    def __iter__(self) -> Iterator[ProcedureCode]:
        return iter(sorted(self._codes.values(), key=lambda c: c.code))

    def get(self, code: str) -> ProcedureCode | None:
        return self._codes.get(code.strip().upper())

    def valid_drug_code(self, candidates: Iterable[str], day: date) -> ProcedureCode | None:
        """The first of ``candidates`` that is valid on ``day`` (e.g. J0013 or S0013 for esketamine)."""
        for code in candidates:
            entry = self.get(code)
            if entry is not None and entry.valid_on(day):
                return entry
        return None

    def date_problem(self, code: str, day: date) -> str | None:
        """Why ``code`` cannot be billed on ``day``, naming the code to use instead; None if it can."""
        entry = self.get(code)
        if entry is None:
            if code_system(code) is None:
                return f"{code} is not a CPT or HCPCS code"
            return f"{code} is not in the code list: add it with its description first"
        if entry.effective_to is not None and day > entry.effective_to:
            instead = f": use {entry.replaced_by}" if entry.replaced_by else ""
            return f"{entry.code} was retired on {entry.effective_to.isoformat()}{instead}"
        if entry.effective_from is not None and day < entry.effective_from:
            older = [c.code for c in self._codes.values() if c.replaced_by == entry.code and c.valid_on(day)]
            instead = f": use {older[0]}" if older else ""
            return f"{entry.code} is valid only from {entry.effective_from.isoformat()}{instead}"
        return None
