"""Billing: the user's own procedure codes, fee schedules, each session's service lines, and the
superbills as issued (with the lines each covers).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.core.codes import CodeKind
from kettrack.store.models.base import Base, Stamped, enum_column
from kettrack.store.types import FixedPoint, Money, UTCDateTime

__all__ = [
    "FeeScheduleEntry",
    "IssuedSuperbill",
    "ProcedureCodeEntry",
    "ServiceLine",
    "SuperbillAuthorization",
    "SuperbillLine",
]


class ProcedureCodeEntry(Stamped, Base):
    """A CPT/HCPCS code the user added or edited; it overrides the starter entry with the same code."""

    __tablename__ = "procedure_codes"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    kind: Mapped[CodeKind] = mapped_column(enum_column(CodeKind, "code_kind"))
    description: Mapped[str] = mapped_column(String(200))
    default_units: Mapped[int] = mapped_column(Integer, default=1)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    replaced_by: Mapped[str] = mapped_column(String(5), default="")
    add_on: Mapped[bool] = mapped_column(Boolean, default=False)


class FeeScheduleEntry(Stamped, Base):
    """What a provider or clinic charges per unit of a code (and, for drug codes, the usual NDC)."""

    __tablename__ = "fee_schedule_entries"
    __table_args__ = (
        UniqueConstraint("provider_id", "code", name="uq_fee_schedule_entries_provider_code"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    amount: Mapped[Decimal] = mapped_column(Money())
    ndc: Mapped[str] = mapped_column(String(13), default="")
    # kettrack.core.line_rules.ContainerType: whether JW/JZ apply to the NDC on Medicare Part B lines.
    container: Mapped[str] = mapped_column(String(11), default="unknown", server_default="unknown")


class ServiceLine(Stamped, Base):
    """One billed line of a session (proposed from it, then edited by the user)."""

    __tablename__ = "service_lines"
    __table_args__ = (
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("charge >= 0", name="charge_not_negative"),
        Index("ix_service_lines_infusion_position", "infusion_id", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    infusion_id: Mapped[int] = mapped_column(ForeignKey("infusions.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[date] = mapped_column(Date)
    place_of_service: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(11), default="")  # up to 4, space-separated
    description: Mapped[str] = mapped_column(String(200), default="")
    pointers: Mapped[str] = mapped_column(String(4), default="")
    units: Mapped[int] = mapped_column(Integer, default=1)
    charge: Mapped[Decimal] = mapped_column(Money())
    ndc: Mapped[str] = mapped_column(String(13), default="")
    ndc_unit: Mapped[str] = mapped_column(String(2), default="")
    ndc_quantity: Mapped[Decimal | None] = mapped_column(FixedPoint(3))


class IssuedSuperbill(Base):
    """A superbill as issued: its file, the file's SHA-256 and the lines it covers. Never edited:
    re-issuing writes a new version and marks this one as superseded."""

    __tablename__ = "superbills"
    __table_args__ = (
        UniqueConstraint("number", "version", name="uq_superbills_number_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id", ondelete="RESTRICT"))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    total_charges: Mapped[Decimal] = mapped_column(Money())
    total_paid: Mapped[Decimal] = mapped_column(Money())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("superbills.id", ondelete="RESTRICT"))


class SuperbillLine(Base):
    """Which service lines an issued superbill covers."""

    __tablename__ = "superbill_lines"
    superbill_id: Mapped[int] = mapped_column(
        ForeignKey("superbills.id", ondelete="CASCADE"), primary_key=True
    )
    service_line_id: Mapped[int] = mapped_column(
        ForeignKey("service_lines.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class SuperbillAuthorization(Base):
    """Which prior authorizations an issued superbill prints (those in force for its sessions)."""

    __tablename__ = "superbill_auths"
    superbill_id: Mapped[int] = mapped_column(
        ForeignKey("superbills.id", ondelete="CASCADE"), primary_key=True
    )
    auth_id: Mapped[int] = mapped_column(
        ForeignKey("prior_auths.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
