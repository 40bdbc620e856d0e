"""The people and plans the records are about: patients, providers and clinics, payers, each
patient's coverages, and the treatments a patient tried before (evidence of medical necessity).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.core.enums import (
    CoverageRank,
    Network,
    PayerKind,
    ProviderKind,
    Relationship,
    Sex,
    TreatmentKind,
    TreatmentOutcome,
)
from kettrack.store.models.base import Addressed, Base, Stamped, enum_column

__all__ = ["Coverage", "Patient", "Payer", "Provider", "Treatment"]


class Patient(Stamped, Addressed, Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"), default=Sex.UNKNOWN)
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # Spravato REMS enrolment (kettrack.core.rems); server defaults fill the rows older than 0008.
    rems_enrolled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rems_enrolled_on: Mapped[date | None] = mapped_column(Date)
    rems_id: Mapped[str] = mapped_column(String(50), default="", server_default="")


class Provider(Stamped, Addressed, Base):
    """A rendering clinician or a clinic (organization); a clinician may belong to a clinic."""

    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProviderKind] = mapped_column(enum_column(ProviderKind, "provider_kind"))
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(50), default="")
    npi: Mapped[str] = mapped_column(String(10), default="")
    tin: Mapped[str] = mapped_column(String(11), default="")
    taxonomy: Mapped[str] = mapped_column(String(10), default="")
    license_number: Mapped[str] = mapped_column(String(50), default="")
    license_state: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))


class Payer(Stamped, Base):
    __tablename__ = "payers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PayerKind] = mapped_column(enum_column(PayerKind, "payer_kind"))
    payer_code: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    claims_address: Mapped[str] = mapped_column(Text, default="")
    appeals_address: Mapped[str] = mapped_column(Text, default="")


class Coverage(Stamped, Base):
    """A patient's membership in a payer's plan."""

    __tablename__ = "coverages"
    __table_args__ = (
        CheckConstraint(
            "effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from",
            name="effective_order",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[str] = mapped_column(String(50))
    group_number: Mapped[str] = mapped_column(String(50), default="")
    relationship: Mapped[Relationship] = mapped_column(enum_column(Relationship, "relationship"))
    policyholder_name: Mapped[str] = mapped_column(String(200), default="")
    policyholder_dob: Mapped[date | None] = mapped_column(Date)
    rank: Mapped[CoverageRank] = mapped_column(enum_column(CoverageRank, "coverage_rank"))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    network: Mapped[Network] = mapped_column(enum_column(Network, "network"))


class Treatment(Stamped, Base):
    """An earlier medication or therapy the patient tried (evidence for medical necessity)."""

    __tablename__ = "treatments"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[TreatmentKind] = mapped_column(enum_column(TreatmentKind, "treatment_kind"))
    name: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[TreatmentOutcome] = mapped_column(enum_column(TreatmentOutcome, "treatment_outcome"))
    notes: Mapped[str] = mapped_column(Text, default="")
