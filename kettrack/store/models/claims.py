"""Claims (schema 0003): each claim with its lines, its append-only events and their adjustment lines,
the files kept with it, prior authorizations and the claims they cover, reason codes the user added,
payers' own rules, and appeal letters as issued.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.core.claim_states import ClaimState, CloseReason, EventKind
from kettrack.core.claims import Filer, GroupCode, SubmitMethod
from kettrack.core.deadlines import DeadlineKind
from kettrack.core.enums import AuthStatus
from kettrack.store.models.base import Base, Stamped, enum_column
from kettrack.store.types import Money, UTCDateTime, utcnow

__all__ = [
    "AppealLetterEntry",
    "Claim",
    "ClaimAdjustmentEntry",
    "ClaimAttachment",
    "ClaimAuthorization",
    "ClaimEventEntry",
    "ClaimLineEntry",
    "PayerRuleOverride",
    "PriorAuthorization",
    "ReasonCodeEntry",
]


class Claim(Stamped, Base):
    """A submission of service lines to one coverage. Its state, money and next step are derived
    from its events by the claims service and copied here so the tables and the dashboard can sort
    and filter on them in SQL; the events are the truth (``kettrack check`` compares the two)."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("billed >= 0", name="billed_not_negative"),
        Index("ix_claims_open_due", "closed", "next_due"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id", ondelete="RESTRICT"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id", ondelete="RESTRICT"), index=True)
    superbill_id: Mapped[int | None] = mapped_column(ForeignKey("superbills.id", ondelete="RESTRICT"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    primary_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    filer: Mapped[Filer] = mapped_column(enum_column(Filer, "claim_filer"))
    method: Mapped[SubmitMethod] = mapped_column(enum_column(SubmitMethod, "submit_method"))
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    first_service: Mapped[date] = mapped_column(Date)
    last_service: Mapped[date] = mapped_column(Date)
    billed: Mapped[Decimal] = mapped_column(Money())
    # Derived from the events (see kettrack.services.claim_derivation.refresh).
    state: Mapped[ClaimState] = mapped_column(enum_column(ClaimState, "claim_state"), index=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    appeal_level: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(20))
    close_reason: Mapped[CloseReason | None] = mapped_column(enum_column(CloseReason, "close_reason"))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    outstanding: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    next_due: Mapped[date | None] = mapped_column(Date)
    next_kind: Mapped[DeadlineKind | None] = mapped_column(enum_column(DeadlineKind, "deadline_kind"))
    next_action: Mapped[str] = mapped_column(String(200), default="")
    next_trigger: Mapped[date | None] = mapped_column(Date)
    next_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)


class ClaimLineEntry(Base):
    """A line the claim bills, copied from the service line when the claim was made."""

    __tablename__ = "claim_lines"
    __table_args__ = (CheckConstraint("units >= 1", name="units_positive"),)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_lines.id", ondelete="RESTRICT"), index=True
    )
    service_date: Mapped[date] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(11), default="")
    units: Mapped[int] = mapped_column(Integer, default=1)
    charge: Mapped[Decimal] = mapped_column(Money())


class ClaimEventEntry(Base):
    """One event of a claim's history. Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "claim_events"
    __table_args__ = (UniqueConstraint("claim_id", "sequence", name="uq_claim_events_claim_sequence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    # 1, 2, 3... per claim; the unique constraint makes two desks recording at once collide, not interleave.
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "claim_event_kind"))
    business_date: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    appeal_level: Mapped[str | None] = mapped_column(String(40))
    close_reason: Mapped[CloseReason | None] = mapped_column(enum_column(CloseReason, "close_reason"))
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    method: Mapped[SubmitMethod | None] = mapped_column(enum_column(SubmitMethod, "submit_method"))
    allowed: Mapped[Decimal | None] = mapped_column(Money())
    paid: Mapped[Decimal | None] = mapped_column(Money())
    deductible: Mapped[Decimal | None] = mapped_column(Money())
    coinsurance: Mapped[Decimal | None] = mapped_column(Money())
    copay: Mapped[Decimal | None] = mapped_column(Money())


class ClaimAdjustmentEntry(Base):
    """An adjustment line of an EOB event (append-only with its event)."""

    __tablename__ = "claim_adjustments"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("claim_events.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_code: Mapped[GroupCode] = mapped_column(enum_column(GroupCode, "adjustment_group"))
    reason: Mapped[str] = mapped_column(String(4))
    remarks: Mapped[str] = mapped_column(String(40), default="")
    amount: Mapped[Decimal] = mapped_column(Money())


class ReasonCodeEntry(Stamped, Base):
    """A CARC or RARC the user added (or re-described); it takes precedence over the starter list."""

    __tablename__ = "reason_codes"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    description: Mapped[str] = mapped_column(String(200))


class ClaimAttachment(Base):
    """A file kept with a claim (EOB, denial letter, letter sent), copied under a generated name."""

    __tablename__ = "claim_attachments"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("claim_events.id", ondelete="RESTRICT"))
    file_name: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by: Mapped[str] = mapped_column(String(100), default="")


class PriorAuthorization(Stamped, Base):
    __tablename__ = "prior_auths"
    __table_args__ = (
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="valid_order"
        ),
        CheckConstraint("units IS NULL OR units >= 1", name="units_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id", ondelete="RESTRICT"))
    auth_number: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[AuthStatus] = mapped_column(enum_column(AuthStatus, "auth_status"))
    requested_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    codes: Mapped[str] = mapped_column(String(100), default="")  # approved codes, space-separated
    units: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class ClaimAuthorization(Base):
    """Which authorization covers which claim."""

    __tablename__ = "claim_auths"
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"), primary_key=True)
    auth_id: Mapped[int] = mapped_column(
        ForeignKey("prior_auths.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class PayerRuleOverride(Stamped, Base):
    """A payer's own filing, appeal and follow-up rules (JSON of kettrack.core.payer_rules.RuleOverrides)."""

    __tablename__ = "payer_rules"
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id", ondelete="CASCADE"), primary_key=True)
    overrides: Mapped[str] = mapped_column(Text)


class AppealLetterEntry(Base):
    """An appeal letter as issued: its file, SHA-256 and the text as edited. Never changed."""

    __tablename__ = "appeal_letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("claim_events.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    paragraphs: Mapped[str] = mapped_column(Text, default="")  # JSON list of the letter's paragraphs
