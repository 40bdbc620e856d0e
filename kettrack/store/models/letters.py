"""Letters (schema 0006): drafts of every kind of letter kettrack writes to a payer (appeals,
external review requests, letters of medical necessity, prior authorization requests), the letters
of medical necessity and authorization requests as issued (appeals are issued as ``appeal_letters``
with their claim event), and the person's evidence library of bibliographic references.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.core.enums import Drug
from kettrack.core.letter_kinds import LetterKind
from kettrack.store.models.base import Base, Stamped, enum_column
from kettrack.store.types import UTCDateTime

__all__ = ["EvidenceReferenceEntry", "IssuedLetterEntry", "LetterDraftEntry"]


class LetterDraftEntry(Stamped, Base):
    """A letter being written: its kind, what it is about, and its text blocks as edited (JSON).
    Nothing is filed while it is a draft; ``issued_number`` is set when it is issued."""

    __tablename__ = "letter_drafts"
    __table_args__ = (CheckConstraint("units IS NULL OR units >= 1", name="units_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind, "letter_kind"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id", ondelete="RESTRICT"))
    arguments: Mapped[str] = mapped_column(String(200), default="")  # comma-separated Argument values
    disputed_lines: Mapped[str] = mapped_column(String(400), default="")  # comma-separated positions
    blocks: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[key, title, text], ...]
    no_claim_number: Mapped[bool] = mapped_column(Boolean, default=False)  # the person confirmed none
    codes: Mapped[str] = mapped_column(String(100), default="")  # an authorization request's codes
    units: Mapped[int | None] = mapped_column(Integer)
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    issued_number: Mapped[str] = mapped_column(String(20), default="")


class IssuedLetterEntry(Base):
    """A letter of medical necessity or prior authorization request as issued. Never changed."""

    __tablename__ = "issued_letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind, "letter_kind"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("letter_drafts.id", ondelete="RESTRICT"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    blocks: Mapped[str] = mapped_column(Text, default="[]")


class EvidenceReferenceEntry(Stamped, Base):
    """A bibliographic reference the person keeps for "experimental" appeals (no drug: either)."""

    __tablename__ = "evidence_references"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug: Mapped[Drug | None] = mapped_column(enum_column(Drug, "drug"))
    citation: Mapped[str] = mapped_column(Text)
