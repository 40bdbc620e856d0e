"""Settings that belong to a database (who uses it, whether first-run set-up is done).

Machine preferences and window state live in QSettings (kettrack.ui.settings); nothing about
patients or billing goes there.
"""

from __future__ import annotations

from sqlalchemy import select

from kettrack.core.enums import UserRole
from kettrack.store.database import Database
from kettrack.store.models import AppSetting

ROLE = "user_role"
SETUP_DONE = "first_run_done"


class SettingsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str) -> str | None:
        with self.db.reader() as session:
            return session.scalar(select(AppSetting.value).where(AppSetting.key == key))

    def set(self, key: str, value: str) -> None:
        with self.db.session() as session:
            row = session.get(AppSetting, key)
            if row is None:
                session.add(AppSetting(key=key, value=value))
            else:
                row.value = value

    def role(self) -> UserRole | None:
        value = self.get(ROLE)
        return UserRole(value) if value in {r.value for r in UserRole} else None

    def set_role(self, role: UserRole) -> None:
        self.set(ROLE, role.value)

    def first_run_done(self) -> bool:
        return self.get(SETUP_DONE) == "yes"

    def mark_first_run_done(self) -> None:
        self.set(SETUP_DONE, "yes")
