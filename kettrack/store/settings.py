"""Settings that belong to a database (who uses it, whether first-run set-up is done, which version of
kettrack's claim derivation the stored next steps come from).

Machine preferences and window state live in QSettings (kettrack.ui.settings); nothing about
patients or billing goes there. The claims' stored next steps depend on the user's role: a change of
role calls the ``on_role_change`` the workspace gives (re-deriving the claims) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.enums import UserRole
from kettrack.store.database import Database
from kettrack.store.models import AppSetting

ROLE = "user_role"
SETUP_DONE = "first_run_done"
# kettrack.services.claim_derivation.DERIVATION of the code that last derived every claim.
DERIVED_BY = "claims_derived_by"

# Called inside the transaction that changed the role, with the role now in force.
RoleChanged = Callable[[Session, UserRole | None], object]


def read_value(session: Session, key: str) -> str | None:
    """A setting read in the caller's unit of work."""
    return session.scalar(select(AppSetting.value).where(AppSetting.key == key))


def write_value(session: Session, key: str, value: str) -> None:
    """A setting written in the caller's unit of work."""
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value


def _role_of(text: str | None) -> UserRole | None:
    return UserRole(text) if text in {r.value for r in UserRole} else None


class SettingsRepository:
    def __init__(self, db: Database, *, on_role_change: RoleChanged | None = None) -> None:
        self.db = db
        self.on_role_change = on_role_change

    def get(self, key: str) -> str | None:
        with self.db.reader() as session:
            return read_value(session, key)

    def set(self, key: str, value: str) -> None:
        with self.db.session() as session:
            before = read_value(session, key)
            write_value(session, key, value)
            if key == ROLE and self.on_role_change is not None and _role_of(before) != _role_of(value):
                session.flush()
                self.on_role_change(session, _role_of(value))

    def role(self) -> UserRole | None:
        return _role_of(self.get(ROLE))

    def set_role(self, role: UserRole) -> None:
        self.set(ROLE, role.value)

    def first_run_done(self) -> bool:
        return self.get(SETUP_DONE) == "yes"

    def mark_first_run_done(self) -> None:
        self.set(SETUP_DONE, "yes")
