"""Repositories for patients, providers and clinics, payers, coverages and treatment history.

Every write validates through ``kettrack.core.validation`` first, so the window, the command line
and the importer refuse the same bad input with the same words. Reads return frozen records.
The shape they share is ``kettrack.store.repository.Repository``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kettrack.core import rems, validation
from kettrack.core.enums import ProviderKind
from kettrack.core.problems import InvalidInput
from kettrack.core.records import (
    Address,
    CoverageRecord,
    PatientRecord,
    PayerRecord,
    ProviderRecord,
    TreatmentRecord,
)
from kettrack.core.rows import Choice
from kettrack.store.models import Coverage, Infusion, Patient, Payer, Provider, Treatment
from kettrack.store.repository import M, R, Repository, require

__all__ = [
    "CoverageRepository",
    "M",
    "PatientRepository",
    "PayerRepository",
    "ProviderRepository",
    "R",
    "Repository",
    "TreatmentRepository",
    "require",
]

_ADDRESS_COLUMNS = ("address_line1", "address_line2", "city", "state", "postal_code")


def _address_of(row: Patient | Provider) -> Address:
    return Address(row.address_line1, row.address_line2, row.city, row.state, row.postal_code)


def _address_columns(address: Address) -> dict[str, str]:
    values = (address.line1, address.line2, address.city, address.state, address.postal_code)
    return dict(zip(_ADDRESS_COLUMNS, values, strict=True))


def _count(session: Session, column: Any, value: int) -> int:
    return int(session.scalar(select(func.count()).where(column == value)) or 0)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class PatientRepository(Repository[PatientRecord, Patient]):
    model = Patient
    kind = "patient"

    def _order(self) -> Any:
        return (Patient.legal_name, Patient.id)

    def to_record(self, row: Patient) -> PatientRecord:
        return PatientRecord(
            id=row.id,
            legal_name=row.legal_name,
            date_of_birth=row.date_of_birth,
            sex=row.sex,
            address=_address_of(row),
            phone=row.phone,
            email=row.email,
            rems_enrolled=row.rems_enrolled,
            rems_enrolled_on=row.rems_enrolled_on,
            rems_id=row.rems_id,
        )

    def columns_of(self, record: PatientRecord) -> dict[str, Any]:
        return {
            "legal_name": record.legal_name,
            "date_of_birth": record.date_of_birth,
            "sex": record.sex,
            "phone": record.phone,
            "email": record.email,
            "rems_enrolled": record.rems_enrolled,
            "rems_enrolled_on": record.rems_enrolled_on,
            "rems_id": record.rems_id,
            **_address_columns(record.address),
        }

    def _check(self, record: PatientRecord) -> PatientRecord:
        # The patient checks of core.validation and the Spravato REMS enrolment, every problem at once.
        return rems.check_patient(record, self.today())

    def _blockers(self, session: Session, record_id: int) -> list[str]:
        found = [
            (_count(session, Infusion.patient_id, record_id), "infusion session"),
            (_count(session, Coverage.patient_id, record_id), "coverage"),
            (_count(session, Treatment.patient_id, record_id), "treatment-history entry"),
        ]
        return [_plural(n, noun) for n, noun in found if n]

    def choices(self) -> list[Choice]:
        with self.db.reader() as session:
            rows = session.execute(select(Patient.id, Patient.legal_name).order_by(*self._order()))
            return [Choice(pid, name) for pid, name in rows]


class ProviderRepository(Repository[ProviderRecord, Provider]):
    model = Provider
    kind = "provider"

    def _order(self) -> Any:
        return (Provider.kind, Provider.name, Provider.id)

    def to_record(self, row: Provider) -> ProviderRecord:
        return ProviderRecord(
            id=row.id,
            kind=row.kind,
            name=row.name,
            credentials=row.credentials,
            npi=row.npi,
            tin=row.tin,
            taxonomy=row.taxonomy,
            license_number=row.license_number,
            license_state=row.license_state,
            address=_address_of(row),
            phone=row.phone,
            clinic_id=row.clinic_id,
        )

    def columns_of(self, record: ProviderRecord) -> dict[str, Any]:
        return {
            "kind": record.kind,
            "name": record.name,
            "credentials": record.credentials,
            "npi": record.npi,
            "tin": record.tin,
            "taxonomy": record.taxonomy,
            "license_number": record.license_number,
            "license_state": record.license_state,
            "phone": record.phone,
            "clinic_id": record.clinic_id,
            **_address_columns(record.address),
        }

    def _check(self, record: ProviderRecord) -> ProviderRecord:
        return validation.check_provider(record)

    def _check_references(self, session: Session, record: ProviderRecord) -> None:
        if record.id is not None and record.kind is not ProviderKind.ORGANIZATION:
            # A clinic turned into an individual would leave its members and sessions pointing at a
            # "clinic" that is a person.
            members = _count(session, Provider.clinic_id, record.id)
            sessions = _count(session, Infusion.clinic_id, record.id)
            if members or sessions:
                used = [_plural(n, noun) for n, noun in ((members, "member"), (sessions, "session")) if n]
                raise InvalidInput.single(
                    "kind", "this clinic still has " + " and ".join(used) + ": it must stay an organization"
                )
        if record.clinic_id is None:
            return
        clinic = session.get(Provider, record.clinic_id)
        if clinic is None or clinic.kind is not ProviderKind.ORGANIZATION:
            raise InvalidInput.single("clinic_id", f"there is no clinic with id {record.clinic_id}")

    def _blockers(self, session: Session, record_id: int) -> list[str]:
        sessions = int(
            session.scalar(
                select(func.count()).where(
                    (Infusion.provider_id == record_id) | (Infusion.clinic_id == record_id)
                )
            )
            or 0
        )
        members = _count(session, Provider.clinic_id, record_id)
        found = [(sessions, "infusion session"), (members, "provider in this clinic")]
        return [_plural(n, noun) for n, noun in found if n]

    def list_kind(self, kind: ProviderKind) -> list[ProviderRecord]:
        return [p for p in self.list() if p.kind is kind]

    def choices(self, kind: ProviderKind) -> list[Choice]:
        return [Choice(p.id, p.display_name) for p in self.list_kind(kind) if p.id is not None]


class PayerRepository(Repository[PayerRecord, Payer]):
    model = Payer
    kind = "payer"

    def _order(self) -> Any:
        return (Payer.name, Payer.id)

    def to_record(self, row: Payer) -> PayerRecord:
        return PayerRecord(
            id=row.id,
            name=row.name,
            kind=row.kind,
            payer_code=row.payer_code,
            phone=row.phone,
            claims_address=row.claims_address,
            appeals_address=row.appeals_address,
        )

    def columns_of(self, record: PayerRecord) -> dict[str, Any]:
        return {
            "name": record.name,
            "kind": record.kind,
            "payer_code": record.payer_code,
            "phone": record.phone,
            "claims_address": record.claims_address,
            "appeals_address": record.appeals_address,
        }

    def _check(self, record: PayerRecord) -> PayerRecord:
        return validation.check_payer(record)

    def _blockers(self, session: Session, record_id: int) -> list[str]:
        n = _count(session, Coverage.payer_id, record_id)
        return [_plural(n, "coverage")] if n else []

    def choices(self) -> list[Choice]:
        return [Choice(p.id, p.name) for p in self.list() if p.id is not None]


class CoverageRepository(Repository[CoverageRecord, Coverage]):
    model = Coverage
    kind = "coverage"

    def _order(self) -> Any:
        return (Coverage.patient_id, Coverage.rank, Coverage.id)

    def to_record(self, row: Coverage) -> CoverageRecord:
        return CoverageRecord(
            id=row.id,
            patient_id=row.patient_id,
            payer_id=row.payer_id,
            member_id=row.member_id,
            group_number=row.group_number,
            relationship=row.relationship,
            policyholder_name=row.policyholder_name,
            policyholder_dob=row.policyholder_dob,
            rank=row.rank,
            effective_from=row.effective_from,
            effective_to=row.effective_to,
            network=row.network,
        )

    def columns_of(self, record: CoverageRecord) -> dict[str, Any]:
        return {
            "patient_id": record.patient_id,
            "payer_id": record.payer_id,
            "member_id": record.member_id,
            "group_number": record.group_number,
            "relationship": record.relationship,
            "policyholder_name": record.policyholder_name,
            "policyholder_dob": record.policyholder_dob,
            "rank": record.rank,
            "effective_from": record.effective_from,
            "effective_to": record.effective_to,
            "network": record.network,
        }

    def _check(self, record: CoverageRecord) -> CoverageRecord:
        return validation.check_coverage(record, self.today())

    def _check_references(self, session: Session, record: CoverageRecord) -> None:
        require(session, Patient, record.patient_id, "patient_id", "patient")
        require(session, Payer, record.payer_id, "payer_id", "payer")

    def _blockers(self, session: Session, record_id: int) -> list[str]:
        from kettrack.store.models import Claim, PriorAuthorization

        found = [
            (_count(session, Claim.coverage_id, record_id), "claim"),
            (_count(session, PriorAuthorization.coverage_id, record_id), "prior authorization"),
        ]
        return [_plural(n, noun) for n, noun in found if n]

    def for_patient(self, patient_id: int) -> list[CoverageRecord]:
        return [c for c in self.list() if c.patient_id == patient_id]


class TreatmentRepository(Repository[TreatmentRecord, Treatment]):
    model = Treatment
    kind = "treatment"

    def _order(self) -> Any:
        # Undated entries first on every database (PostgreSQL would put NULLs last).
        return (Treatment.patient_id, Treatment.started_on.asc().nulls_first(), Treatment.id)

    def to_record(self, row: Treatment) -> TreatmentRecord:
        return TreatmentRecord(
            id=row.id,
            patient_id=row.patient_id,
            kind=row.kind,
            name=row.name,
            details=row.details,
            started_on=row.started_on,
            ended_on=row.ended_on,
            outcome=row.outcome,
            notes=row.notes,
        )

    def columns_of(self, record: TreatmentRecord) -> dict[str, Any]:
        return {
            "patient_id": record.patient_id,
            "kind": record.kind,
            "name": record.name,
            "details": record.details,
            "started_on": record.started_on,
            "ended_on": record.ended_on,
            "outcome": record.outcome,
            "notes": record.notes,
        }

    def _check(self, record: TreatmentRecord) -> TreatmentRecord:
        return validation.check_treatment(record, self.today())

    def _check_references(self, session: Session, record: TreatmentRecord) -> None:
        require(session, Patient, record.patient_id, "patient_id", "patient")

    def for_patient(self, patient_id: int) -> list[TreatmentRecord]:
        return [t for t in self.list() if t.patient_id == patient_id]
