"""The audit log in the database: who did what to which record, when, from which machine, chained by
hashes (``kettrack.core.audit``) so a removed or altered entry is detected, and append-only (database
triggers refuse UPDATE and DELETE). Against someone who rewrites the file itself, each entry is
sealed with a key kept outside it and the chain's head is anchored outside it
(``kettrack.store.audit_anchor``).

An entry is written inside the same transaction as the change it describes, so the two commit or
roll back together; so is its seal. Details name the fields that changed, never their values: the
log must not become a second copy of the health information it guards.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, seal
from kettrack.store import audit_anchor
from kettrack.store.audit_anchor import AuditVerdict, entry_of
from kettrack.store.database import Database
from kettrack.store.models import AuditLogEntry

# Serialises appenders on PostgreSQL (several desks): each reads the last entry, then links to it.
_PG_LOCK_KEY = 0x6B657474_61756474  # "kett" "audt"

ACTIONS = (
    "view",
    "create",
    "update",
    "delete",
    "export",
    "print",
    "issue",
    "import",
    "backup",
    "restore",
    "migration",
    "failed_unlock",
    "encryption",
)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (a container): still record the act
        return "unknown"


def actor(session: Session) -> str:
    """The operating-system user, or on a shared server the database user the desk signed in as."""
    if session.get_bind().dialect.name == "postgresql":
        name = session.execute(text("SELECT current_user")).scalar()
        return f"{name} (os: {_os_user()})"
    return _os_user()


def changed_fields(before: object, after: object) -> str:
    """The names of the fields that differ between two records, for an "update" entry."""
    names = [
        name
        for name in getattr(after, "__dataclass_fields__", {})
        if name != "id" and getattr(before, name, None) != getattr(after, name, None)
    ]
    return "changed: " + ", ".join(names) if names else "no change"


def record(
    session: Session, action: str, record_kind: str = "", record_id: int | None = None, details: str = ""
) -> None:
    """Append one entry inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    last = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.sequence.desc()).limit(1)).first()
    previous = entry_of(last) if last is not None else None
    entry = seal(
        AuditEntry(
            0,
            datetime.now(UTC),
            actor(session)[:100],
            socket.gethostname()[:100],
            action,
            record_kind,
            record_id,
            details[:2000],
        ),
        previous,
    )
    session.add(
        AuditLogEntry(
            sequence=entry.sequence,
            at=entry.at,
            actor=entry.actor,
            machine=entry.machine,
            action=entry.action,
            record_kind=entry.record_kind,
            record_id=entry.record_id,
            details=entry.details,
            previous_hash=entry.previous_hash,
            hash=entry.hash,
        )
    )
    audit_anchor.appended(session, entry, previous, action)
    session.flush()


class AuditLog:
    """Reading and checking the log, and writing entries for acts outside a unit of work."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_now(
        self, action: str, record_kind: str = "", record_id: int | None = None, details: str = ""
    ) -> None:
        with self.db.session() as session:
            record(session, action, record_kind, record_id, details)

    def entries(
        self,
        *,
        record_kind: str | None = None,
        record_id: int | None = None,
        action: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[AuditEntry]:
        query = select(AuditLogEntry)
        if record_kind is not None:
            query = query.where(AuditLogEntry.record_kind == record_kind)
        if record_id is not None:
            query = query.where(AuditLogEntry.record_id == record_id)
        if action is not None:
            query = query.where(AuditLogEntry.action == action)
        order = AuditLogEntry.sequence.desc() if newest_first else AuditLogEntry.sequence
        query = query.order_by(order).offset(offset).limit(limit)
        with self.db.reader() as session:
            return [entry_of(row) for row in session.scalars(query)]

    def verify(self) -> list[str]:
        """Every problem found, in words (empty: nothing shows tampering): breaks in the chain,
        missing or wrong seals, and a chain shorter than, or different from, an anchor's head."""
        return list(self.report().problems)

    def report(self, against: Sequence[Path] = ()) -> AuditVerdict:
        """The full verdict: problems, how the seals stand, the anchors compared, what could not be
        checked (``against``: backup manifests or exports to compare with as well)."""
        return audit_anchor.verdict(self.db, against)

    def count(self) -> int:
        with self.db.reader() as session:
            return int(session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0)
