"""Backups and restore: verified, owner-only copies holding the documents (they live inside the
database), each with a manifest naming the audit chain's head, rotated daily/weekly/monthly, taken at
start-up only when the data changed; restore keeps the current database aside first; a damaged file is
reported, never changed, and the newest good backup offered."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kettrack.core.problems import InvalidInput
from kettrack.core.records import PatientRecord
from kettrack.core.retention import RetentionPolicy
from kettrack.services import backups
from kettrack.services.check import check_database
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store.backup import BackupFailed, backup_dir_for
from kettrack.store.database import Database
from tests.store.stored_documents import assert_no_document_files, document_shas, tamper


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(workspace: Workspace, db_path: Path) -> Path:
    fill_demo(workspace)
    return db_path


def _rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_a_backup_is_verified_private_and_holds_the_documents(filled: Path) -> None:
    path = backups.back_up(filled)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # The documents are inside the backup file: every superbill and letter its records name, each with
    # the bytes its SHA-256 says; no zip beside it, and no documents folder beside the database.
    assert not backups.documents_zip_for(path).exists()
    assert_no_document_files(filled.parent)
    named = _rows(path, "SELECT sha256 FROM superbills UNION SELECT sha256 FROM appeal_letters")
    held = {sha: bytes(content) for sha, content in _rows(path, "SELECT sha256, content FROM documents")}
    numbers = _rows(path, "SELECT number FROM superbills UNION ALL SELECT number FROM appeal_letters")
    assert any(n.startswith("SB-2026-") for (n,) in numbers) and any(n.startswith("AP-") for (n,) in numbers)
    assert named and {sha for (sha,) in named} <= set(held)
    assert all(hashlib.sha256(c).hexdigest() == sha and c.startswith(b"%PDF") for sha, c in held.items())
    assert set(held) == document_shas(filled)
    # Beside it, owner-only, its manifest: the audit chain's head as it was in the backup.
    manifest_path = backups.manifest_for(path)
    assert stat.S_IMODE(manifest_path.stat().st_mode) == 0o600
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    ((sequence, head),) = _rows(path, "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
    assert manifest["backup"] == path.name
    assert manifest["audit_head"]["sequence"] == sequence and manifest["audit_head"]["hash"] == head
    assert set(manifest["audit_head"]) == {"sequence", "hash", "mac", "at", "database_id"}
    (info,) = backups.list_backups(filled)
    assert (info.patients, info.sessions, info.claims, info.documents, info.reason) == (
        2,
        26,
        11,  # the demo's claims: one per denial-triage route among them
        len(held),
        "manual",
    )


def test_start_up_backs_up_only_when_the_data_changed(filled: Path, workspace: Workspace) -> None:
    policy = RetentionPolicy()
    assert backups.backup_if_changed(filled, policy) is not None
    assert backups.backup_if_changed(filled, policy) is None
    # The marker keeps a digest of the fingerprint only (the fingerprint says how many records there are).
    marker = json.loads((backup_dir_for(filled) / ".last-backup.json").read_text(encoding="utf-8"))
    assert list(marker) == ["fingerprint_sha256"]
    assert marker["fingerprint_sha256"] == hashlib.sha256(backups.fingerprint(filled).encode()).hexdigest()
    workspace.patients.add(PatientRecord("New Person"))
    assert backups.backup_if_changed(filled, policy) is not None


def test_rotation_keeps_daily_weekly_monthly(filled: Path) -> None:
    first = backups.back_up(filled, reason="auto")
    folder = first.parent
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    made = []
    for days in range(0, 400, 3):
        stamp = (now - timedelta(days=days, hours=1)).strftime("%Y%m%dT%H%M%S%fZ")
        copy = folder / f"{filled.stem}-{stamp}-auto.sqlite3"
        shutil.copyfile(first, copy)
        shutil.copyfile(backups.manifest_for(first), backups.manifest_for(copy))
        made.append(copy)
    first.unlink()
    backups.manifest_for(first).unlink()
    pre_upgrade = folder / f"{filled.stem}-20250101T000000000000Z-pre-upgrade-from-0002.sqlite3"
    shutil.copyfile(made[0], pre_upgrade)
    removed = backups.prune(filled, RetentionPolicy(daily=3, weekly=2, monthly=4), now)
    kept = {b.path for b in backups.list_backups(filled)}
    assert pre_upgrade in kept  # taken before an upgrade: never rotated away
    rotated = sorted(
        (b for b in backups.list_backups(filled) if b.reason == "auto"), key=lambda b: b.taken_at
    )
    assert len(rotated) <= 3 + 2 + 4 + 1 and removed
    assert made[0] in kept  # the newest stays
    # A backup's manifest goes with it, and only with it.
    assert all(not backups.manifest_for(p).exists() for p in removed)
    assert all(backups.manifest_for(p).is_file() for p in kept if p != pre_upgrade)


def test_restore_brings_the_data_back_and_keeps_the_current_one_aside(
    filled: Path, workspace: Workspace
) -> None:
    backup = backups.back_up(filled)
    workspace.patients.add(PatientRecord("Added After"))
    ((letter_id, letter_sha),) = _rows(filled, "SELECT id, sha256 FROM appeal_letters LIMIT 1")
    tamper(filled, letter_sha, b"overwritten")  # the letter damaged after the backup
    workspace.close()
    kept = backups.restore(filled, backup)
    assert kept is not None and "pre-restore" in kept.name
    assert backups.manifest_for(kept).is_file()
    assert not filled.with_name(filled.name + "-wal").exists()
    reopened = Workspace.open(filled)
    try:
        assert [p.legal_name for p in reopened.patients.list()] == [
            "Avery J. Lindqvist",
            "Harold B. Kemperman",
        ]
        letter = reopened.appeals.letter_pdf(letter_id)  # the backup's copy, checked against its hash
        assert letter.startswith(b"%PDF") and hashlib.sha256(letter).hexdigest() == letter_sha
        assert stat.S_IMODE(filled.stat().st_mode) == 0o600
        assert reopened.notices == []
    finally:
        reopened.close()
    # Every document checks out. (The audit anchor notices a rollback made without the "restore" entry
    # the restore command writes; that is kettrack.store.audit_anchor's business, tested there.)
    assert [p for p in check_database(filled).problems if not p.startswith("audit log:")] == []
    assert_no_document_files(filled.parent)
    # The database as it was before the restore is itself a good backup.
    db = Database.open(kept)
    try:
        assert "Added After" in {p.legal_name for p in Workspace(db).patients.list()}
    finally:
        db.close()


def test_a_bad_backup_is_not_restored(filled: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(os.urandom(8192))
    before = _sha(filled)
    with pytest.raises(InvalidInput, match="junk.sqlite3"):
        backups.restore(filled, junk)
    assert _sha(filled) == before


@pytest.mark.parametrize("damage", ["truncated", "random"])
def test_a_damaged_database_is_reported_untouched_and_a_backup_offered(
    filled: Path, workspace: Workspace, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    good = backups.back_up(filled)
    workspace.close()
    content = filled.read_bytes()
    filled.write_bytes(content[: len(content) // 3] if damage == "truncated" else os.urandom(len(content)))
    for sidecar in ("-wal", "-shm"):
        filled.with_name(filled.name + sidecar).unlink(missing_ok=True)
    before = _sha(filled)
    report = check_database(filled)
    assert not report.ok and report.newest_good_backup == good
    assert any("damaged" in p or "integrity" in p or "malformed" in p for p in report.problems), (
        report.problems
    )
    assert "kettrack restore" in "\n".join(report.lines())
    from kettrack.cli import main

    assert main(["--db", str(filled), "patients", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "was not changed" in err and good.name in err
    assert _sha(filled) == before


def test_no_space_no_backup(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usage = shutil.disk_usage(filled.parent)
    monkeypatch.setattr(backups.shutil, "disk_usage", lambda _path: replace_free(usage, 1024))
    with pytest.raises(BackupFailed, match="not enough free space"):
        backups.back_up(filled)
    assert not list(backup_dir_for(filled).glob("*.sqlite3"))


def replace_free(usage: Any, free: int) -> Any:
    return type(usage)(usage.total, usage.used, free)


def test_check_finds_a_changed_letter_and_a_claim_out_of_step(filled: Path, workspace: Workspace) -> None:
    assert check_database(filled).ok
    ((letter_sha,),) = _rows(filled, "SELECT sha256 FROM appeal_letters LIMIT 1")
    tamper(filled, letter_sha, b"%PDF-changed")  # in the database file, the trigger dropped first
    with workspace.db.session() as session:
        from sqlalchemy import text

        session.execute(text("UPDATE claims SET state = 'paid' WHERE id = 2"))
    report = check_database(filled)
    assert any("appeal letter AP-" in p and "no longer matches its SHA-256" in p for p in report.problems)
    assert any("CL-000002" in p and "state" in p for p in report.problems)


def test_policy_is_checked() -> None:
    with pytest.raises(InvalidInput, match="at least one daily"):
        backups.check_policy(0, 1, 1)
    assert backups.policy_of({"backup_keep_daily": "3"}) == replace(RetentionPolicy(), daily=3)
