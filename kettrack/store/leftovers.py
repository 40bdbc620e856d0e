"""Leftovers of interrupted runs: the temporary files and folders kettrack writes beside a database and in
its ``<stem>-backups/`` folder, left behind when a backup, restore, encryption or write was killed
midway. Each can hold a whole copy of the health data (a decrypted database, a restore), and nothing
else ever looks at them, so they are found here by kettrack's own naming patterns and removed.

``sweep`` is called by ``Database.open`` right after it took the writer lock, and only then: a file
named after the database is made only by a run holding that lock, so none of them can be in progress.
The few names any run may make without the lock (a restore's staging folder, made while the backup is
checked; a file written by ``write_private``, such as an export saved beside the database) are removed
only once they are an hour old. The lock file itself is never touched. The patterns are exact (the
database's own name, the random part's length and alphabet), so a person's own ``notes.partial`` or
``kettrack.sqlite3.bak`` is never matched.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Longer than any run that may make its temporary file without the writer lock takes.
GRACE_SECONDS = 3600

# What SQLite keeps beside a temporary database while it is written (and leaves when killed).
_SIDECARS = r"(?:-journal|-wal|-shm)?"
# tempfile.mkstemp/mkdtemp's random part; secrets.token_hex's is lowercase hex.
_MKSTEMP = r"[a-z0-9_]{8}"


@dataclass(frozen=True)
class _Kind:
    """One temporary name kettrack uses, and where it comes from."""

    name: str
    pattern: re.Pattern[str]
    folder: bool = False
    # Made by runs that need not hold the writer lock: removed only after GRACE_SECONDS.
    lockless: bool = False
    # A leftover only while it is another name of the database file itself (same inode).
    alias: bool = False


def _beside(database: Path) -> list[_Kind]:
    own = re.escape(database.name)
    return [
        # encryption._convert
        _Kind("encryption copy", re.compile(rf"\.{own}\.[0-9a-f]{{8}}\.converting{_SIDECARS}")),
        # backups.restore (the database being put back)
        _Kind("restore copy", re.compile(rf"\.{own}\.{_MKSTEMP}\.restoring{_SIDECARS}")),
        # engine.create_database_file
        _Kind("new database", re.compile(rf"\.{own}\.[0-9a-f]{{8}}\.creating{_SIDECARS}")),
        # backups: an old backup's documents, extracted before the lock is taken
        _Kind(
            "restore staging folder",
            re.compile(rf"\.documents-restoring-{_MKSTEMP}"),
            folder=True,
            lockless=True,
        ),
        # files.write_private (exports, saved copies), by any run, of any database
        _Kind("unfinished file", re.compile(r"\..+\.[0-9a-f]{12}\.tmp"), lockless=True),
        # access_export.export_patient (a right-of-access zip)
        _Kind("unfinished export", re.compile(rf"\.access-{_MKSTEMP}\.zip"), lockless=True),
    ]


def _in_backups(database: Path) -> list[_Kind]:
    stem = re.escape(database.stem)
    return [
        # backup.write_backup
        _Kind(
            "unfinished backup",
            re.compile(rf"{stem}-\d{{8}}T\d{{12}}Z-[a-z0-9-]+\.sqlite3\.partial{_SIDECARS}"),
        ),
        # backups: the documents zip of a backup (kettrack before schema 0004)
        _Kind("unfinished documents archive", re.compile(rf"\.documents-{_MKSTEMP}\.partial")),
        _Kind(
            "restore staging folder",
            re.compile(rf"\.documents-restoring-{_MKSTEMP}"),
            folder=True,
            lockless=True,
        ),
        # files.write_private: the last-backup marker and the backups' manifests, written under the lock
        _Kind("unfinished file", re.compile(r"\..+\.[0-9a-f]{12}\.tmp")),
        # encryption._convert links the original here before the swap: a conversion killed in between
        # leaves a second name of the live file, which is no copy of anything
        _Kind(
            "unfinished conversion's original",
            re.compile(rf"{stem}-before-(?:encryption|decryption)-\d{{8}}T\d{{6}}\.sqlite3\.orig"),
            alias=True,
        ),
    ]


def _scan(database: Path) -> list[tuple[Path, _Kind, os.stat_result]]:
    from kettrack.store.location import backup_dir_for

    try:
        live = os.stat(database)
    except OSError:
        live = None
    found = []
    for folder, kinds in (
        (database.parent, _beside(database)),
        (backup_dir_for(database), _in_backups(database)),
    ):
        try:
            names = sorted(os.listdir(folder))
        except OSError:  # no backups folder yet, or one we may not read
            continue
        for name in names:
            kind = next((k for k in kinds if k.pattern.fullmatch(name)), None)
            if kind is None:
                continue
            path = folder / name
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if kind.alias and (live is None or (info.st_dev, info.st_ino) != (live.st_dev, live.st_ino)):
                continue  # a real original, kept on purpose
            # Only what kettrack makes there: a regular file, or a real folder (never a link to one).
            if stat.S_ISDIR(info.st_mode) if kind.folder else stat.S_ISREG(info.st_mode):
                found.append((path, kind, info))
    return found


def find(database: Path) -> list[Path]:
    """Every leftover of an interrupted run beside ``database`` and in its backups folder."""
    return [path for path, _kind, _info in _scan(database)]


def sweep(database: Path, *, now: float | None = None) -> list[Path]:
    """Remove the leftovers of ``database``'s interrupted runs; returns what was removed.

    Call it only holding the database's writer lock (``Database.open`` does): a run in progress would
    lose its temporary file. Says in the log how many and of which kinds, never a name: an export's file
    name can be a patient's.
    """
    moment = time.time() if now is None else now
    removed: list[Path] = []
    kinds: set[str] = set()
    failed = 0
    for path, kind, info in _scan(database):
        if kind.lockless and moment - info.st_mtime < GRACE_SECONDS:
            continue
        try:
            if kind.folder:
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            failed += 1
            continue
        removed.append(path)
        kinds.add(kind.name)
    if removed:
        log.info("removed %d leftover(s) of interrupted runs: %s", len(removed), ", ".join(sorted(kinds)))
    if failed:
        log.warning("could not remove %d leftover(s) of interrupted runs", failed)
    return removed
