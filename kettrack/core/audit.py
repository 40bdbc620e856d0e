"""The audit chain: each entry carries the hash of the one before, so removing or altering any
entry breaks every hash after it. Pure functions; the store appends and reads the rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


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


def verify_chain(entries: Iterable[AuditEntry]) -> list[str]:
    """Every break in the chain, in words; an empty list means it is intact."""
    problems: list[str] = []
    previous: AuditEntry | None = None
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
