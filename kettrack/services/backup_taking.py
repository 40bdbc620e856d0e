"""Taking backups and keeping them: the SQLite backup API (never a file copy of a live database),
verified with ``integrity_check`` before it counts, written under a temporary name then renamed,
owner-only, each with a manifest recording the audit chain's head; taken at start-up when the data
changed (``backup_if_changed``), before every migration, and on demand; and pruned to the daily,
weekly and monthly backups the user keeps. (Checking a backup and restoring it:
``kettrack.services.backups``.)
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kettrack.core.problems import InvalidInput
from kettrack.core.retention import BackupStamp, RetentionPolicy, to_keep
from kettrack.store.backup import (
    BackupFailed,
    documents_zip_for,
    list_backups,
    manifest_for,
    read_connection,
    write_backup,
)
from kettrack.store.location import backup_dir_for, make_private_dir

__all__ = [
    "KEEP_KEYS",
    "MARGIN_BYTES",
    "PG_DUMP_ADVICE",
    "ROTATED",
    "back_up",
    "backup_if_changed",
    "changed_since_last_backup",
    "check_policy",
    "fingerprint",
    "policy_of",
    "prune",
    "write_manifest",
]

ROTATED = ("auto", "manual")
MARGIN_BYTES = 20 * 1024 * 1024
KEEP_KEYS = ("backup_keep_daily", "backup_keep_weekly", "backup_keep_monthly")
PG_DUMP_ADVICE = (
    "this is a shared PostgreSQL database: back it up on the server with pg_dump, e.g. "
    "pg_dump --format=custom --file=kettrack-$(date +%F).dump 'postgresql://user@host/dbname', "
    "and restore with pg_restore --clean --dbname=... (kettrack backs up SQLite files only)"
)


def _check_space(database: Path, folder: Path) -> None:
    needed = database.stat().st_size * 2 + MARGIN_BYTES
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise BackupFailed(
            f"not enough free space for a backup in {folder}: {free // 1048576} MB free, about "
            f"{needed // 1048576} MB needed; free some space or move the backups folder"
        )


def write_manifest(backup: Path, passphrase: str | None) -> None:
    """Beside each backup: what it holds and the audit chain's head in it, an anchor outside the file."""
    from kettrack.store.files import write_private

    manifest = {"backup": backup.name, "audit_head": _audit_head(backup, passphrase)}
    write_private(manifest_for(backup), json.dumps(manifest, indent=1), overwrite=True)


def _audit_head(backup: Path, passphrase: str | None) -> dict[str, Any] | None:
    """The last audit entry of a backup file (sequence, hash, its seal, time and database id)."""
    from kettrack.store.audit_anchor import head_in_file

    head = head_in_file(backup, passphrase)
    return head.as_dict() if head is not None else None


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
            manifest_for(backup.path).unlink(missing_ok=True)
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
    """A verified backup of the database (documents included: they live in it), with its manifest,
    then rotation; returns its path. An encrypted database's backup is encrypted with the same
    passphrase."""
    folder = make_private_dir(backup_dir_for(database))
    _check_space(database, folder)
    backup = write_backup(database, reason=reason, directory=folder, passphrase=passphrase)
    try:
        write_manifest(backup, passphrase)
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


def _digest(mark: str) -> str:
    # Only a digest is kept in the marker: the fingerprint itself says how many records there are.
    import hashlib

    return hashlib.sha256(mark.encode("utf-8")).hexdigest()


def _remember(database: Path, mark: str) -> None:
    from kettrack.store.files import write_private

    write_private(_marker(database), json.dumps({"fingerprint_sha256": _digest(mark)}), overwrite=True)


def changed_since_last_backup(database: Path, passphrase: str | None = None) -> bool:
    try:
        last = json.loads(_marker(database).read_text(encoding="utf-8"))["fingerprint_sha256"]
    except (OSError, ValueError, KeyError):
        return True
    return bool(last != _digest(fingerprint(database, passphrase)))


def backup_if_changed(database: Path, policy: RetentionPolicy, passphrase: str | None = None) -> Path | None:
    """The start-up backup: only when the data changed since the last one."""
    if not database.is_file() or not changed_since_last_backup(database, passphrase):
        return None
    return back_up(database, reason="auto", policy=policy, passphrase=passphrase)
