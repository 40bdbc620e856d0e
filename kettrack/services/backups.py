"""Backups you can count on, and restore: the SQLite backup API (never a file copy of a live
database), verified with ``integrity_check`` before it counts, written under a temporary name then
renamed, owner-only; the issued documents and attachments are inside the database (schema 0004), so
the one file holds everything, encrypted when the database is; kept daily, weekly and monthly as the
user sets; taken at start-up when the data changed, before every migration, and on demand.

Backup files are named ``<db>-<UTC stamp>-<reason>.sqlite3`` in ``<db>-backups/`` beside the
database (``write_backup``), each with a ``<same name>.manifest.json`` recording the audit chain's
head at that moment (an anchor ``kettrack audit verify`` checks the database against). Backups taken
before 0004 may have a ``<same name>.documents.zip`` beside them; restore still reads those, bounded.

Restore checks the backup completely (integrity, schema, every document against its SHA-256) before
anything is swapped, and first keeps the current database aside as a "pre-restore" backup.

Here: checking a backup and restoring it. Taking backups, their manifests and the retention that
prunes them: ``kettrack.services.backup_taking``; every name stays importable from here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kettrack.core.problems import InvalidInput
from kettrack.services.backup_taking import (
    KEEP_KEYS,
    MARGIN_BYTES,
    PG_DUMP_ADVICE,
    ROTATED,
    back_up,
    backup_if_changed,
    changed_since_last_backup,
    check_policy,
    fingerprint,
    policy_of,
    prune,
    write_manifest,
)
from kettrack.store.backup import (
    BackupFailed,
    BackupInfo,
    copy_standalone,
    documents_zip_for,
    integrity_problems,
    list_backups,
    manifest_for,
    newest_good_backup,
    read_connection,
    write_backup,
)
from kettrack.store.location import backup_dir_for, make_private_dir

# Listing the backups on disk is the store's (kettrack.store.backup); the faces find it here.
__all__ = [
    "KEEP_KEYS",
    "MARGIN_BYTES",
    "PG_DUMP_ADVICE",
    "ROTATED",
    "ZIP_FOLDERS",
    "ZIP_MEMBER_LIMIT",
    "ZIP_TOTAL_LIMIT",
    "BackupFailed",
    "BackupInfo",
    "back_up",
    "backup_dir_for",
    "backup_if_changed",
    "changed_since_last_backup",
    "check_backup",
    "check_policy",
    "documents_zip_for",
    "fingerprint",
    "list_backups",
    "manifest_for",
    "newest_good_backup",
    "policy_of",
    "prune",
    "restore",
    "write_manifest",
]


def _documents_folder(database: Path) -> Path:
    return database.parent / f"{database.stem}-documents"


# An old backup's documents zip is read with limits: a small archive can expand to fill the disk.
ZIP_MEMBER_LIMIT = 64 * 1024 * 1024
ZIP_TOTAL_LIMIT = 4 * 1024 * 1024 * 1024
ZIP_FOLDERS = ("superbills", "letters", "attachments")


def _refuse(backup: Path, message: str) -> InvalidInput:
    return InvalidInput.single("backup", f"{backup.name} {message}; nothing was changed")


def _referenced_documents(connection: Any) -> list[tuple[str, str, str]]:
    """(folder, file name, sha256) of every record in a database file that names a document."""
    found: list[tuple[str, str, str]] = []
    for folder, table in zip(ZIP_FOLDERS, ("superbills", "appeal_letters", "claim_attachments"), strict=True):
        try:
            rows = connection.execute(f"SELECT file_name, sha256 FROM {table}").fetchall()
        except Exception:  # an older schema without the table
            continue
        found += [(folder, str(name), str(sha)) for name, sha in rows]
    return found


def check_backup(backup: Path, passphrase: str | None = None, staging_dir: Path | None = None) -> Path | None:
    """Check a backup completely before anything is swapped: a readable, sound kettrack database of a
    schema this version knows, every document it names present and matching its SHA-256 (inside the
    file, or in an old backup's zip, extracted with limits into a staging folder whose path is
    returned). Raises InvalidInput saying what is wrong."""
    from kettrack.store.encryption import is_plain_sqlite
    from kettrack.store.migrate import known_revisions

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
        raise _refuse(backup, f"is not a readable database ({exc})") from exc
    if problems:
        raise _refuse(backup, f"fails its integrity check: {problems[0]}")
    connection = read_connection(backup, passphrase)
    try:
        try:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except Exception as exc:  # sqlite3's or SQLCipher's error: no such table
            raise _refuse(backup, "is not a kettrack backup (it has no schema version)") from exc
        if revision is None or str(revision[0]) not in known_revisions():
            raise _refuse(backup, "was written by a newer kettrack (or is not a kettrack backup)")
        named = _referenced_documents(connection)
        has_table = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='documents'"
        ).fetchone()[0]
        if has_table:
            _check_inner_documents(backup, connection, named)
    finally:
        connection.close()
    if has_table:
        return None
    archive = documents_zip_for(backup)
    if not archive.is_file():
        if named:
            raise _refuse(backup, f"names {len(named)} document(s) but its documents archive is missing")
        return None
    # Staged where the documents will go (beside the database): a rename across disks would fail.
    return _stage_zip(backup, archive, named, staging_dir or backup.parent)


def _check_inner_documents(backup: Path, connection: Any, named: list[tuple[str, str, str]]) -> None:
    import hashlib

    wanted = {sha for _, _, sha in named}
    seen: set[str] = set()
    for sha, content in connection.execute("SELECT sha256, content FROM documents"):
        if sha in wanted and hashlib.sha256(bytes(content)).hexdigest() != sha:
            raise _refuse(backup, f"holds a document that no longer matches its SHA-256 ({sha[:12]}...)")
        seen.add(sha)
    if missing := wanted - seen:
        raise _refuse(backup, f"is missing {len(missing)} document(s) its records name")


def _stage_zip(backup: Path, archive_path: Path, named: list[tuple[str, str, str]], where: Path) -> Path:
    """Extract an old backup's documents zip into a private staging folder beside the database, with
    limits on each member and on the whole, safe names only, and each file checked against the hash
    its record holds; the staging folder's path (the caller moves it into place or removes it)."""
    import hashlib

    expected = {f"{folder}/{name}": sha for folder, name, sha in named}
    staging = Path(tempfile.mkdtemp(prefix=".documents-restoring-", dir=where))
    total = 0
    seen: set[str] = set()
    try:
        with zipfile.ZipFile(archive_path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                folder, _, name = info.filename.partition("/")
                if (
                    folder not in ZIP_FOLDERS
                    or not name
                    or "/" in name
                    or "\\" in name
                    or name.startswith(".")
                ):
                    raise _refuse(
                        backup, f"has a documents archive with an unexpected name: {info.filename!r}"
                    )
                if info.file_size > ZIP_MEMBER_LIMIT:
                    raise _refuse(backup, f"has a documents archive member larger than allowed: {name}")
                target = make_private_dir(staging / folder) / name
                digest = hashlib.sha256()
                written = 0
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with archive.open(info) as source, os.fdopen(fd, "wb") as sink:
                    # Counted as read, not as declared: a forged header cannot make it write more.
                    while block := source.read(1 << 16):
                        written += len(block)
                        total += len(block)
                        if written > ZIP_MEMBER_LIMIT or total > ZIP_TOTAL_LIMIT:
                            raise _refuse(backup, "has a documents archive that expands beyond its limits")
                        digest.update(block)
                        sink.write(block)
                sha = expected.get(info.filename)
                if sha is not None and digest.hexdigest() != sha:
                    raise _refuse(backup, f"has a document that no longer matches its SHA-256: {name}")
                seen.add(info.filename)
        if missing := set(expected) - seen:
            raise _refuse(backup, f"is missing {len(missing)} named document(s) from its archive")
    except zipfile.BadZipFile as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _refuse(backup, f"has a damaged documents archive ({exc})") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def restore(database: Path, backup: Path, passphrase: str | None = None) -> Path | None:
    """Replace ``database`` (which no kettrack may have open) with ``backup``.

    The backup is checked completely first (``check_backup``): a backup that fails leaves everything
    as it was. The current database is then kept aside as a "pre-restore" backup (or, if it is too
    damaged to back up, copied aside byte for byte); returns that copy's path (None when there was no
    database). An encrypted backup is read with ``passphrase`` and restored encrypted; a plain one,
    plain.
    """
    from kettrack.store.lock import DatabaseLocked, WriterLock

    # Checked before anything else, so a bad backup is said to be bad whoever has the database open.
    # An old backup's documents are staged beside the database (a leftover of a killed run there is
    # swept at a later open once it is an hour old: see kettrack.store.leftovers).
    staging = check_backup(backup, passphrase, staging_dir=database.parent)
    try:
        lock = WriterLock(database)
        try:
            lock.acquire()
        except DatabaseLocked as exc:
            raise InvalidInput.single("database", f"{exc}: close it before restoring") from exc
        try:
            return _swap_in(database, backup, passphrase, staging)
        finally:
            lock.release()
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _checkpoint(database: Path, passphrase: str | None) -> None:
    """Move the write-ahead log's committed pages into the database file before the swap removes the
    log: a restore killed between the two must leave the old database whole, not without its last
    transactions. A reader still using the log stops the restore (nothing is changed yet)."""
    from kettrack.store.encryption import connect, is_plain_sqlite

    if not database.is_file() or not database.with_name(database.name + "-wal").is_file():
        return
    try:
        connection = (
            sqlite3.connect(database) if is_plain_sqlite(database) else connect(database, passphrase or "")
        )
    except (sqlite3.Error, InvalidInput):
        return  # damaged or unreadable: kept aside byte for byte, its log with it
    try:
        busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.Error:
        return
    finally:
        connection.close()
    if busy:
        raise InvalidInput.single(
            "database", f"{database.name} is being read by another program: close it before restoring"
        )


def _replace_database(database: Path, backup: Path, passphrase: str | None) -> None:
    """Copy the backup beside the database (owner-only), verify the copy, then rename it into place."""
    from kettrack.store.encryption import is_plain_sqlite

    fd, temp_name = tempfile.mkstemp(prefix=f".{database.name}.", suffix=".restoring", dir=database.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        if is_plain_sqlite(backup):
            copy_standalone(backup, temp)
        else:
            assert passphrase is not None
            copy_standalone(backup, temp, passphrase)
        problems = integrity_problems(temp, None if is_plain_sqlite(backup) else passphrase)
        if problems:
            raise BackupFailed(f"the restored copy failed its integrity check: {problems[0]}")
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        # The old write-ahead log belongs to the old database: replayed onto the restored file
        # it would bring the replaced data back.
        for sidecar in ("-wal", "-shm", "-journal"):
            database.with_name(database.name + sidecar).unlink(missing_ok=True)
        os.replace(temp, database)
    finally:
        temp.unlink(missing_ok=True)


def _swap_in(database: Path, backup: Path, passphrase: str | None, staging: Path | None) -> Path | None:
    """Keep the current database aside, then put the checked backup in its place (lock held)."""
    from kettrack.store.encryption import is_plain_sqlite

    kept = None
    _checkpoint(database, passphrase)
    if database.is_file():
        try:
            current_key = None if is_plain_sqlite(database) else passphrase
            kept = write_backup(database, reason="pre-restore", passphrase=current_key)
            write_manifest(kept, current_key)
        except (BackupFailed, sqlite3.Error, InvalidInput):
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            kept = make_private_dir(backup_dir_for(database)) / f"{database.name}.damaged-{stamp}"
            fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the first byte
            with open(database, "rb") as source, os.fdopen(fd, "wb") as copy:
                shutil.copyfileobj(source, copy)
            wal = database.with_name(database.name + "-wal")
            if wal.is_file():  # its committed pages, which no checkpoint could move into a damaged file
                fd = os.open(kept.with_name(kept.name + "-wal"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with open(wal, "rb") as source, os.fdopen(fd, "wb") as copy:
                    shutil.copyfileobj(source, copy)
    documents = _documents_folder(database)
    aside: Path | None = None
    if staging is not None:
        # The old documents go in place first (moved into the database at the next open): a failure
        # from here on puts the folder back, and the database is swapped last.
        if documents.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            aside = documents.with_name(f"{documents.name}.before-restore-{stamp}")
            documents.rename(aside)
        staging.rename(documents)
    try:
        _replace_database(database, backup, passphrase)
    except BaseException:
        if staging is not None:
            documents.rename(staging)
            if aside is not None:
                aside.rename(documents)
        raise
    return kept
