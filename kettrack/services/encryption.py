"""Encryption of an open database as a use case: convert (encrypt, decrypt, change the passphrase) and
record it in the audit log, under the writer lock this process holds, from the window and the command
line alike."""

from __future__ import annotations

from kettrack.store.audit import AuditLog
from kettrack.store.database import Database


def change_key(db: Database, new: str | None) -> str:
    """Encrypt (``new`` given, none before), decrypt (``new`` None) or change the passphrase; the audit
    entry says which (never a key). Returns what was done: "encrypted", "decrypted" or "passphrase
    changed"."""
    done = db.change_key(new)
    AuditLog(db).record_now("encryption", details=done)
    return done
