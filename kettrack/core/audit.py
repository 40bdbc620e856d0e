"""The audit chain: each entry carries the hash of the one before, so removing or altering any
entry breaks every hash after it. Pure functions; the store appends and reads the rows.

The chain alone convinces no one who could rewrite the whole file: they can recompute every hash.
Two things from outside the file close that gap (``kettrack.store.audit_anchor`` keeps them): each
entry's *seal*, an HMAC of its hash under a key the file does not hold, and *heads*, the last entry's
sequence and hash as recorded elsewhere (the config folder, backup manifests, exports)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64
# Bound into every seal, so a MAC made with the same key for anything else can never pass for one.
_SEAL_CONTEXT = b"kettrack audit seal v1\x00"


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which record, when, on which machine."""

    sequence: int
    at: datetime
    actor: str
    machine: str
    action: str
    record_kind: str = ""
    record_id: int | None = None
    details: str = ""
    previous_hash: str = GENESIS
    hash: str = ""


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over a canonical serialisation of every field but the hash itself."""
    if entry.at.tzinfo is None:
        raise ValueError("audit times are timezone-aware UTC")
    payload = json.dumps(
        [
            entry.sequence,
            entry.at.isoformat(),
            entry.actor,
            entry.machine,
            entry.action,
            entry.record_kind,
            entry.record_id,
            entry.details,
            entry.previous_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def seal(entry: AuditEntry, previous: AuditEntry | None) -> AuditEntry:
    """The entry with its sequence, link to the previous entry and its own hash filled in."""
    linked = AuditEntry(
        sequence=(previous.sequence + 1) if previous else 1,
        at=entry.at,
        actor=entry.actor,
        machine=entry.machine,
        action=entry.action,
        record_kind=entry.record_kind,
        record_id=entry.record_id,
        details=entry.details,
        previous_hash=previous.hash if previous else GENESIS,
    )
    return AuditEntry(**{**linked.__dict__, "hash": entry_hash(linked)})


def verify_chain(entries: Iterable[AuditEntry], after: AuditEntry | None = None) -> list[str]:
    """Every break in the chain, in words; an empty list means it is intact. ``after``: the entry the
    first one must follow (to check the end of a chain whose start is already trusted)."""
    problems: list[str] = []
    previous: AuditEntry | None = after
    for entry in entries:
        expected_sequence = previous.sequence + 1 if previous else 1
        if entry.sequence != expected_sequence:
            problems.append(f"entry {expected_sequence} is missing (found {entry.sequence} next)")
        expected_link = previous.hash if previous else GENESIS
        if entry.previous_hash != expected_link:
            problems.append(f"entry {entry.sequence} does not follow the entry before it")
        if entry_hash(entry) != entry.hash:
            problems.append(f"entry {entry.sequence} was altered after it was written")
        previous = entry
    return problems


def seal_mac(key: bytes, entry_hash_hex: str) -> str:
    """The seal of an entry: HMAC-SHA256 of its hash under the database's seal key."""
    # UTF-8, not ASCII: a hash column someone filled with anything else must fail the check, not crash it.
    return hmac.new(key, _SEAL_CONTEXT + entry_hash_hex.encode("utf-8"), hashlib.sha256).hexdigest()


def seal_matches(key: bytes, entry_hash_hex: str, mac: str) -> bool:
    return hmac.compare_digest(seal_mac(key, entry_hash_hex).encode("ascii"), mac.encode("utf-8"))


@dataclass(frozen=True)
class AuditHead:
    """The last entry of a chain as an anchor outside the database records it: its sequence and hash,
    its seal (empty where there was none) and time, and the id of the database it belongs to."""

    sequence: int
    hash: str
    mac: str = ""
    at: datetime | None = None
    database_id: str = ""

    def as_dict(self) -> dict[str, object]:
        """Plain JSON values, for a backup manifest or an export."""
        return {
            "sequence": self.sequence,
            "hash": self.hash,
            "mac": self.mac,
            "at": self.at.isoformat() if self.at is not None else None,
            "database_id": self.database_id,
        }

    @classmethod
    def from_dict(cls, data: object) -> AuditHead:
        """The head ``as_dict`` wrote; ``ValueError`` names what is wrong with anything else."""
        if not isinstance(data, Mapping):
            raise ValueError("an audit head is an object")
        sequence, digest = data.get("sequence"), data.get("hash")
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
            raise ValueError("an audit head's sequence is a whole number from 1")
        if not isinstance(digest, str) or not _is_hex(digest, 64):
            raise ValueError("an audit head's hash is 64 hexadecimal digits")
        mac, at, database_id = data.get("mac") or "", data.get("at"), data.get("database_id") or ""
        if not isinstance(mac, str) or (mac and not _is_hex(mac, 64)):
            raise ValueError("an audit head's seal is empty or 64 hexadecimal digits")
        if not isinstance(database_id, str) or len(database_id) > 64:
            raise ValueError("an audit head's database id is text")
        when: datetime | None = None
        if at is not None:
            if not isinstance(at, str):
                raise ValueError("an audit head's time is an ISO 8601 text")
            when = datetime.fromisoformat(at)  # ValueError on a malformed time
            if when.tzinfo is None:
                raise ValueError("an audit head's time carries its UTC offset")
        return cls(sequence, digest, mac, when, database_id)


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)
