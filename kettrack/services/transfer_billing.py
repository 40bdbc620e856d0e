"""The billing part of the JSON export (format version 2 onward): the user's own procedure codes, fee
schedules, each session's service lines and every issued superbill, written out in a stable order and
inserted back inside the import's transaction.

Beside it: the records as the file holds them and their checks (``transfer_billing_records``), and
the ``documents`` section that carries the bytes of every issued document (``transfer_documents``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.line_rules import ContainerType
from kettrack.services.transfer_billing_records import (
    BILLING_SECTIONS,
    RECORD_TYPES,
    CheckedBilling,
    FeeEntry,
    LegacySuperbillEntry,
    LineEntry,
    SuperbillEntry,
    check_billing,
    record_types,
)
from kettrack.services.transfer_documents import (
    DOCUMENTS_SECTION,
    PDF,
    CheckedDocument,
    DocumentRef,
    check_documents,
    export_documents,
    import_documents,
    sha256_problem,
)
from kettrack.services.transfer_format import MAX_TOTAL, clock_day
from kettrack.store.billing import code_of, line_row
from kettrack.store.models import FeeScheduleEntry, IssuedSuperbill, ProcedureCodeEntry, SuperbillLine
from kettrack.store.models import ServiceLine as LineRow

__all__ = [
    "BILLING_SECTIONS",
    "DOCUMENTS_SECTION",
    "MAX_TOTAL",
    "PDF",
    "RECORD_TYPES",
    "CheckedBilling",
    "CheckedDocument",
    "DocumentRef",
    "FeeEntry",
    "LegacySuperbillEntry",
    "LineEntry",
    "SuperbillEntry",
    "check_billing",
    "check_documents",
    "clock_day",
    "export_billing",
    "export_documents",
    "import_billing",
    "import_documents",
    "record_types",
    "sha256_problem",
]


def _container(stored: str) -> ContainerType:
    # A value kettrack does not know reads as unknown everywhere (kettrack.store.billing.containers_in):
    # the file says so too, rather than carrying a value no import would take.
    return ContainerType(stored) if stored in {c.value for c in ContainerType} else ContainerType.UNKNOWN


def export_billing(session: Session, encode: Any) -> dict[str, list[Any]]:
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
    return {
        "procedure_codes": [encode(code_of(r)) for r in codes],
        "fee_schedule": [
            encode(FeeEntry(r.provider_id, r.code, r.amount, r.ndc, _container(r.container))) for r in fees
        ],
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
        "superbills": [
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
                )
            )
            for r in superbills
        ],
    }


# --- import ---------------------------------------------------------------------------------------


def import_billing(session: Session, checked: CheckedBilling) -> None:
    """Insert the billing records inside the import's transaction; their documents are stored by
    ``import_documents``, nothing is written outside the database."""
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
            FeeScheduleEntry(
                provider_id=fee.provider_id,
                code=fee.code,
                amount=fee.amount,
                ndc=fee.ndc,
                container=fee.container.value,
            )
        )
    for entry, line in checked.records["service_lines"]:
        session.add(line_row(line, entry.infusion_id, entry.position, entry.id))
    session.flush()
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
