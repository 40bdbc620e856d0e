"""The audit log as the seals and anchors read it from a database: its entries as plain
``AuditEntry`` values, its head (last sequence, hash, seal, time, database id) from a session or
straight from a database or backup file, and the database's id in its settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, AuditHead
from kettrack.store.audit_anchor_files import valid_database_id
from kettrack.store.models import AppSetting, AuditLogEntry, AuditSeal

__all__ = [
    "DATABASE_ID_SETTING",
    "any_seal",
    "entry_of",
    "head",
    "head_in_file",
    "holds",
    "is_server",
    "last_entry",
    "stored_database_id",
]

DATABASE_ID_SETTING = "database_id"


def entry_of(row: AuditLogEntry) -> AuditEntry:
    return AuditEntry(
        row.sequence,
        row.at,
        row.actor,
        row.machine,
        row.action,
        row.record_kind,
        row.record_id,
        row.details,
        row.previous_hash,
        row.hash,
    )


def is_server(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def stored_database_id(session: Session) -> str | None:
    """The database's id as its settings hold it (None: it has none yet), whatever its form."""
    return session.scalar(select(AppSetting.value).where(AppSetting.key == DATABASE_ID_SETTING))


def any_seal(session: Session) -> bool:
    return session.scalar(select(AuditSeal.sequence).limit(1)) is not None


def last_entry(session: Session) -> tuple[AuditEntry, str] | None:
    """The last entry of the chain and its seal ("" when it has none); None for an empty log."""
    found = session.execute(
        select(AuditLogEntry, AuditSeal.mac)
        .outerjoin(AuditSeal, AuditSeal.sequence == AuditLogEntry.sequence)
        .order_by(AuditLogEntry.sequence.desc())
        .limit(1)
    ).first()
    return (entry_of(found[0]), found[1] or "") if found is not None else None


def holds(session: Session, anchored: AuditHead, last: AuditEntry | None) -> bool:
    """Whether the chain ending at ``last`` holds the anchored head (equal to it or past it)."""
    if last is None or anchored.sequence > last.sequence:
        return False
    if anchored.sequence == last.sequence:
        return anchored.hash == last.hash
    found = session.scalar(select(AuditLogEntry.hash).where(AuditLogEntry.sequence == anchored.sequence))
    return found == anchored.hash


def head(session: Session, *, database_id: str | None = None) -> AuditHead | None:
    """The head of the chain as an anchor records it (None for an empty log): for a backup manifest or
    an export, stored with ``AuditHead.as_dict()``."""
    found = last_entry(session)
    if found is None:
        return None
    entry, mac = found
    if database_id is None:
        stored = stored_database_id(session)
        database_id = stored if valid_database_id(stored) else ""
    return AuditHead(entry.sequence, entry.hash, mac, entry.at, database_id or "")


def head_in_file(path: Path, passphrase: str | None = None) -> AuditHead | None:
    """The head of the chain in a database or backup file, read with sqlite3 (for a backup manifest
    written from the backup copy itself); None when it has no audit entries."""
    from kettrack.store.backup import read_connection

    connection = read_connection(path, passphrase)
    try:
        row = connection.execute(
            "SELECT sequence, hash, at FROM audit_log ORDER BY sequence DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        try:
            mac_row = connection.execute(
                "SELECT mac FROM audit_seals WHERE sequence = ?", (row[0],)
            ).fetchone()
        except Exception:  # a schema before 0004: no seals
            mac_row = None
        id_row = connection.execute(
            "SELECT value FROM app_settings WHERE key = ?", (DATABASE_ID_SETTING,)
        ).fetchone()
    finally:
        connection.close()
    at = datetime.fromisoformat(str(row[2])).replace(tzinfo=UTC)
    database_id = id_row[0] if id_row and valid_database_id(id_row[0]) else ""
    return AuditHead(int(row[0]), str(row[1]), str(mac_row[0]) if mac_row else "", at, database_id)
