"""`kettrack backup`, `backups list/keep`, `restore`, `check`; a shared database gets pg_dump advice."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def cli(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    return Cli(db_path, capsys)


def test_backup_list_keep_restore_check(cli: Cli) -> None:
    assert cli("demo", "--no-claims") == 0
    assert cli("backup") == 0
    made = Path(cli.out.strip())
    assert made.is_file() and stat.S_IMODE(made.stat().st_mode) == 0o600
    listed = cli.json("backups", "list")
    assert listed[0]["path"] == str(made) and listed[0]["patients"] == 2
    assert cli("backups", "keep", "--daily", "3", "--weekly", "2", "--monthly", "6") == 0
    assert "keeping 3 daily, 2 weekly, 6 monthly" in cli.out
    assert cli("backups", "keep", "--daily", "0") == 2 and "at least one daily" in cli.err
    assert cli("patients", "add", "--name", "Later") == 0
    assert cli("restore", str(made)) == 2 and "--yes" in cli.err
    assert cli("restore", str(made), "--yes") == 0 and "kept in" in cli.out
    assert cli("patients", "list") == 0 and "Later" not in cli.out
    assert cli("check") == 0 and "no problems found" in cli.out
    assert cli("audit", "list", "--action", "restore") == 0 and "restore" in cli.out


def test_a_shared_database_is_told_to_use_pg_dump(
    pg_url: str, icd10, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from kettrack.cli import main

    assert main(["--db", pg_url, "backup"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "pg_dump" in err


def test_right_of_access_export(cli: Cli, tmp_path: Path) -> None:
    assert cli("demo") == 0
    target = tmp_path / "record.zip"
    assert cli("export", "--patient", "2", str(target)) == 0 and "patient 2" in cli.out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert cli("export", "--patient", "2", str(target)) == 2 and "already exists" in cli.err
    assert cli("export", "--patient", "99", str(tmp_path / "nobody.zip")) == 2 and "no patient" in cli.err


def test_encryption_on_the_command_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    assert cli("demo", "--no-claims") == 0
    monkeypatch.delenv("KETTRACK_PASSPHRASE", raising=False)
    monkeypatch.setenv("KETTRACK_NEW_PASSPHRASE", "short")
    assert cli("encrypt") == 2 and cli.err.count("\n") == 1 and "at least 8" in cli.err
    monkeypatch.setenv("KETTRACK_NEW_PASSPHRASE", "correct horse battery")
    assert cli("encrypt") == 0 and "is encrypted" in cli.out
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(cli.db).execute("SELECT count(*) FROM patients").fetchall()
    # Without the passphrase (no terminal to ask on): one line saying how to give it.
    assert cli("patients", "list") == 2 and "KETTRACK_PASSPHRASE" in cli.err and "Traceback" not in cli.err
    monkeypatch.setenv("KETTRACK_PASSPHRASE", "wrong horse battery")
    assert cli("patients", "list") == 2 and "passphrase is not right" in cli.err
    monkeypatch.setenv("KETTRACK_PASSPHRASE", "correct horse battery")
    assert cli("patients", "list", "--json") == 0 and "Lindqvist" in cli.out
    assert cli("backup") == 0
    made = Path(cli.out.strip())
    assert cli.json("backups", "list")[0]["patients"] == 2
    assert cli("check") == 0 and "no problems found" in cli.out
    assert cli("patients", "add", "--name", "After The Backup") == 0
    assert cli("restore", str(made), "--yes") == 0
    assert cli("patients", "list") == 0 and "After The Backup" not in cli.out
    monkeypatch.setenv("KETTRACK_NEW_PASSPHRASE", "another good phrase")
    assert cli("passphrase") == 0 and "changed" in cli.out
    monkeypatch.setenv("KETTRACK_PASSPHRASE", "another good phrase")
    assert cli("decrypt") == 0 and "no longer encrypted" in cli.out
    monkeypatch.delenv("KETTRACK_PASSPHRASE")
    assert cli("patients", "list") == 0 and "Lindqvist" in cli.out


def test_encryption_commands_are_audited(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # The window's path (Database.change_key) always wrote an "encryption" entry; the commands wrote none.
    assert cli("demo", "--no-claims") == 0
    monkeypatch.delenv("KETTRACK_PASSPHRASE", raising=False)
    monkeypatch.setenv("KETTRACK_NEW_PASSPHRASE", "correct horse battery")
    assert cli("encrypt") == 0
    monkeypatch.setenv("KETTRACK_PASSPHRASE", "correct horse battery")
    assert [e["details"] for e in cli.json("audit", "list", "--action", "encryption")] == ["encrypted"]
    monkeypatch.setenv("KETTRACK_NEW_PASSPHRASE", "another good phrase")
    assert cli("passphrase") == 0
    monkeypatch.setenv("KETTRACK_PASSPHRASE", "another good phrase")
    assert cli("decrypt") == 0
    monkeypatch.delenv("KETTRACK_PASSPHRASE")
    entries = cli.json("audit", "list", "--action", "encryption")
    assert sorted(e["details"] for e in entries) == ["decrypted", "encrypted", "passphrase changed"]
    everything = cli.json("audit", "list", "--limit", "1000")
    assert not [e for e in everything if "horse" in str(e) or "good phrase" in str(e)]  # never a key
    assert cli("audit", "verify") == 0


def test_not_enough_space_for_a_backup_is_one_line_and_exit_2(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from types import SimpleNamespace

    from kettrack.store.backup import backup_dir_for

    assert cli("demo", "--no-claims") == 0
    # The free space is the OS's answer (not the database's), so it is the one thing faked here.
    monkeypatch.setattr(
        shutil, "disk_usage", lambda _path: SimpleNamespace(total=1 << 30, used=1 << 30, free=0)
    )
    assert cli("backup") == 2
    assert cli.err.count("\n") == 1 and "not enough free space for a backup" in cli.err
    assert "unexpected" not in cli.err and "Traceback" not in cli.err
    assert not list(backup_dir_for(cli.db).glob("*.sqlite3"))


def test_force_replaces_only_a_regular_file(cli: Cli, tmp_path: Path) -> None:
    # ``export /dev/full --force`` once replaced the device node: anything but a regular file is refused.
    import os

    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    assert cli("export", str(pipe)) == 2 and "already exists" in cli.err
    assert cli("export", str(pipe), "--force") == 2
    assert cli.err.count("\n") == 1 and "named pipe, not a regular file" in cli.err
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    target = tmp_path / "theirs.txt"
    target.write_text("theirs")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert cli("export", str(link), "--force") == 2 and "symbolic link, not a regular file" in cli.err
    assert link.is_symlink() and target.read_text() == "theirs"
    regular = tmp_path / "export.json"
    regular.write_text("old")
    assert cli("export", str(regular), "--force") == 0 and regular.read_text() != "old"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
