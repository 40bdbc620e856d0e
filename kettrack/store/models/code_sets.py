"""Code sets loaded by the user: ICD-10-CM releases beside the bundled one, each with its billable codes,
kept in the database so every desk and every backup has them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.store.models.base import Base
from kettrack.store.types import UTCDateTime, utcnow

__all__ = ["Icd10Release", "Icd10ReleaseCode"]


class Icd10Release(Base):
    """One loaded ICD-10-CM release: in force from ``effective_from`` until the next release starts."""

    __tablename__ = "icd10_releases"
    __table_args__ = (CheckConstraint("code_count > 0", name="code_count_positive"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(40), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    source_name: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str] = mapped_column(String(40))
    source_sha256: Mapped[str] = mapped_column(String(64))
    code_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Icd10ReleaseCode(Base):
    """A billable code of a loaded release, with the release's description of it."""

    __tablename__ = "icd10_release_codes"
    release_id: Mapped[int] = mapped_column(
        ForeignKey("icd10_releases.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    description: Mapped[str] = mapped_column(String(400))
