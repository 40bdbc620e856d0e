"""What keeps the records trustworthy: the hash-chained audit log and its seals (schema 0004), and
the bytes of every issued document, content-addressed and never changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.store.models.base import Base
from kettrack.store.types import UTCDateTime, utcnow

__all__ = ["AuditLogEntry", "AuditSeal", "Document"]


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
