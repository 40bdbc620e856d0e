"""Loaded ICD-10-CM releases: read them all, add one (its codes written in bulk, in one transaction
with its audit entry), remove one. The bundled release is not stored: it comes with the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from kettrack.core.codes import ProcedureCode
from kettrack.core.icd10 import Icd10Index
from kettrack.store import audit
from kettrack.store.claim_records import driver_rows
from kettrack.store.database import Database
from kettrack.store.models import (
    Icd10Release,
    Icd10ReleaseCode,
    Infusion,
    InfusionDiagnosis,
    ProcedureCodeEntry,
)


@dataclass(frozen=True)
class StoredRelease:
    """A loaded release's record, without its codes."""

    id: int
    label: str
    fiscal_year: int
    effective_from: date
    source_name: str
    source_kind: str
    source_sha256: str
    code_count: int
    loaded_at: datetime


class ReleaseLabelTaken(ValueError):
    """A release with that label or start date is loaded already."""


def _stored(row: Icd10Release) -> StoredRelease:
    return StoredRelease(
        row.id,
        row.label,
        row.fiscal_year,
        row.effective_from,
        row.source_name,
        row.source_kind,
        row.source_sha256,
        row.code_count,
        row.loaded_at,
    )


def release_version(label: str, source_kind: str, source_name: str) -> str:
    """How a loaded release is named to people: its label and the CDC file it came from."""
    return f"{label} (CDC {source_kind}, {source_name})"


def insert_release(
    session: Session,
    *,
    label: str,
    fiscal_year: int,
    effective_from: date,
    entries: dict[str, str],
    source_name: str,
    source_kind: str,
    source_sha256: str,
    loaded_at: datetime | None = None,
) -> Icd10Release:
    """Write a release and its codes in the caller's transaction (loading a file, importing an export)."""
    row = Icd10Release(
        label=label,
        fiscal_year=fiscal_year,
        effective_from=effective_from,
        source_name=source_name[:200],
        source_kind=source_kind,
        source_sha256=source_sha256,
        code_count=len(entries),
    )
    if loaded_at is not None:
        row.loaded_at = loaded_at
    session.add(row)
    session.flush()
    # Core insert with one parameter list: executemany, far faster than ORM objects for 74,000 rows.
    session.execute(
        insert(Icd10ReleaseCode),
        [{"release_id": row.id, "code": c, "description": d} for c, d in entries.items()],
    )
    return row


class CodeSetRepository:
    """The ICD-10-CM releases loaded into this database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def releases(self) -> list[StoredRelease]:
        with self.db.reader() as session:
            return [
                _stored(r)
                for r in session.scalars(select(Icd10Release).order_by(Icd10Release.effective_from))
            ]

    def indexes(self) -> list[Icd10Index]:
        """Every loaded release with its codes, as indexes (one query for all the codes)."""
        with self.db.reader() as session:
            rows = list(session.scalars(select(Icd10Release).order_by(Icd10Release.effective_from)))
            if not rows:
                return []
            entries: dict[int, dict[str, str]] = {r.id: {} for r in rows}
            result = session.execute(
                select(Icd10ReleaseCode.release_id, Icd10ReleaseCode.code, Icd10ReleaseCode.description)
            )
            for release_id, code, description in result:
                entries[release_id][code] = description
            return [
                Icd10Index(
                    entries[r.id],
                    release_version(r.label, r.source_kind, r.source_name),
                    label=r.label,
                    effective_from=r.effective_from,
                    fiscal_year=r.fiscal_year,
                )
                for r in rows
            ]

    def add(
        self,
        *,
        label: str,
        fiscal_year: int,
        effective_from: date,
        entries: dict[str, str],
        source_name: str,
        source_kind: str,
        source_sha256: str,
    ) -> StoredRelease:
        """Store a release and all its codes in one transaction; nothing is stored if any part fails."""
        with self.db.session() as session:
            clash = session.scalars(
                select(Icd10Release).where(
                    (Icd10Release.label == label) | (Icd10Release.effective_from == effective_from)
                )
            ).first()
            if clash is not None:
                raise ReleaseLabelTaken(
                    f"{clash.label} (from {clash.effective_from.isoformat()}) is loaded already: remove it "
                    f"first with `kettrack codes icd10 --remove {clash.label}` to load another file instead"
                )
            row = insert_release(
                session,
                label=label,
                fiscal_year=fiscal_year,
                effective_from=effective_from,
                entries=entries,
                source_name=source_name,
                source_kind=source_kind,
                source_sha256=source_sha256,
            )
            audit.record(
                session,
                "import",
                "icd10_release",
                row.id,
                f"ICD-10-CM {label} from {effective_from.isoformat()}: {len(entries):,} billable codes",
            )
            return _stored(row)

    def remove(self, label: str) -> StoredRelease | None:
        with self.db.session() as session:
            wanted = func.upper(Icd10Release.label) == label.strip().upper()
            row = session.scalars(select(Icd10Release).where(wanted)).first()
            if row is None:
                return None
            stored = _stored(row)
            session.execute(delete(Icd10ReleaseCode).where(Icd10ReleaseCode.release_id == row.id))
            session.delete(row)
            audit.record(session, "delete", "icd10_release", row.id, f"ICD-10-CM {label} removed")
            return stored


def session_diagnoses(db: Database) -> list[tuple[int, date, list[str]]]:
    """Every session's id, date of service and diagnosis codes in pointer order, in one plain read
    (the whole-database check looks at 100,000 sessions at once)."""
    statement = (
        select(Infusion.id, Infusion.service_date, InfusionDiagnosis.code)
        .join(InfusionDiagnosis, InfusionDiagnosis.infusion_id == Infusion.id)
        .order_by(Infusion.id, InfusionDiagnosis.position)
    )
    found: dict[int, tuple[int, date, list[str]]] = {}
    with db.reader() as session:
        for session_id, day, code in driver_rows(session, statement):
            entry = found.get(session_id)
            if entry is None:
                # SQLite's driver gives the date as text; PostgreSQL's as a date.
                entry = found[session_id] = (
                    session_id,
                    day if isinstance(day, date) else date.fromisoformat(day),
                    [],
                )
            entry[2].append(code)
    return list(found.values())


def save_code_list(db: Database, codes: list[ProcedureCode], source_name: str) -> int:
    """Add or update every code of a checked list in one transaction (the effective dates included)."""
    with db.session() as session:
        for entry in codes:
            row = session.get(ProcedureCodeEntry, entry.code) or ProcedureCodeEntry(code=entry.code)
            row.kind, row.description, row.default_units = entry.kind, entry.description, entry.default_units
            row.effective_from, row.effective_to = entry.effective_from, entry.effective_to
            row.replaced_by, row.add_on = entry.replaced_by, entry.add_on
            session.add(row)
        audit.record(
            session, "import", "procedure_codes", None, f"{len(codes)} codes from {source_name[:100]}"
        )
    return len(codes)
