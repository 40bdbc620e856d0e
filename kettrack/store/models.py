"""SQLAlchemy 2 typed models. Every constraint is named (SQLite batch migrations need names);
relationships raise on lazy load so an accidental query from outside the store fails in tests."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kettrack.core.claim_states import ClaimState, CloseReason, EventKind
from kettrack.core.claims import Filer, GroupCode, SubmitMethod
from kettrack.core.codes import CodeKind
from kettrack.core.deadlines import DeadlineKind
from kettrack.core.enums import (
    AuthStatus,
    CoverageRank,
    Drug,
    Network,
    PayerKind,
    PaymentMethod,
    ProviderKind,
    Relationship,
    Route,
    Sex,
    TreatmentKind,
    TreatmentOutcome,
)
from kettrack.store.types import FixedPoint, Money, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(kind: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR with a named CHECK, storing the member's value."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class _Stamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class _Addressed:
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")


class AppSetting(Base):
    """Per-database settings (who uses it, first-run done); never in QSettings, which is per machine."""

    __tablename__ = "app_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Patient(_Stamped, _Addressed, Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(_enum(Sex, "sex"), default=Sex.UNKNOWN)
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")


class Provider(_Stamped, _Addressed, Base):
    """A rendering clinician or a clinic (organization); a clinician may belong to a clinic."""

    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProviderKind] = mapped_column(_enum(ProviderKind, "provider_kind"))
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(50), default="")
    npi: Mapped[str] = mapped_column(String(10), default="")
    tin: Mapped[str] = mapped_column(String(11), default="")
    taxonomy: Mapped[str] = mapped_column(String(10), default="")
    license_number: Mapped[str] = mapped_column(String(50), default="")
    license_state: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))


class Payer(_Stamped, Base):
    __tablename__ = "payers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PayerKind] = mapped_column(_enum(PayerKind, "payer_kind"))
    payer_code: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    claims_address: Mapped[str] = mapped_column(Text, default="")
    appeals_address: Mapped[str] = mapped_column(Text, default="")


class Coverage(_Stamped, Base):
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
    relationship: Mapped[Relationship] = mapped_column(_enum(Relationship, "relationship"))
    policyholder_name: Mapped[str] = mapped_column(String(200), default="")
    policyholder_dob: Mapped[date | None] = mapped_column(Date)
    rank: Mapped[CoverageRank] = mapped_column(_enum(CoverageRank, "coverage_rank"))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    network: Mapped[Network] = mapped_column(_enum(Network, "network"))


class Treatment(_Stamped, Base):
    """An earlier medication or therapy the patient tried (evidence for medical necessity)."""

    __tablename__ = "treatments"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[TreatmentKind] = mapped_column(_enum(TreatmentKind, "treatment_kind"))
    name: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[TreatmentOutcome] = mapped_column(_enum(TreatmentOutcome, "treatment_outcome"))
    notes: Mapped[str] = mapped_column(Text, default="")


class Infusion(_Stamped, Base):
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
    drug: Mapped[Drug] = mapped_column(_enum(Drug, "drug"))
    route: Mapped[Route] = mapped_column(_enum(Route, "route"))
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
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    reference: Mapped[str] = mapped_column(String(50), default="")


class ProcedureCodeEntry(_Stamped, Base):
    """A CPT/HCPCS code the user added or edited; it overrides the starter entry with the same code."""

    __tablename__ = "procedure_codes"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    kind: Mapped[CodeKind] = mapped_column(_enum(CodeKind, "code_kind"))
    description: Mapped[str] = mapped_column(String(200))
    default_units: Mapped[int] = mapped_column(Integer, default=1)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    replaced_by: Mapped[str] = mapped_column(String(5), default="")
    add_on: Mapped[bool] = mapped_column(Boolean, default=False)


class FeeScheduleEntry(_Stamped, Base):
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


class ServiceLine(_Stamped, Base):
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


# --- claims (0003) ---------------------------------------------------------------------------------


class Claim(_Stamped, Base):
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
    filer: Mapped[Filer] = mapped_column(_enum(Filer, "claim_filer"))
    method: Mapped[SubmitMethod] = mapped_column(_enum(SubmitMethod, "submit_method"))
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    first_service: Mapped[date] = mapped_column(Date)
    last_service: Mapped[date] = mapped_column(Date)
    billed: Mapped[Decimal] = mapped_column(Money())
    # Derived from the events (see kettrack.services.claims.ClaimService._refresh).
    state: Mapped[ClaimState] = mapped_column(_enum(ClaimState, "claim_state"), index=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    appeal_level: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(20))
    close_reason: Mapped[CloseReason | None] = mapped_column(_enum(CloseReason, "close_reason"))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    outstanding: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    next_due: Mapped[date | None] = mapped_column(Date)
    next_kind: Mapped[DeadlineKind | None] = mapped_column(_enum(DeadlineKind, "deadline_kind"))
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
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "claim_event_kind"))
    business_date: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    appeal_level: Mapped[str | None] = mapped_column(String(40))
    close_reason: Mapped[CloseReason | None] = mapped_column(_enum(CloseReason, "close_reason"))
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    method: Mapped[SubmitMethod | None] = mapped_column(_enum(SubmitMethod, "submit_method"))
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
    group_code: Mapped[GroupCode] = mapped_column(_enum(GroupCode, "adjustment_group"))
    reason: Mapped[str] = mapped_column(String(4))
    remarks: Mapped[str] = mapped_column(String(40), default="")
    amount: Mapped[Decimal] = mapped_column(Money())


class ReasonCodeEntry(_Stamped, Base):
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


class PriorAuthorization(_Stamped, Base):
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
    status: Mapped[AuthStatus] = mapped_column(_enum(AuthStatus, "auth_status"))
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


class PayerRuleOverride(_Stamped, Base):
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


class AuditLogEntry(Base):
    """The hash-chained audit log (kettrack.core.audit). Append-only: triggers refuse UPDATE and DELETE.
    ``sequence`` is the primary key, so two writers appending at once collide instead of forking."""

    __tablename__ = "audit_log"
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    machine: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40), index=True)
    record_kind: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text, default="")
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


Index("ix_audit_log_record", AuditLogEntry.record_kind, AuditLogEntry.record_id)


# --- documents and audit seals (0004) ------------------------------------------------------------


class Document(Base):
    """The bytes of an issued document (superbill, letter, attachment), content-addressed by SHA-256.

    Documents live in the database, not beside it: they are written in the same transaction as the
    record that issues them, are covered by its encryption, travel with every backup and restore, are
    shared by every desk of a server database, and leave no file path an import could point anywhere.
    The rows that issue them (superbills, appeal letters, attachments) name them by ``sha256``.
    Never changed: a trigger refuses UPDATE."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditSeal(Base):
    """An audit entry's HMAC under a key kept outside the database (kettrack.store.audit_anchor):
    whoever can rewrite the file can recompute the SHA-256 chain, but not these. Append-only."""

    __tablename__ = "audit_seals"
    sequence: Mapped[int] = mapped_column(
        ForeignKey("audit_log.sequence", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    mac: Mapped[str] = mapped_column(String(64))
