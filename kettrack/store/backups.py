"""Backups you can count on, and restore: the SQLite backup API (never a file copy of a live
database), verified with ``integrity_check`` before it counts, written under a temporary name then
renamed, owner-only; the issued documents and attachments beside it in a zip; kept daily, weekly and
monthly as the user sets; taken at start-up when the data changed, before every migration, and on
demand. Restoring first keeps the current database aside as a backup.

Backup files are named ``<db>-<UTC stamp>-<reason>.sqlite3`` in ``<db>-backups/`` beside the
database (``write_backup``), with ``<same name>.documents.zip`` when there were documents.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kettrack.core.problems import InvalidInput
from kettrack.core.retention import BackupStamp, RetentionPolicy, to_keep
from kettrack.store.backup import (
    BackupFailed,
    backup_dir_for,
    copy_standalone,
    integrity_problems,
    read_connection,
    write_backup,
)
from kettrack.store.location import make_private_dir

_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{12}Z)-(?P<reason>[a-z0-9-]+)\.sqlite3$")
# Backups the retention rule may remove; the ones taken before an upgrade or a restore stay.
ROTATED = ("auto", "manual")
MARGIN_BYTES = 20 * 1024 * 1024
KEEP_KEYS = ("backup_keep_daily", "backup_keep_weekly", "backup_keep_monthly")
PG_DUMP_ADVICE = (
    "this is a shared PostgreSQL database: back it up on the server with pg_dump, e.g. "
    "pg_dump --format=custom --file=kettrack-$(date +%F).dump 'postgresql://user@host/dbname', "
    "and restore with pg_restore --clean --dbname=... (kettrack backs up SQLite files only)"
)


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
    documents: bool

    def describe(self) -> str:
        held = ", ".join(
            f"{n:,} {noun}"
            for n, noun in ((self.patients, "patients"), (self.sessions, "sessions"), (self.claims, "claims"))
            if n is not None
        )
        return f"{self.taken_at.astimezone():%Y-%m-%d %H:%M} ({self.reason}): {held or 'unreadable'}"


def documents_zip_for(backup: Path) -> Path:
    return backup.with_name(backup.name + ".documents.zip")


def _documents_folder(database: Path) -> Path:
    return database.parent / f"{database.stem}-documents"


def _counts(path: Path, passphrase: str | None) -> tuple[int | None, int | None, int | None]:
    try:
        connection = read_connection(path, passphrase)
    except sqlite3.Error:
        return None, None, None
    found: list[int | None] = []
    try:
        for table in ("patients", "infusions", "claims"):
            try:
                found.append(int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]))
            except Exception:  # sqlite3's or SQLCipher's error: an unreadable table counts as unknown
                found.append(None)
    finally:
        connection.close()
    return found[0], found[1], found[2]


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
        patients, sessions, claims = _counts(path, passphrase)
        found.append(
            BackupInfo(
                path,
                taken,
                match.group("reason"),
                path.stat().st_size,
                patients,
                sessions,
                claims,
                documents_zip_for(path).is_file(),
            )
        )
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def _check_space(database: Path, folder: Path) -> None:
    documents = _documents_folder(database)
    needed = database.stat().st_size * 2 + MARGIN_BYTES
    if documents.is_dir():
        needed += sum(p.stat().st_size for p in documents.rglob("*") if p.is_file())
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise BackupFailed(
            f"not enough free space for a backup in {folder}: {free // 1048576} MB free, about "
            f"{needed // 1048576} MB needed; free some space or move the backups folder"
        )


def _zip_documents(database: Path, backup: Path) -> None:
    documents = _documents_folder(database)
    files = (
        [p for p in documents.rglob("*") if p.is_file() and not p.name.startswith(".")]
        if documents.is_dir()
        else []
    )
    if not files:
        return
    target = documents_zip_for(backup)
    fd, temp_name = tempfile.mkstemp(prefix=".documents-", suffix=".partial", dir=backup.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(documents).as_posix())
        with zipfile.ZipFile(temp) as archive:
            if archive.testzip() is not None:
                raise BackupFailed("the documents archive of the backup did not verify")
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def policy_of(settings: dict[str, str | None]) -> RetentionPolicy:
    defaults = RetentionPolicy()
    values = []
    for key, default in zip(KEEP_KEYS, (defaults.daily, defaults.weekly, defaults.monthly), strict=True):
        raw = settings.get(key)
        values.append(int(raw) if raw and raw.isdigit() else default)
    return RetentionPolicy(*values)


def check_policy(daily: int, weekly: int, monthly: int) -> RetentionPolicy:
    try:
        if max(daily, weekly, monthly) > 1000:
            raise ValueError("keep at most 1000 of each")
        return RetentionPolicy(daily, weekly, monthly)
    except ValueError as exc:
        raise InvalidInput.single("keep", str(exc)) from exc


def prune(database: Path, policy: RetentionPolicy, now: datetime | None = None) -> list[Path]:
    """Delete the rotated backups the policy no longer keeps; returns what was removed."""
    rotated = [b for b in list_backups(database) if b.reason in ROTATED]
    keep = to_keep((BackupStamp(b.path.name, b.taken_at) for b in rotated), policy, now or datetime.now(UTC))
    removed = []
    for backup in rotated:
        if backup.path.name not in keep:
            documents_zip_for(backup.path).unlink(missing_ok=True)
            backup.path.unlink()
            removed.append(backup.path)
    return removed


def back_up(
    database: Path,
    *,
    reason: str = "manual",
    policy: RetentionPolicy | None = None,
    passphrase: str | None = None,
) -> Path:
    """A verified backup of the database and its documents, then rotation; returns its path.
    An encrypted database's backup is encrypted with the same passphrase."""
    folder = make_private_dir(backup_dir_for(database))
    _check_space(database, folder)
    backup = write_backup(database, reason=reason, directory=folder, passphrase=passphrase)
    try:
        _zip_documents(database, backup)
    except BaseException:
        backup.unlink(missing_ok=True)
        raise
    _remember(database, fingerprint(database, passphrase))
    if policy is not None:
        prune(database, policy)
    return backup


def fingerprint(database: Path, passphrase: str | None = None) -> str:
    """What changes whenever the data does: the audit chain's last hash (every change is audited)
    and the counts and last edits of the tables people change."""
    connection = read_connection(database, passphrase)
    try:
        parts = []
        for query in (
            "SELECT coalesce(max(sequence), 0) || ':' || coalesce(max(hash), '') FROM audit_log",
            "SELECT count(*) || ':' || coalesce(max(updated_at), '') FROM service_lines",
            "SELECT count(*) || ':' || coalesce(max(updated_at), '') FROM app_settings",
        ):
            try:
                parts.append(str(connection.execute(query).fetchone()[0]))
            except Exception:  # a table an older schema lacks
                parts.append("-")
        return "|".join(parts)
    finally:
        connection.close()


def _marker(database: Path) -> Path:
    return backup_dir_for(database) / ".last-backup.json"


def _remember(database: Path, mark: str) -> None:
    from kettrack.store.files import write_private

    write_private(_marker(database), json.dumps({"fingerprint": mark}), overwrite=True)


def changed_since_last_backup(database: Path, passphrase: str | None = None) -> bool:
    try:
        last = json.loads(_marker(database).read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError):
        return True
    return bool(last != fingerprint(database, passphrase))


def backup_if_changed(database: Path, policy: RetentionPolicy, passphrase: str | None = None) -> Path | None:
    """The start-up backup: only when the data changed since the last one."""
    if not database.is_file() or not changed_since_last_backup(database, passphrase):
        return None
    return back_up(database, reason="auto", policy=policy, passphrase=passphrase)


def newest_good_backup(database: Path, passphrase: str | None = None) -> Path | None:
    """The newest backup that passes ``integrity_check`` (what to offer when the database is damaged)."""
    for backup in list_backups(database, passphrase):
        try:
            if not integrity_problems(backup.path, passphrase):
                return backup.path
        except sqlite3.Error:
            continue
    return None


def restore(database: Path, backup: Path, passphrase: str | None = None) -> Path | None:
    """Replace ``database`` (which no kettrack may have open) with ``backup`` and its documents.

    The current database is first kept aside as a "pre-restore" backup (or, if it is too damaged to
    back up, copied aside byte for byte); returns that copy's path (None when there was no database).
    An encrypted backup is read with ``passphrase`` and restored encrypted; a plain one, plain.
    """
    from kettrack.store.encryption import is_plain_sqlite

    if not backup.is_file():
        raise InvalidInput.single("backup", f"{backup} does not exist")
    if not is_plain_sqlite(backup) and passphrase is None:
        raise InvalidInput.single(
            "backup",
            f"{backup.name} is encrypted: give its passphrase (in $KETTRACK_PASSPHRASE for a command)",
        )
    try:
        problems = integrity_problems(backup, passphrase)
    except sqlite3.Error as exc:
        raise InvalidInput.single("backup", f"{backup.name} is not a readable database: {exc}") from exc
    if problems:
        raise InvalidInput.single("backup", f"{backup.name} fails its integrity check: {problems[0]}")
    from kettrack.store.lock import DatabaseLocked, WriterLock

    lock = WriterLock(database)
    try:
        lock.acquire()
    except DatabaseLocked as exc:
        raise InvalidInput.single("database", f"{exc}: close it before restoring") from exc
    try:
        kept = None
        if database.is_file():
            try:
                current_key = None if is_plain_sqlite(database) else passphrase
                kept = write_backup(database, reason="pre-restore", passphrase=current_key)
                _zip_documents(database, kept)
            except (BackupFailed, sqlite3.Error, InvalidInput):
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
                kept = make_private_dir(backup_dir_for(database)) / f"{database.name}.damaged-{stamp}"
                shutil.copy2(database, kept)
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{database.name}.", suffix=".restoring", dir=database.parent
        )
        os.close(fd)
        temp = Path(temp_name)
        try:
            if is_plain_sqlite(backup):
                copy_standalone(backup, temp)
            else:
                assert passphrase is not None
                temp.unlink()  # SQLCipher keys a new, empty file
                copy_standalone(backup, temp, passphrase)
            os.chmod(temp, 0o600)
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            # The old write-ahead log belongs to the old database: replayed onto the restored file
            # it would bring the replaced data back.
            for sidecar in ("-wal", "-shm", "-journal"):
                database.with_name(database.name + sidecar).unlink(missing_ok=True)
            os.replace(temp, database)
        finally:
            temp.unlink(missing_ok=True)
        _restore_documents(database, backup)
        return kept
    finally:
        lock.release()


def _restore_documents(database: Path, backup: Path) -> None:
    archive_path = documents_zip_for(backup)
    if not archive_path.is_file():
        return
    documents = _documents_folder(database)
    staging = Path(tempfile.mkdtemp(prefix=".documents-restoring-", dir=database.parent))
    try:
        with zipfile.ZipFile(archive_path) as archive:
            for member in archive.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise InvalidInput.single(
                        "backup", f"the documents archive holds an unsafe name: {member}"
                    )
            archive.extractall(staging)
        for path in staging.rglob("*"):
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
        if documents.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            documents.rename(documents.with_name(f"{documents.name}.before-restore-{stamp}"))
        staging.rename(documents)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
