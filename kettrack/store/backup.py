"""Verified SQLite backups: the backup API (never a file copy of a live database), an
``integrity_check`` on the copy, then an atomic rename so a half-written backup never counts."""

from __future__ import annotations

import os
import re
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kettrack.store.location import DatabaseMissing, backup_dir_for, make_private_dir, read_only_uri


class BackupFailed(RuntimeError):
    """A backup could not be written or did not verify; nothing that depends on it may proceed."""


def read_connection(path: Path, passphrase: str | None = None) -> Any:
    """A read-only DB-API connection to a database or backup file, plain or encrypted: the passphrase
    is used when the file is not plain SQLite. A wrong passphrase is a ``sqlite3.DatabaseError``, as
    an unreadable file is, so callers treat both alike; a path with no file is ``DatabaseMissing``.
    Nothing is created, in its place or beside it (``read_only_uri``): ``kettrack check`` reads files
    kettrack refuses, and they must stay exactly as they were."""
    from kettrack.store.encryption import WrongPassphrase, connect, is_plain_sqlite

    if not os.path.lexists(path):
        raise DatabaseMissing(path)
    if passphrase is not None and not is_plain_sqlite(path):
        try:
            return connect(path, passphrase, read_only=True)
        except WrongPassphrase as exc:
            raise sqlite3.DatabaseError(str(exc.problems[0].message)) from exc
    return sqlite3.connect(read_only_uri(path), uri=True)


def copy_standalone(source_path: Path, target_path: Path, passphrase: str | None = None) -> None:
    """Copy a database file with the backup API (consistent even while another connection writes)
    into a standalone file, no WAL beside it: a plain copy, or with ``passphrase`` an encrypted copy
    of an encrypted file under the same passphrase. Callers check the copy (``integrity_problems``)
    before it counts."""
    if passphrase is None:
        # Plain mode=ro, never immutable: the database may be written meanwhile (the window's own
        # connections), and the backup API must see those writes as SQLite's locks order them.
        source = sqlite3.connect(source_path.absolute().as_uri() + "?mode=ro", uri=True)
    else:
        from kettrack.store.encryption import connect

        source = connect(source_path, passphrase, read_only=True, live=True)
    try:
        target = sqlite3.connect(target_path) if passphrase is None else connect(target_path, passphrase)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()


def integrity_problems(path: Path, passphrase: str | None = None) -> list[str]:
    """Rows of ``PRAGMA integrity_check`` other than ``ok`` (empty when the file is sound)."""
    connection = read_connection(path, passphrase)
    try:
        rows = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
    return [] if rows == ["ok"] else rows


def write_backup(
    database: Path, *, reason: str, directory: Path | None = None, passphrase: str | None = None
) -> Path:
    """Copy ``database`` with SQLite's backup API into a verified, owner-only file; return its path.
    An encrypted database (``passphrase``) gets an encrypted backup under the same passphrase."""
    folder = make_private_dir(directory or backup_dir_for(database))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = folder / f"{database.stem}-{stamp}-{reason}.sqlite3"
    partial = final.with_name(final.name + ".partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        copy_standalone(database, partial, passphrase)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"could not back up the database: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    problems = integrity_problems(partial, passphrase)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupFailed("the backup copy failed its integrity check: " + "; ".join(problems[:3]))
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, final)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


# --- the backups beside a database, as found on disk ---------------------------------------------

_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{12}Z)-(?P<reason>[a-z0-9-]+)\.sqlite3$")


# Backups the retention rule may remove; the ones taken before an upgrade or a restore stay.
@dataclass(frozen=True)
class BackupInfo:
    """A backup as the list shows it: when, why, how big, and what it holds."""

    path: Path
    taken_at: datetime
    reason: str
    size: int
    patients: int | None
    sessions: int | None
    claims: int | None
    documents: int | None  # documents held (inside the file, or in an old backup's zip)

    def describe(self) -> str:
        held = ", ".join(
            f"{n:,} {noun}"
            for n, noun in ((self.patients, "patients"), (self.sessions, "sessions"), (self.claims, "claims"))
            if n is not None
        )
        return f"{self.taken_at.astimezone():%Y-%m-%d %H:%M} ({self.reason}): {held or 'unreadable'}"


def documents_zip_for(backup: Path) -> Path:
    """The documents archive an old (pre-0004) backup may have beside it."""
    return backup.with_name(backup.name + ".documents.zip")


def manifest_for(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


def _counts(path: Path, passphrase: str | None) -> tuple[int | None, ...]:
    try:
        connection = read_connection(path, passphrase)
    except sqlite3.Error:
        return None, None, None, None
    found: list[int | None] = []
    try:
        for table in ("patients", "infusions", "claims", "documents"):
            try:
                found.append(int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]))
            except Exception:  # sqlite3's or SQLCipher's error: an unreadable table counts as unknown
                found.append(None)
    finally:
        connection.close()
    return tuple(found)


def list_backups(database: Path, passphrase: str | None = None) -> list[BackupInfo]:
    """The backups of ``database``, newest first (an encrypted one's counts read with ``passphrase``)."""
    folder = backup_dir_for(database)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match:
            continue
        taken = datetime.strptime(match.group("stamp"), "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        patients, sessions, claims, held = _counts(path, passphrase)
        if documents_zip_for(path).is_file():
            held = (held or 0) + _zip_count(documents_zip_for(path))
        found.append(
            BackupInfo(
                path, taken, match.group("reason"), path.stat().st_size, patients, sessions, claims, held
            )
        )
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def _zip_count(archive: Path) -> int:
    try:
        with zipfile.ZipFile(archive) as opened:
            return sum(1 for info in opened.infolist() if not info.is_dir())
    except (OSError, zipfile.BadZipFile):
        return 0


def newest_good_backup(database: Path, passphrase: str | None = None) -> Path | None:
    """The newest backup that passes ``integrity_check`` (what to offer when the database is damaged)."""
    for backup in list_backups(database, passphrase):
        try:
            if not integrity_problems(backup.path, passphrase):
                return backup.path
        except sqlite3.Error:
            continue
    return None
