"""The billing part of the JSON export (format version 2): the user's own procedure codes, fee
schedules, each session's service lines and every issued superbill with its PDF (base64), so an
export still holds everything. Checked as strictly as the rest before anything is written."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.billing_checks import check_procedure_code, check_service_line
from kettrack.core.codes import ProcedureCode
from kettrack.core.money import parse_amount
from kettrack.core.ndc import NdcError, normalize_ndc
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.service_lines import ServiceLine
from kettrack.store.billing import code_of, line_row
from kettrack.store.files import write_private
from kettrack.store.location import make_private_dir
from kettrack.store.models import (
    FeeScheduleEntry,
    IssuedSuperbill,
    ProcedureCodeEntry,
    SuperbillLine,
)
from kettrack.store.models import ServiceLine as LineRow

BILLING_SECTIONS: tuple[str, ...] = ("procedure_codes", "fee_schedule", "service_lines", "superbills")


@dataclass(frozen=True)
class FeeEntry:
    provider_id: int
    code: str
    amount: Decimal
    ndc: str = ""


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
    pdf_base64: str | None = None


RECORD_TYPES: dict[str, type[Any]] = {
    "procedure_codes": ProcedureCode,
    "fee_schedule": FeeEntry,
    "service_lines": LineEntry,
    "superbills": SuperbillEntry,
}


@dataclass
class CheckedBilling:
    """Cleaned billing records ready to insert, with each superbill's PDF bytes."""

    records: dict[str, list[Any]] = field(default_factory=lambda: {s: [] for s in BILLING_SECTIONS})
    pdfs: dict[int, bytes] = field(default_factory=dict)


def export_billing(session: Session, folder: Path, encode: Any) -> dict[str, list[Any]]:
    """The billing sections, in a stable order; ``encode`` turns a record into JSON values."""
    codes = session.scalars(select(ProcedureCodeEntry).order_by(ProcedureCodeEntry.code))
    fees = session.scalars(
        select(FeeScheduleEntry).order_by(FeeScheduleEntry.provider_id, FeeScheduleEntry.code)
    )
    lines = session.scalars(select(LineRow).order_by(LineRow.id))
    superbills = list(session.scalars(select(IssuedSuperbill).order_by(IssuedSuperbill.id)))
    links: dict[int, list[int]] = {}
    for superbill_id, line_id in session.execute(
        select(SuperbillLine.superbill_id, SuperbillLine.service_line_id).order_by(
            SuperbillLine.service_line_id
        )
    ):
        links.setdefault(superbill_id, []).append(line_id)
    data: dict[str, list[Any]] = {
        "procedure_codes": [encode(code_of(r)) for r in codes],
        "fee_schedule": [encode(FeeEntry(r.provider_id, r.code, r.amount, r.ndc)) for r in fees],
        "service_lines": [
            encode(
                LineEntry(
                    r.id,
                    r.infusion_id,
                    r.position,
                    r.service_date,
                    r.place_of_service,
                    r.code,
                    r.units,
                    r.charge,
                    r.description,
                    tuple(r.modifiers.split()),
                    r.pointers,
                    r.ndc,
                    r.ndc_unit,
                    r.ndc_quantity,
                )
            )
            for r in lines
        ],
        "superbills": [],
    }
    for r in superbills:
        path = folder / r.file_name
        pdf = base64.b64encode(path.read_bytes()).decode("ascii") if path.is_file() else None
        data["superbills"].append(
            encode(
                SuperbillEntry(
                    r.id,
                    r.number,
                    r.version,
                    r.patient_id,
                    r.provider_id,
                    r.date_from,
                    r.date_to,
                    r.issued_at.astimezone(UTC).isoformat(),
                    r.draft,
                    r.file_name,
                    r.sha256,
                    r.total_charges,
                    r.total_paid,
                    r.clinic_id,
                    r.coverage_id,
                    r.superseded_by_id,
                    tuple(links.get(r.id, ())),
                    pdf,
                )
            )
        )
    return data


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


def check_billing(
    decoded: dict[str, list[tuple[str, Any]]], ids: dict[str, set[int]], diagnosis_counts: dict[int, int]
) -> tuple[CheckedBilling, list[Problem]]:
    """Check decoded billing records (label, record) against the ids the file holds elsewhere."""
    checked = CheckedBilling()
    problems: list[Problem] = []

    def fail(label: str, field_name: str, message: str) -> None:
        problems.append(Problem(f"{label}: {field_name}", message))

    for label, code in decoded.get("procedure_codes", []):
        try:
            checked.records["procedure_codes"].append(check_procedure_code(code))
        except InvalidInput as exc:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
    seen_fees: set[tuple[int, str]] = set()
    for label, fee in decoded.get("fee_schedule", []):
        if fee.provider_id not in ids["providers"]:
            fail(label, "provider_id", f"there is no provider with id {fee.provider_id} in the file")
        if (fee.provider_id, fee.code) in seen_fees:
            fail(label, "code", f"a second fee for {fee.code}")
        seen_fees.add((fee.provider_id, fee.code))
        try:
            amount = parse_amount(fee.amount, "amount")
            ndc = normalize_ndc(fee.ndc) if fee.ndc else ""
            checked.records["fee_schedule"].append(FeeEntry(fee.provider_id, fee.code.upper(), amount, ndc))
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
        if entry.id in line_ids:
            fail(label, "id", f"another service line has id {entry.id}")
            continue
        line = _as_line(entry)
        try:
            check_service_line(line, diagnosis_counts.get(entry.infusion_id, 0))
        except InvalidInput as exc:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
            continue
        line_ids.add(entry.id)
        checked.records["service_lines"].append(entry)
    superbill_ids = {entry.id for _, entry in decoded.get("superbills", [])}
    for label, entry in decoded.get("superbills", []):
        for name, value, pool, kind in (
            ("patient_id", entry.patient_id, ids["patients"], "patient"),
            ("provider_id", entry.provider_id, ids["providers"], "provider"),
            ("clinic_id", entry.clinic_id, ids["providers"], "clinic"),
            ("coverage_id", entry.coverage_id, ids["coverages"], "coverage"),
            ("superseded_by_id", entry.superseded_by_id, superbill_ids, "superbill"),
        ):
            if value is not None and value not in pool:
                fail(label, name, f"there is no {kind} with id {value} in the file")
        missing = [i for i in entry.line_ids if i not in line_ids]
        if missing:
            fail(label, "line_ids", f"service lines {missing[:5]} are not in the file")
        if "/" in entry.file_name or "\\" in entry.file_name or not entry.file_name.endswith(".pdf"):
            fail(label, "file_name", "must be a plain file name ending in .pdf")
        try:
            datetime.fromisoformat(entry.issued_at)
        except ValueError:
            fail(label, "issued_at", "is not a date and time")
        if entry.pdf_base64 is not None:
            try:
                pdf = base64.b64decode(entry.pdf_base64, validate=True)
            except (binascii.Error, ValueError):
                fail(label, "pdf_base64", "is not base64")
                continue
            if hashlib.sha256(pdf).hexdigest() != entry.sha256:
                fail(label, "pdf_base64", "does not match the recorded SHA-256: the document was altered")
                continue
            checked.pdfs[entry.id] = pdf
        checked.records["superbills"].append(entry)
    return checked, problems


def import_billing(session: Session, checked: CheckedBilling, folder: Path) -> list[Path]:
    """Insert the billing records (inside the import's transaction); returns the PDF files written,
    so the caller can remove them should the transaction fail."""
    for code in checked.records["procedure_codes"]:
        session.add(
            ProcedureCodeEntry(
                code=code.code,
                kind=code.kind,
                description=code.description,
                default_units=code.default_units,
                effective_from=code.effective_from,
                effective_to=code.effective_to,
                replaced_by=code.replaced_by,
                add_on=code.add_on,
            )
        )
    for fee in checked.records["fee_schedule"]:
        session.add(
            FeeScheduleEntry(provider_id=fee.provider_id, code=fee.code, amount=fee.amount, ndc=fee.ndc)
        )
    for entry in checked.records["service_lines"]:
        session.add(line_row(_as_line(entry), entry.infusion_id, entry.position, entry.id))
    session.flush()
    written: list[Path] = []
    entries = checked.records["superbills"]
    for entry in entries:  # superseded_by refers to another superbill: rows first, links after
        session.add(
            IssuedSuperbill(
                id=entry.id,
                number=entry.number,
                version=entry.version,
                patient_id=entry.patient_id,
                provider_id=entry.provider_id,
                clinic_id=entry.clinic_id,
                coverage_id=entry.coverage_id,
                date_from=entry.date_from,
                date_to=entry.date_to,
                issued_at=datetime.fromisoformat(entry.issued_at).astimezone(UTC),
                draft=entry.draft,
                file_name=entry.file_name,
                sha256=entry.sha256,
                total_charges=entry.total_charges,
                total_paid=entry.total_paid,
            )
        )
    session.flush()
    for entry in entries:
        if entry.superseded_by_id is not None:
            row = session.get(IssuedSuperbill, entry.id)
            assert row is not None
            row.superseded_by_id = entry.superseded_by_id
        session.add_all(SuperbillLine(superbill_id=entry.id, service_line_id=i) for i in entry.line_ids)
        pdf = checked.pdfs.get(entry.id)
        if pdf is not None:
            path = make_private_dir(folder) / entry.file_name
            write_private(path, pdf, overwrite=True)
            written.append(path)
    return written
