"""The infusion-session repository: validated writes, and the id-list/row-page reads that let the
table show 100,000 sessions without loading them all (Anki's browser keeps ids, fills rows lazily)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, and_, delete, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from kettrack.core import validation
from kettrack.core.enums import ProviderKind
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.records import InfusionRecord, PaymentRecord
from kettrack.core.rows import InfusionFilter, InfusionRow
from kettrack.store import audit
from kettrack.store.billing import superbill_holding
from kettrack.store.database import Database
from kettrack.store.models import (
    Infusion,
    InfusionDiagnosis,
    Patient,
    Payment,
    Provider,
    ServiceLine,
)
from kettrack.store.people import require

SORT_KEYS = ("date", "patient", "provider", "drug", "route", "dose", "duration", "diagnoses", "paid")
_RenderingProvider = aliased(Provider)
NO_FILTER = InfusionFilter()  # frozen, so one shared default is safe


def to_record(row: Infusion) -> InfusionRecord:
    return InfusionRecord(
        id=row.id,
        patient_id=row.patient_id,
        provider_id=row.provider_id,
        clinic_id=row.clinic_id,
        service_date=row.service_date,
        start_time=row.start_time,
        end_time=row.end_time,
        place_of_service=row.place_of_service,
        drug=row.drug,
        route=row.route,
        dose_mg=row.dose_mg,
        weight_kg=row.weight_kg,
        diagnoses=tuple(d.code for d in row.diagnoses),
        phq9_before=row.phq9_before,
        phq9_after=row.phq9_after,
        gad7_before=row.gad7_before,
        gad7_after=row.gad7_after,
        pain_before=row.pain_before,
        pain_after=row.pain_after,
        side_effects=row.side_effects,
        notes=row.notes,
        payments=tuple(PaymentRecord(p.paid_on, p.amount, p.method, p.reference) for p in row.payments),
        rems_form_sent_on=row.rems_form_sent_on,
    )


def apply_record(row: Infusion, record: InfusionRecord) -> None:
    scalar_fields = (
        "patient_id",
        "provider_id",
        "clinic_id",
        "service_date",
        "start_time",
        "end_time",
        "place_of_service",
        "drug",
        "route",
        "dose_mg",
        "weight_kg",
        "phq9_before",
        "phq9_after",
        "gad7_before",
        "gad7_after",
        "pain_before",
        "pain_after",
        "side_effects",
        "notes",
    )
    # Not rems_form_sent_on: editing a session never clears or sets its REMS form (kettrack.store.rems
    # records it; the importer copies it).
    for name in scalar_fields:
        setattr(row, name, getattr(record, name))
    row.duration_minutes = record.duration_minutes
    row.diagnoses = [InfusionDiagnosis(position=i, code=code) for i, code in enumerate(record.diagnoses)]
    row.payments = [
        Payment(paid_on=p.paid_on, amount=p.amount, method=p.method, reference=p.reference)
        for p in record.payments
    ]
    row.diagnosis_summary = ", ".join(record.diagnoses)[:120]
    row.amount_paid = record.amount_paid


class InfusionRepository:
    """Infusion sessions with their diagnoses and payments."""

    def __init__(
        self, db: Database, icd: Callable[[], Icd10Releases], today: Callable[[], date] = date.today
    ) -> None:
        self.db = db
        self.icd = icd
        self.today = today

    def _load(self, session: Session, record_id: int) -> Infusion:
        row = session.scalars(
            select(Infusion)
            .where(Infusion.id == record_id)
            .options(selectinload(Infusion.diagnoses), selectinload(Infusion.payments))
        ).one_or_none()
        if row is None:
            raise NotFound("infusion session", record_id)
        return row

    def _validated(self, session: Session, record: InfusionRecord) -> InfusionRecord:
        patient = session.get(Patient, record.patient_id)
        if patient is None:
            raise InvalidInput.single("patient_id", f"there is no patient with id {record.patient_id}")
        require(session, Provider, record.provider_id, "provider_id", "provider")
        require(session, Provider, record.clinic_id, "clinic_id", "clinic")
        if record.clinic_id is not None:
            clinic = session.get(Provider, record.clinic_id)
            if clinic is not None and clinic.kind is not ProviderKind.ORGANIZATION:
                raise InvalidInput.single("clinic_id", f"{clinic.name} is not a clinic (an organization)")
        return validation.check_infusion(
            record, today=self.today(), icd=self.icd(), date_of_birth=patient.date_of_birth
        )

    def get(self, record_id: int) -> InfusionRecord:
        with self.db.reader() as session:
            return to_record(self._load(session, record_id))

    def add(self, record: InfusionRecord) -> InfusionRecord:
        with self.db.session() as session:
            record = self._validated(session, record)
            row = Infusion(diagnoses=[], payments=[])
            apply_record(row, record)
            session.add(row)
            session.flush()
            audit.record(session, "create", "infusion", row.id)
            return to_record(row)

    def add_many(self, records: Sequence[InfusionRecord], *, validate: bool = True) -> int:
        """Insert many sessions in one transaction (demo data, import, benchmarks)."""
        with self.db.session() as session:
            for record in records:
                if validate:
                    record = self._validated(session, record)
                row = Infusion(diagnoses=[], payments=[])
                apply_record(row, record)
                session.add(row)
            audit.record(session, "create", "infusion", None, f"{len(records)} sessions at once")
        return len(records)

    def update(self, record: InfusionRecord) -> InfusionRecord:
        if record.id is None:
            raise InvalidInput.single("id", "an id is needed to update a session")
        with self.db.session() as session:
            row = self._load(session, record.id)
            record = self._validated(session, record)
            before = to_record(row)
            apply_record(row, record)
            session.flush()
            after = to_record(row)
            audit.record(session, "update", "infusion", record.id, audit.changed_fields(before, after))
            return after

    def delete(self, record_id: int) -> None:
        """Delete a session with its billing lines; refused once a superbill was issued for it."""
        with self.db.session() as session:
            row = self._load(session, record_id)
            if superbill_holding(session, record_id) is not None:
                raise InvalidInput.single(
                    "id", "this session is on an issued superbill, which must stay as it was issued"
                )
            session.execute(delete(ServiceLine).where(ServiceLine.infusion_id == record_id))
            session.delete(row)
            audit.record(session, "delete", "infusion", record_id)

    def count(self) -> int:
        with self.db.reader() as session:
            return int(session.scalar(select(func.count()).select_from(Infusion)) or 0)

    def possible_duplicates(self, record: InfusionRecord) -> list[int]:
        """Other sessions of the same patient on the same day with the same drug."""
        with self.db.reader() as session:
            query = select(Infusion.id).where(
                Infusion.patient_id == record.patient_id,
                Infusion.service_date == record.service_date,
                Infusion.drug == record.drug,
            )
            if record.id is not None:
                query = query.where(Infusion.id != record.id)
            return list(session.scalars(query))

    def _filtered(self, query: Select[Any], flt: InfusionFilter) -> Select[Any]:
        conditions: list[Any] = []
        if flt.patient_id is not None:
            conditions.append(Infusion.patient_id == flt.patient_id)
        if flt.date_from is not None:
            conditions.append(Infusion.service_date >= flt.date_from)
        if flt.date_to is not None:
            conditions.append(Infusion.service_date <= flt.date_to)
        needle = flt.text.strip()
        if needle:
            # Typed % and _ are searched for literally, not as LIKE wildcards.
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            conditions.append(
                or_(
                    Patient.legal_name.ilike(pattern, escape="\\"),
                    Infusion.diagnosis_summary.ilike(pattern, escape="\\"),
                    Infusion.notes.ilike(pattern, escape="\\"),
                    # As plain text: the enum type would refuse to bind "%ket%" as a drug.
                    type_coerce(Infusion.drug, String).ilike(pattern, escape="\\"),
                    _RenderingProvider.name.ilike(pattern, escape="\\"),
                )
            )
        return query.where(and_(*conditions)) if conditions else query

    def ids(self, flt: InfusionFilter = NO_FILTER, sort: str = "date", descending: bool = True) -> list[int]:
        """The ids of matching sessions in display order; cheap enough for 100,000 rows."""
        if sort not in SORT_KEYS:
            raise ValueError(f"unknown sort key {sort!r}")
        columns: dict[str, Any] = {
            "date": Infusion.service_date,
            "patient": Patient.legal_name,
            "provider": _RenderingProvider.name,
            "drug": Infusion.drug,
            "route": Infusion.route,
            "dose": Infusion.dose_mg,
            "duration": Infusion.duration_minutes,
            "diagnoses": Infusion.diagnosis_summary,
            "paid": Infusion.amount_paid,
        }
        key = columns[sort]
        # Empty values first ascending and last descending on every database (PostgreSQL's default
        # is the other way round from SQLite's).
        if descending:
            order = (key.desc().nulls_last(), Infusion.id.desc())
        else:
            order = (key.asc().nulls_first(), Infusion.id.asc())
        query = select(Infusion.id)
        if sort == "patient" or flt.text.strip():
            query = query.join(Patient, Patient.id == Infusion.patient_id)
        if sort == "provider" or flt.text.strip():
            query = query.outerjoin(_RenderingProvider, _RenderingProvider.id == Infusion.provider_id)
        with self.db.reader() as session:
            return list(session.scalars(self._filtered(query, flt).order_by(*order)))

    def rows(self, ids: Sequence[int]) -> list[InfusionRow]:
        """Table rows for the given ids, in the same order (missing ids are skipped)."""
        if not ids:
            return []
        query = (
            select(
                Infusion.id,
                Infusion.service_date,
                Infusion.patient_id,
                Patient.legal_name,
                _RenderingProvider.name,
                _RenderingProvider.credentials,
                Infusion.drug,
                Infusion.route,
                Infusion.dose_mg,
                Infusion.duration_minutes,
                Infusion.diagnosis_summary,
                Infusion.amount_paid,
            )
            .join(Patient, Patient.id == Infusion.patient_id)
            .outerjoin(_RenderingProvider, _RenderingProvider.id == Infusion.provider_id)
            .where(Infusion.id.in_(list(ids)))
        )
        with self.db.reader() as session:
            found = {}
            for r in session.execute(query):
                provider = f"{r[4]}, {r[5]}" if r[4] and r[5] else (r[4] or "")
                found[r[0]] = InfusionRow(
                    id=r[0],
                    service_date=r[1],
                    patient_id=r[2],
                    patient_name=r[3],
                    provider_name=provider,
                    drug=r[6],
                    route=r[7],
                    dose_mg=r[8],
                    duration_minutes=r[9],
                    diagnoses=r[10],
                    amount_paid=r[11] if r[11] is not None else Decimal("0.00"),
                )
        return [found[i] for i in ids if i in found]

    def list(self, flt: InfusionFilter = NO_FILTER) -> list[InfusionRecord]:
        """Whole records (for export and the command line), oldest first."""
        ids = self.ids(flt, sort="date", descending=False)
        with self.db.reader() as session:
            records: list[InfusionRecord] = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = session.scalars(
                    select(Infusion)
                    .where(Infusion.id.in_(chunk))
                    .options(selectinload(Infusion.diagnoses), selectinload(Infusion.payments))
                ).all()
                by_id = {row.id: row for row in rows}
                records.extend(to_record(by_id[i]) for i in chunk)
            return records


def records_in(session: Session, *conditions: Any) -> list[InfusionRecord]:
    """Whole records of the sessions meeting ``conditions``, read in the caller's ``session`` in one
    statement (their diagnoses and payments joined: a session has few of each), in no particular order."""
    rows = (
        session.scalars(
            select(Infusion)
            .where(*conditions)
            .options(joinedload(Infusion.diagnoses), joinedload(Infusion.payments))
        )
        .unique()
        .all()
    )
    return [to_record(row) for row in rows]
