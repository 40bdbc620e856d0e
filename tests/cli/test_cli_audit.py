"""`kettrack audit verify` and `audit list`: intact (exit 0), broken (exit 1, the problems listed, each
naming the anchor that shows it); a missing seal key is said, and is not tampering."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli
from tests.store.test_audit_anchor import cut_last, rewrite_from


@pytest.fixture
def cli(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    return Cli(db_path, capsys)


def test_verify_and_list(cli: Cli, db_path: Path) -> None:
    assert cli("demo") == 0
    assert cli("audit", "verify") == 0 and "intact" in cli.out
    entries = cli.json("audit", "list", "--patient", "1")
    assert entries and all(e["record_kind"] == "patient" and e["record_id"] == 1 for e in entries)
    assert cli("audit", "list", "--action", "issue", "--limit", "3") == 0 and "superbill" in cli.out
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER tr_audit_log_no_update")
    connection.execute("UPDATE audit_log SET details = 'edited' WHERE sequence = 3")
    connection.commit()
    connection.close()
    assert cli("audit", "verify") == 1
    assert "entry 3 was altered after it was written" in cli.err


# --- against anchors the file cannot forge (kettrack.store.audit_anchor) -------------------------------


def _anchor_folder() -> Path:
    return Path(os.environ["KETTRACK_CONFIG_DIR"]) / "audit-anchors"


def test_a_backup_restored_with_the_command_verifies_clean(cli: Cli) -> None:
    assert cli("demo", "--no-claims") == 0
    assert cli("backup") == 0
    made = cli.out.strip()
    assert cli("patients", "add", "--name", "Added After The Backup") == 0
    assert cli("restore", made, "--yes") == 0
    assert cli("audit", "verify") == 0, cli.err
    assert "seals: every entry sealed with this database's key" in cli.out
    assert "taken before a restore replaced their later history: not compared" in cli.out
    assert cli("check") == 0


def test_a_cut_log_fails_verify_and_check_naming_the_anchors(cli: Cli, db_path: Path) -> None:
    assert cli("demo", "--no-claims") == 0
    assert cli("backup") == 0  # its manifest records the head
    assert cli("audit", "verify") == 0
    assert "seals: every entry sealed with this database's key" in cli.out
    assert "the anchor kept in" in cli.out and "1 backup manifest" in cli.out
    last = cli.json("audit", "list", "--limit", "1")[0]["sequence"]
    cut_last(db_path, 3)
    assert cli("audit", "verify") == 1
    assert cli.err.startswith("kettrack: the audit log is broken")
    assert f"the anchor kept in {_anchor_folder()}" in cli.err
    assert f"records entry {last}, the database ends at entry {last - 3}: entries were removed" in cli.err
    assert "the backup manifest" in cli.err and "entries were removed" in cli.err
    # The seals of the removed entries are left behind: SQLite's own check finds them.
    assert (
        cli("check") == 1 and f"row {last - 2} of audit_seals refers to a missing row of audit_log" in cli.err
    )


def test_a_cut_log_with_its_seals_removed_fails_check(cli: Cli, db_path: Path) -> None:
    assert cli("demo", "--no-claims") == 0
    cut_last(db_path, 2, seals_too=True)
    assert cli("check") == 1
    assert (
        f"audit log: the anchor kept in {_anchor_folder()}" in cli.err and "entries were removed" in cli.err
    )


def test_a_rewritten_and_rehashed_log_fails_verify(cli: Cli, db_path: Path) -> None:
    assert cli("demo", "--no-claims") == 0
    rewrite_from(db_path, 5, "nothing happened")
    assert cli("audit", "verify") == 1
    assert "entry 5 was rewritten (its seal does not match)" in cli.err
    assert f"the anchor kept in {_anchor_folder()}" in cli.err and "with another hash" in cli.err
    assert "altered after it was written" not in cli.err  # every hash was recomputed


@pytest.fixture
def keys_in_files() -> Iterator[None]:
    """No keyring kettrack trusts: the seal key is a file, which the test can take away."""
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def test_without_the_key_the_seals_cannot_be_checked_which_is_not_tampering(
    cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch, keys_in_files: None
) -> None:
    from kettrack.store import audit_anchor

    assert cli("demo", "--no-claims") == 0
    keys = Path(os.environ["KETTRACK_CONFIG_DIR"]) / "audit-keys"
    connection = sqlite3.connect(db_path)
    (database_id,) = connection.execute("SELECT value FROM app_settings WHERE key = 'database_id'").fetchone()
    connection.close()
    key = keys / f"{database_id}.key"
    monkeypatch.setattr(audit_anchor, "_KEYS", {})  # a kettrack on another computer never saw it
    key.rename(keys / "elsewhere")
    try:
        assert cli("audit", "verify") == 0
        assert (
            "seals: the audit seals cannot be checked on this computer (no key for this database)" in cli.out
        )
        assert cli("patients", "add", "--name", "Seen Elsewhere") == 0
        assert cli("audit", "verify") == 0 and not key.exists()
    finally:
        (keys / "elsewhere").rename(key)


def test_verify_against_an_export_or_manifest(cli: Cli, tmp_path: Path) -> None:
    assert cli("demo", "--no-claims") == 0
    newest = cli.json("audit", "list", "--limit", "1")[0]
    matching = tmp_path / "export.json"
    matching.write_text(json.dumps({"audit_head": {"sequence": newest["sequence"], "hash": newest["hash"]}}))
    assert cli("audit", "verify", "--against", str(matching)) == 0 and str(matching) in cli.out
    ahead = tmp_path / "later.json"
    ahead.write_text(json.dumps({"audit_head": {"sequence": newest["sequence"] + 9, "hash": "0" * 64}}))
    assert cli("audit", "verify", "--against", str(matching), "--against", str(ahead)) == 1
    assert f"the file {ahead} records entry {newest['sequence'] + 9}" in cli.err
