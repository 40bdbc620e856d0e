"""Treatment sessions: each infusion session with its diagnoses (in pointer order) and the payments
the person made for it.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kettrack.core.enums import Drug, PaymentMethod, Route
from kettrack.store.models.base import Base, Stamped, enum_column
from kettrack.store.types import FixedPoint, Money

__all__ = ["Infusion", "InfusionDiagnosis", "Payment"]


class Infusion(Stamped, Base):
    """One treatment session."""

    __tablename__ = "infusions"
    __table_args__ = (
        CheckConstraint("phq9_before BETWEEN 0 AND 27 AND phq9_after BETWEEN 0 AND 27", name="phq9_range"),
        CheckConstraint("gad7_before BETWEEN 0 AND 21 AND gad7_after BETWEEN 0 AND 21", name="gad7_range"),
        CheckConstraint("pain_before BETWEEN 0 AND 10 AND pain_after BETWEEN 0 AND 10", name="pain_range"),
        CheckConstraint("dose_mg IS NULL OR dose_mg > 0", name="dose_positive"),
        CheckConstraint("weight_kg IS NULL OR weight_kg > 0", name="weight_positive"),
        Index("ix_infusions_patient_date", "patient_id", "service_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"), index=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    # Derived from the times by the repository; stored so the table can sort on it in SQL.
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    place_of_service: Mapped[str] = mapped_column(String(2))
    drug: Mapped[Drug] = mapped_column(enum_column(Drug, "drug"))
    route: Mapped[Route] = mapped_column(enum_column(Route, "route"))
    # Hundredths of a milligram / kilogram, stored as integers like money.
    dose_mg: Mapped[Decimal | None] = mapped_column(FixedPoint(2))
    weight_kg: Mapped[Decimal | None] = mapped_column(FixedPoint(2))
    phq9_before: Mapped[int | None] = mapped_column(Integer)
    phq9_after: Mapped[int | None] = mapped_column(Integer)
    gad7_before: Mapped[int | None] = mapped_column(Integer)
    gad7_after: Mapped[int | None] = mapped_column(Integer)
    pain_before: Mapped[int | None] = mapped_column(Integer)
    pain_after: Mapped[int | None] = mapped_column(Integer)
    side_effects: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Denormalised "A, B" list of codes and the sum of payments, kept by the repository so the
    # 100,000-row table can sort and filter on them without joins.
    diagnosis_summary: Mapped[str] = mapped_column(String(120), default="")
    amount_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # The day the Spravato REMS Patient Monitoring Form for this session was sent (kettrack.core.rems);
    # NULL while it is owed (or for a session that is not esketamine).
    rems_form_sent_on: Mapped[date | None] = mapped_column(Date)

    diagnoses: Mapped[list[InfusionDiagnosis]] = relationship(
        order_by="InfusionDiagnosis.position",
        cascade="all, delete-orphan",
        lazy="raise",
        passive_deletes=True,
    )
    payments: Mapped[list[Payment]] = relationship(
        order_by="Payment.id",
        cascade="all, delete-orphan",
        lazy="raise",
        passive_deletes=True,
    )


class InfusionDiagnosis(Base):
    """An ICD-10-CM code a session treated, in pointer order (A is position 0)."""

    __tablename__ = "infusion_diagnoses"
    __table_args__ = (CheckConstraint("position BETWEEN 0 AND 11", name="position_range"),)
    infusion_id: Mapped[int] = mapped_column(ForeignKey("infusions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8))


class Payment(Base):
    """A payment the person made for a session."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    infusion_id: Mapped[int] = mapped_column(ForeignKey("infusions.id", ondelete="CASCADE"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, "payment_method"))
    reference: Mapped[str] = mapped_column(String(50), default="")
