"""What the superbill use cases take and give: the request (which sessions), the issued superbill as
the lists show it, and the two refusals (incomplete; changed since it was checked)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kettrack.core.bill_problems import BillProblem
from kettrack.core.problems import InvalidInput
from kettrack.store.models import IssuedSuperbill


@dataclass(frozen=True)
class SuperbillRequest:
    """Which sessions a superbill covers: a patient's sessions in a date range (optionally one
    provider's), or the sessions picked by id."""

    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    provider_id: int | None = None
    infusion_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class IssuedSuperbillRecord:
    """An issued superbill as the Superbills list shows it."""

    id: int
    number: str
    version: int
    patient_id: int
    patient_name: str
    provider_name: str
    date_from: date
    date_to: date
    issued_at: datetime
    draft: bool
    file_name: str  # a suggested name for a saved copy; the PDF itself is in the database
    sha256: str
    total_charges: Decimal
    total_paid: Decimal
    superseded: bool
    skipped: int = 0  # sessions of the date range left out: a superbill already bills them


class PreflightFailed(InvalidInput):
    """The superbill is incomplete; it can be issued only as a draft. ``found`` holds each problem with
    its record and fix, ``messages`` their words."""

    def __init__(self, problems: Sequence[BillProblem | str]) -> None:
        from kettrack.core.problems import Problem

        self.found = tuple(p if isinstance(p, BillProblem) else BillProblem(p) for p in problems)
        super().__init__([Problem("superbill", str(p)) for p in self.found])
        self.messages = tuple(str(p) for p in self.found)


class RecordsChanged(InvalidInput):
    """The records changed between the check the person saw and the issuing; nothing was issued."""

    def __init__(self) -> None:
        from kettrack.core.problems import Problem

        super().__init__(
            [Problem("superbill", "the records changed since this superbill was checked: check it again")]
        )


def record_of(row: IssuedSuperbill, patient_name: str, provider_name: str) -> IssuedSuperbillRecord:
    return IssuedSuperbillRecord(
        id=row.id,
        number=row.number,
        version=row.version,
        patient_id=row.patient_id,
        patient_name=patient_name,
        provider_name=provider_name,
        date_from=row.date_from,
        date_to=row.date_to,
        issued_at=row.issued_at,
        draft=row.draft,
        file_name=row.file_name,
        sha256=row.sha256,
        total_charges=row.total_charges,
        total_paid=row.total_paid,
        superseded=row.superseded_by_id is not None,
    )
