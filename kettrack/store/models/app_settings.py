"""Per-database settings: who uses the database, whether set-up is done, the lock PIN, the backup
retention and the id the audit seals are keyed to. Never in QSettings, which is per machine.
"""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kettrack.store.models.base import Base

__all__ = ["AppSetting"]


class AppSetting(Base):
    """Per-database settings (who uses it, first-run done); never in QSettings, which is per machine."""

    __tablename__ = "app_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
