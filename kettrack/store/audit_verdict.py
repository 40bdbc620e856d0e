"""Verifying the audit log: the hash chain, every entry's seal under the database's key, and the chain
against every anchor known (this computer's, every backup manifest beside the database, and files
given), told as an ``AuditVerdict``: problems (evidence of tampering), how the seals stand, what was
compared, and what could not be checked (which is not tampering).

The key is given by the caller (``kettrack.store.audit_anchor`` keeps the keys): nothing here reads
a keyring or writes anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, AuditHead, seal_matches, verify_chain
from kettrack.store.audit_anchor_files import (
    MANIFEST_PATTERN,
    AnchorUnreadable,
    read_anchor_file,
    read_config_anchor,
)
from kettrack.store.audit_head import any_seal, entry_of, is_server, stored_database_id
from kettrack.store.models import AuditLogEntry, AuditSeal

if TYPE_CHECKING:
    from kettrack.store.database import Database

__all__ = ["NO_KEY", "ON_SERVER", "AuditVerdict", "compare", "verdict_with_key"]

NO_KEY = "the audit seals cannot be checked on this computer (no key for this database)"
ON_SERVER = "not used on a server database"


@dataclass(frozen=True)
class AuditVerdict:
    """What verifying the audit log found: problems (evidence of tampering), how the seals stand,
    the anchors the chain was compared with, and what could not be checked (not tampering)."""

    entries: int
    problems: tuple[str, ...]
    seals: str
    anchors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            held = (
                "1 entry" if self.entries == 1 else f"{self.entries:,} entries, each linked to the one before"
            )
            lines = [f"the audit log is intact: {held}"]
        else:
            count = len(self.problems)
            lines = [f"the audit log is broken: {count} problem{'' if count == 1 else 's'}"]
            lines += [f"  {p}" for p in self.problems[:50]]
            if count > 50:
                lines.append(f"  and {count - 50} more")
        lines.append(f"seals: {self.seals}")
        if self.anchors:
            lines.append("compared with: " + "; ".join(self.anchors))
        else:
            lines.append("compared with: no anchor outside the database yet")
        lines += self.notes
        return lines


def compare(
    session: Session, head: AuditHead, source_name: str, database_id: str | None, key: bytes | None
) -> list[str]:
    """What an anchor shows against the database, in words (empty: the database holds its head);
    ``source_name`` names the anchor, ``database_id`` and ``key`` are the database's."""
    other = bool(head.database_id and database_id and head.database_id != database_id)
    note = (
        f" (it was written for another database, id {head.database_id}: if another database file was "
        "put in this one's place, that is why)"
        if other
        else ""
    )
    if head.mac and key is not None and not other and not seal_matches(key, head.hash, head.mac):
        return [f"{source_name} was not written with this database's seal key: it is not kettrack's own"]
    end = session.scalar(select(func.max(AuditLogEntry.sequence))) or 0
    if head.sequence > end:
        ends = f"the database ends at entry {end}" if end else "the database has no entries"
        return [f"{source_name} records entry {head.sequence}, {ends}: entries were removed{note}"]
    found = session.scalar(select(AuditLogEntry.hash).where(AuditLogEntry.sequence == head.sequence))
    if found is None:
        return [f"{source_name} records entry {head.sequence}, which is missing from the database{note}"]
    if found != head.hash:
        return [
            f"{source_name} records entry {head.sequence} with another hash than the database holds: "
            f"the log was rewritten at or before entry {head.sequence}{note}"
        ]
    return []


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    start = end = None
    for n in numbers:
        if end is not None and n == end + 1:
            end = n
            continue
        if start is not None and end is not None:
            yield start, end
        start = end = n
    if start is not None and end is not None:
        yield start, end


def _rewritten(start: int, end: int) -> str:
    said = f"entry {start} was rewritten (its seal does not match)"
    if end == start:
        return said
    if end == start + 1:
        return f"{said}, and so was entry {end}"
    return f"{said}, and so were entries {start + 1}–{end}"


def _unsealed(start: int, end: int) -> str:
    which = f"entry {start} has" if start == end else f"entries {start}–{end} have"
    return f"{which} no seal, though later entries are sealed: removed or put in without the key"


def _manifest_heads(db: Database) -> Iterator[tuple[Path, AuditHead | None, str | None, datetime]]:
    """Each backup manifest beside the database: its path, its head (None: it records none) or why it
    could not be read, and when it was written (the head's time, else the file's)."""
    path = db.target.sqlite_path
    if path is None:
        return
    from kettrack.store.location import backup_dir_for

    folder = backup_dir_for(path)
    if not folder.is_dir():
        return
    for manifest in sorted(folder.glob(MANIFEST_PATTERN)):
        try:
            found, problem = read_anchor_file(manifest), None
            written = datetime.fromtimestamp(manifest.stat().st_mtime, UTC)
        except (OSError, ValueError) as exc:
            found, problem, written = None, str(exc), datetime.now(UTC)
        if found is not None and found.at is not None:
            written = found.at
        yield manifest, found, problem, written


def verdict_with_key(
    session: Session, db: Database, against: Sequence[Path], database_id: str | None, key: bytes | None
) -> AuditVerdict:
    """Verify the chain, every seal (with ``key``, the seal key of the database whose valid id is
    ``database_id``; None where there is none) and the chain against every anchor known."""
    problems: list[str] = []
    notes: list[str] = []
    server = is_server(session)
    stored = stored_database_id(session)
    sealed_any = False if server else any_seal(session)
    if server:
        seals = ON_SERVER
    elif stored is not None and database_id is None:
        seals = "cannot be checked"
        problems.append("the database's id in its settings is not one kettrack writes: it was changed")
    elif database_id is None:
        seals = "none yet (no entry was written since seals came in)"
        if sealed_any:
            seals = "cannot be checked"
            problems.append("entries are sealed but the database's id was removed from its settings")
    elif key is None:
        seals = NO_KEY
        notes.append(
            "entries written on this computer get no seal: kettrack does not make a second key "
            "for a database that has one"
        )
    else:
        seals = "every entry sealed with this database's key"
    checking = key is not None

    count = 0
    last: AuditEntry | None = None
    missing: list[int] = []
    bad: list[int] = []
    restores: list[tuple[int, datetime]] = []

    def scanned() -> Iterator[AuditEntry]:
        nonlocal count, last
        rows = session.execute(
            select(AuditLogEntry, AuditSeal.mac)
            .outerjoin(AuditSeal, AuditSeal.sequence == AuditLogEntry.sequence)
            .order_by(AuditLogEntry.sequence)
            .execution_options(yield_per=2000)
        )
        for row, mac in rows:
            entry = entry_of(row)
            count += 1
            last = entry
            sealed_right = False
            if checking:
                assert key is not None
                if mac is None:
                    missing.append(entry.sequence)
                elif seal_matches(key, entry.hash, mac):
                    sealed_right = True
                else:
                    bad.append(entry.sequence)
            if entry.action == "restore" and (sealed_right or server):
                restores.append((entry.sequence, entry.at))
            yield entry

    problems[:0] = verify_chain(scanned())
    problems += [_rewritten(start, end) for start, end in _runs(bad)]
    missing_runs = list(_runs(missing))
    if missing_runs and last is not None and missing_runs[-1][1] == last.sequence:
        start, end = missing_runs.pop()
        which = f"entry {start} has" if start == end else f"entries {start}–{end} have"
        notes.append(
            f"{which} no seal yet (written before seals existed, or where this database's key was not "
            "available): kettrack seals them at its next write here if the chain and anchor agree"
        )
        if checking and not sealed_any:
            seals = "none yet (no entry was written here since seals came in)"
        elif checking:
            seals = "checked with this database's key (the newest entries are not sealed yet)"
    problems += [_unsealed(start, end) for start, end in missing_runs]
    if not server and stored is None and not sealed_any and last is not None:
        which = "entry 1 has" if last.sequence == 1 else f"entries 1–{last.sequence} have"
        notes.append(
            f"{which} no seal yet (written before seals existed): kettrack seals them when it next "
            "opens or writes this database, if the chain verifies"
        )
    if checking and (bad or missing_runs):
        seals = "checked with this database's key"

    anchors: list[str] = []
    if database_id is not None:
        try:
            anchor = read_config_anchor(database_id)
        except AnchorUnreadable as exc:
            anchor = None
            notes.append(str(exc))
        if anchor is not None:
            name = f"the anchor kept in {anchor.path}"
            anchors.append(name)
            for anchored in (anchor.head, *anchor.unmatched):
                for problem in compare(session, anchored, name, database_id, key):
                    if problem not in problems:
                        problems.append(problem)
        else:
            notes.append("this computer keeps no anchor for this database yet")
    replaced = 0
    manifests = 0
    for path, found, unreadable, written in _manifest_heads(db):
        if unreadable is not None:
            notes.append(unreadable)
            continue
        if found is None:
            continue
        if any(found.sequence >= r and written <= t for r, t in restores):
            replaced += 1  # its history was replaced by a restore through kettrack
            continue
        manifests += 1
        problems += compare(session, found, f"the backup manifest {path}", database_id, key)
    if manifests:
        anchors.append(f"{manifests} backup manifest{'' if manifests == 1 else 's'}")
    if replaced:
        notes.append(
            f"{replaced} backup{' was' if replaced == 1 else 's were'} taken before a restore replaced "
            "their later history: not compared"
        )
    for path in against:
        try:
            found = read_anchor_file(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if found is None:
            problems.append(f"{path} records no audit head")
            continue
        anchors.append(str(path))
        problems += compare(session, found, f"the file {path}", database_id, key)
    return AuditVerdict(count, tuple(problems), seals, tuple(anchors), tuple(notes))
