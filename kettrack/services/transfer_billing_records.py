"""The billing sections of an export (format version 2 onward) as the file holds them: the user's own
procedure codes, fee schedules, each session's service lines and every issued superbill; and their
checking, as strict as the rest of the file's, against the ids the file holds elsewhere, before
anything is written. (Exporting and inserting them: ``kettrack.services.transfer_billing``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kettrack.core import validation
from kettrack.core.billing_checks import check_procedure_code, check_service_line
from kettrack.core.codes import ProcedureCode, code_system
from kettrack.core.line_rules import ContainerType
from kettrack.core.money import parse_amount
from kettrack.core.ndc import NdcError, normalize_ndc
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.service_lines import ServiceLine
from kettrack.services.transfer_documents import PDF, DocumentRef, sha256_problem
from kettrack.services.transfer_format import MAX_TOTAL, clock_day

__all__ = [
    "BILLING_SECTIONS",
    "RECORD_TYPES",
    "CheckedBilling",
    "FeeEntry",
    "LegacySuperbillEntry",
    "LineEntry",
    "SuperbillEntry",
    "check_billing",
    "record_types",
]

BILLING_SECTIONS: tuple[str, ...] = ("procedure_codes", "fee_schedule", "service_lines", "superbills")
# Dates a person types for a code's validity (an end date "2099-12-31" means "never"): only the
# absurd is refused here, as the code form itself sets no upper bound.
_CODE_YEARS_AHEAD = 100
_SUPERBILL_NUMBER_MAX = 20


@dataclass(frozen=True)
class FeeEntry:
    """A fee schedule entry; ``container`` (format 5) is its NDC's container type, unknown before."""

    provider_id: int
    code: str
    amount: Decimal
    ndc: str = ""
    container: ContainerType = ContainerType.UNKNOWN


@dataclass(frozen=True)
class LineEntry:
    id: int
    infusion_id: int
    position: int
    service_date: date
    place_of_service: str
    code: str
    units: int
    charge: Decimal
    description: str = ""
    modifiers: tuple[str, ...] = ()
    pointers: str = ""
    ndc: str = ""
    ndc_unit: str = ""
    ndc_quantity: Decimal | None = None


@dataclass(frozen=True)
class SuperbillEntry:
    """An issued superbill as format 4 writes it: its PDF is in ``documents`` under ``sha256``."""

    id: int
    number: str
    version: int
    patient_id: int
    provider_id: int
    date_from: date
    date_to: date
    issued_at: str
    draft: bool
    file_name: str
    sha256: str
    total_charges: Decimal
    total_paid: Decimal
    clinic_id: int | None = None
    coverage_id: int | None = None
    superseded_by_id: int | None = None
    line_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LegacySuperbillEntry(SuperbillEntry):
    """A superbill of a format 2 or 3 file, which carried its PDF in the row."""

    pdf_base64: str | None = None


RECORD_TYPES: dict[str, type[Any]] = {
    "procedure_codes": ProcedureCode,
    "fee_schedule": FeeEntry,
    "service_lines": LineEntry,
    "superbills": SuperbillEntry,
}


def record_types(version: int) -> dict[str, type[Any]]:
    """The record type of each billing section in a file of format ``version``."""
    if version >= 4:
        return RECORD_TYPES
    return {**RECORD_TYPES, "superbills": LegacySuperbillEntry}


@dataclass
class CheckedBilling:
    """Cleaned billing records ready to insert, and the documents their superbills name."""

    records: dict[str, list[Any]] = field(default_factory=lambda: {s: [] for s in BILLING_SECTIONS})
    refs: list[DocumentRef] = field(default_factory=list)


# --- checking -------------------------------------------------------------------------------------


def _as_line(entry: LineEntry) -> ServiceLine:
    return ServiceLine(
        entry.service_date,
        entry.place_of_service,
        entry.code,
        entry.description,
        entry.units,
        entry.charge,
        entry.modifiers,
        entry.pointers,
        entry.ndc,
        entry.ndc_unit,
        entry.ndc_quantity,
        entry.infusion_id,
    )


def _issued_at(raw: str, today: date) -> str | None:
    """What is wrong with a superbill's issue time, or None."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return "is not a date and time"
    if value.utcoffset() is None or value.utcoffset():
        return "must be a time in UTC (ending +00:00), as kettrack writes it"
    return validation.plausible_date_problem(value.date(), clock_day(today))


def check_billing(
    decoded: dict[str, list[tuple[str, Any]]],
    ids: dict[str, set[int]],
    diagnosis_counts: dict[int, int],
    today: date,
) -> tuple[CheckedBilling, list[Problem]]:
    """Check decoded billing records (label, record) against the ids the file holds elsewhere."""
    checked = CheckedBilling()
    problems: list[Problem] = []

    def fail(label: str, field_name: str, message: str) -> None:
        problems.append(Problem(f"{label}: {field_name}", message))

    seen_codes: set[str] = set()
    for label, code in decoded.get("procedure_codes", []):
        try:
            cleaned = check_procedure_code(code)
        except InvalidInput as exc:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
            continue
        bad_date = False
        for name in ("effective_from", "effective_to"):
            value = getattr(cleaned, name)
            if value and (
                problem := validation.plausible_date_problem(value, today, years_ahead=_CODE_YEARS_AHEAD)
            ):
                fail(label, name, problem)
                bad_date = True
        if cleaned.code in seen_codes:
            fail(label, "code", f"{cleaned.code} is in the file twice")
        elif not bad_date:
            seen_codes.add(cleaned.code)
            checked.records["procedure_codes"].append(cleaned)
    seen_fees: set[tuple[int, str]] = set()
    for label, fee in decoded.get("fee_schedule", []):
        code = fee.code.strip().upper()
        if fee.provider_id not in ids["providers"]:
            fail(label, "provider_id", f"there is no provider with id {fee.provider_id} in the file")
        if code_system(code) is None:
            fail(label, "code", f"{fee.code!r} is not a CPT or HCPCS code")
            continue
        if (fee.provider_id, code) in seen_fees:
            fail(label, "code", f"a second fee for {code}")
        seen_fees.add((fee.provider_id, code))
        try:
            amount = parse_amount(fee.amount, "amount")
            ndc = normalize_ndc(fee.ndc) if fee.ndc else ""
            checked.records["fee_schedule"].append(
                FeeEntry(fee.provider_id, code, amount, ndc, fee.container)
            )
        except InvalidInput as exc:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
        except NdcError as exc:
            fail(label, "ndc", str(exc))
    line_ids: set[int] = set()
    for label, entry in decoded.get("service_lines", []):
        if entry.infusion_id not in ids["infusions"]:
            fail(
                label, "infusion_id", f"there is no infusion session with id {entry.infusion_id} in the file"
            )
            continue
        if entry.id < 1:
            fail(label, "id", "must be 1 or more")
            continue
        if entry.id in line_ids:
            fail(label, "id", f"another service line has id {entry.id}")
            continue
        found: list[Problem] = []
        if entry.position < 0:
            found.append(Problem("position", "cannot be negative"))
        if problem := validation.plausible_date_problem(entry.service_date, today):
            found.append(Problem("service_date", problem))
        quantity = entry.ndc_quantity
        if quantity is not None and (
            not quantity.is_finite() or quantity != quantity.quantize(Decimal("0.001"))
        ):
            found.append(Problem("ndc_quantity", "has more than 3 decimal places"))
        else:
            try:
                line = check_service_line(_as_line(entry), diagnosis_counts.get(entry.infusion_id, 0))
            except InvalidInput as exc:
                found.extend(exc.problems)
        if found:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in found)
            continue
        line_ids.add(entry.id)
        # The cleaned line, so what is stored is what the line form would have stored.
        checked.records["service_lines"].append((entry, line))
    superbill_ids = {entry.id for _, entry in decoded.get("superbills", [])}
    seen_superbills: set[int] = set()
    seen_numbers: set[tuple[str, int]] = set()
    for label, entry in decoded.get("superbills", []):
        before = len(problems)
        if entry.id < 1 or entry.id in seen_superbills:
            fail(label, "id", "must be 1 or more" if entry.id < 1 else f"another superbill has id {entry.id}")
        seen_superbills.add(entry.id)
        for name, value, pool, kind in (
            ("patient_id", entry.patient_id, ids["patients"], "patient"),
            ("provider_id", entry.provider_id, ids["providers"], "provider"),
            ("clinic_id", entry.clinic_id, ids["providers"], "clinic"),
            ("coverage_id", entry.coverage_id, ids["coverages"], "coverage"),
            ("superseded_by_id", entry.superseded_by_id, superbill_ids - {entry.id}, "other superbill"),
        ):
            if value is not None and value not in pool:
                fail(label, name, f"there is no {kind} with id {value} in the file")
        if not entry.number.strip():
            fail(label, "number", "is empty")
        elif problem := validation.text_problem(entry.number, max_len=_SUPERBILL_NUMBER_MAX):
            fail(label, "number", problem)
        if entry.version < 1:
            fail(label, "version", "must be 1 or more")
        elif (entry.number, entry.version) in seen_numbers:
            fail(label, "version", f"another superbill is {entry.number!r} version {entry.version}")
        seen_numbers.add((entry.number, entry.version))
        missing = [i for i in entry.line_ids if i not in line_ids]
        if missing:
            fail(label, "line_ids", f"service lines {missing[:5]} are not in the file")
        if len(set(entry.line_ids)) != len(entry.line_ids):
            fail(label, "line_ids", "names a service line twice")
        if problem := validation.file_name_problem(entry.file_name):
            fail(label, "file_name", problem)
        elif not entry.file_name.lower().endswith(".pdf"):
            fail(label, "file_name", "must end in .pdf")
        if problem := sha256_problem(entry.sha256):
            fail(label, "sha256", problem)
        if problem := _issued_at(entry.issued_at, today):
            fail(label, "issued_at", problem)
        for name in ("date_from", "date_to"):
            if problem := validation.plausible_date_problem(getattr(entry, name), today):
                fail(label, name, problem)
        if entry.date_to < entry.date_from:
            fail(label, "date_to", "is before date_from")
        for name in ("total_charges", "total_paid"):
            try:
                parse_amount(getattr(entry, name), name, maximum=MAX_TOTAL)
            except InvalidInput as exc:
                problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
        if sha256_problem(entry.sha256) is None:
            # Named even when the row has other problems, so its document is not reported as stray.
            legacy = isinstance(entry, LegacySuperbillEntry)
            checked.refs.append(
                DocumentRef(
                    label,
                    entry.sha256,
                    PDF,
                    legacy_content=entry.pdf_base64 if legacy else None,
                    legacy_where="pdf_base64" if legacy else "",
                )
            )
        if len(problems) > before:
            continue
        checked.records["superbills"].append(entry)
    return checked, problems
