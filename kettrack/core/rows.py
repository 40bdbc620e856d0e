"""What lists and tables show: flattened rows, filters and choices. Kept apart from the editable
records so the first window can show its table without loading every record type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kettrack.core.enums import Drug, Route


@dataclass(frozen=True)
class InfusionRow:
    """One line of the infusions table: just what the table shows, joined and flattened."""

    id: int
    service_date: date
    patient_id: int
    patient_name: str
    provider_name: str
    drug: Drug
    route: Route
    dose_mg: Decimal | None
    duration_minutes: int | None
    diagnoses: str
    amount_paid: Decimal


@dataclass(frozen=True)
class InfusionFilter:
    """What the infusions table is narrowed to."""

    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""


@dataclass(frozen=True)
class Choice:
    """An id with the words to show for it (for combo boxes and pickers)."""

    id: int
    label: str


@dataclass(frozen=True)
class DatabaseInfo:
    """What the window's status bar says about the open database."""

    location: str
    is_shared: bool
    schema_revision: str
    opened_at: datetime
