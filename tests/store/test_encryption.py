"""Encryption at rest: an encrypted database is unreadable without its passphrase (plain sqlite3
included), refuses a wrong one in one clear message, changes passphrase, converts back and forth with
every row verified, and its backups are encrypted too."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kettrack.core.problems import InvalidInput
from kettrack.services import backups
from kettrack.services.demo import fill_demo
from kettrack.services.transfer import export_data
from kettrack.services.workspace import Workspace
from kettrack.store import encryption
from kettrack.store.database import Database
from kettrack.store.migrate import NotADatabase

PASS = "correct horse battery"


def _export(path: Path, passphrase: str | None) -> dict[str, object]:
    ws = Workspace(Database.open(path, passphrase=passphrase))
    try:
        data = export_data(ws)
        data.pop("exported_at")
        return data
    finally:
        ws.close()


@pytest.fixture
def plain(workspace: Workspace, db_path: Path) -> Path:
    fill_demo(workspace, claims=False)
    workspace.close()
    return db_path


def test_encrypt_open_change_and_decrypt(plain: Path) -> None:
    before = _export(plain, None)
    encryption.encrypt(plain, PASS)
    assert not encryption.is_plain_sqlite(plain)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(plain).execute("SELECT * FROM patients").fetchall()
    assert b"Lindqvist" not in plain.read_bytes()
    with pytest.raises(NotADatabase, match="encrypted database opens with its passphrase"):
        Database.open(plain)
    with pytest.raises(encryption.WrongPassphrase, match="not right"):
        Database.open(plain, passphrase="not the passphrase")
    assert _export(plain, PASS) == before
    encryption.change_passphrase(plain, PASS, "a brand new phrase")
    with pytest.raises(encryption.WrongPassphrase):
        Database.open(plain, passphrase=PASS)
    assert _export(plain, "a brand new phrase") == before
    encryption.decrypt(plain, "a brand new phrase")
    assert encryption.is_plain_sqlite(plain) and _export(plain, None) == before
    # The originals were kept aside, not deleted.
    assert len(list((plain.parent / f"{plain.stem}-backups").glob("*.orig"))) == 2


def test_short_passphrases_and_double_encryption_are_refused(plain: Path) -> None:
    with pytest.raises(InvalidInput, match="at least 8"):
        encryption.encrypt(plain, "short")
    encryption.encrypt(plain, PASS)
    with pytest.raises(InvalidInput, match="already encrypted"):
        encryption.encrypt(plain, PASS)


def test_backups_of_an_encrypted_database_are_encrypted(plain: Path) -> None:
    encryption.encrypt(plain, PASS)
    db = Database.open(plain, passphrase=PASS)
    try:
        backup = backups.back_up(plain, passphrase=db.passphrase)
    finally:
        db.close()
    assert not encryption.is_plain_sqlite(backup)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(backup).execute("SELECT count(*) FROM patients").fetchall()
    connection = encryption.connect(backup, PASS)
    try:
        assert connection.execute("SELECT count(*) FROM patients").fetchone()[0] == 2
    finally:
        connection.close()


def test_listing_checking_and_restoring_an_encrypted_database(plain: Path) -> None:
    from kettrack.services.check import check_database

    plain_backup = backups.back_up(plain)  # taken before encryption: stays plain, still restorable
    encryption.encrypt(plain, PASS)
    secret_backup = backups.back_up(plain, passphrase=PASS)
    listed = {b.path: b for b in backups.list_backups(plain, PASS)}
    assert listed[secret_backup].patients == 2 and listed[plain_backup].patients == 2
    assert backups.list_backups(plain)[0].patients is None  # no passphrase: counts unknown, no error
    report = check_database(plain, PASS)
    assert report.ok, report.lines()
    with pytest.raises(encryption.WrongPassphrase):  # refused (exit 2), not reported as damage
        check_database(plain, "wrong passphrase")

    with pytest.raises(InvalidInput, match="is encrypted: give its passphrase"):
        backups.restore(plain, secret_backup)
    ws = Workspace(Database.open(plain, passphrase=PASS))
    patient = ws.patients.list()[0]
    from dataclasses import replace

    ws.patients.update(replace(patient, legal_name="Changed After Backup"))
    ws.close()
    kept = backups.restore(plain, secret_backup, PASS)
    assert kept is not None and not encryption.is_plain_sqlite(kept)  # the replaced data, kept encrypted
    assert not encryption.is_plain_sqlite(plain)
    ws = Workspace(Database.open(plain, passphrase=PASS))
    try:
        assert "Changed After Backup" not in {p.legal_name for p in ws.patients.list()}
    finally:
        ws.close()


def test_an_open_database_switches_key_in_place(workspace: Workspace, db_path: Path) -> None:
    fill_demo(workspace, claims=False)
    before = workspace.infusions.count()
    assert workspace.db.change_key(PASS) == "encrypted" and workspace.db.encrypted
    assert not encryption.is_plain_sqlite(db_path) and workspace.infusions.count() == before
    with pytest.raises(InvalidInput, match="at least 8"):
        workspace.db.change_key("short")
    assert workspace.db.passphrase == PASS and workspace.infusions.count() == before  # still usable
    assert workspace.db.change_key(None) == "decrypted" and encryption.is_plain_sqlite(db_path)
    assert workspace.infusions.count() == before


def test_keychain_trusts_no_missing_or_plain_text_keyring(tmp_path: Path) -> None:
    import keyring
    from keyring.backends import fail

    from kettrack.store import keychain

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert not keychain.available()
        assert not keychain.remember(tmp_path / "x.sqlite3", PASS)
        assert keychain.recall(tmp_path / "x.sqlite3") is None
        keychain.forget(tmp_path / "x.sqlite3")  # nothing to forget: no error
    finally:
        keyring.set_keyring(before)


def test_a_text_file_is_not_mistaken_for_an_encrypted_database(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not SQLite " * 100)
    assert not encryption.looks_encrypted(text) and not encryption.looks_encrypted(tmp_path / "none")


def test_the_converted_copy_is_owner_only_from_its_first_byte(
    plain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: SQLCipher made the copy with the process umask (0644) and it was chmod-ed only after the
    # check, so a decryption killed midway left a world-readable plain copy of every record.
    seen: list[int] = []
    fingerprint = encryption._fingerprint

    def watching(connection: object) -> object:
        # Called on the original before the copy is written, then on the copy once it is complete.
        seen.extend(stat.S_IMODE(p.stat().st_mode) for p in plain.parent.glob(f".{plain.name}.*.converting*"))
        return fingerprint(connection)

    monkeypatch.setattr(encryption, "_fingerprint", watching)
    umask = os.umask(0o022)
    try:
        encryption.encrypt(plain, PASS)
        encryption.decrypt(plain, PASS)
    finally:
        os.umask(umask)
    assert len(seen) >= 4 and set(seen) == {0o600}, [oct(m) for m in seen]
    assert not list(plain.parent.glob(f".{plain.name}.*"))  # no copy left once it is swapped in


def test_converting_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    from kettrack.store.location import DatabaseMissing

    missing = tmp_path / "typo.sqlite3"
    for convert in (
        lambda: encryption.encrypt(missing, PASS),
        lambda: encryption.decrypt(missing, PASS),
        lambda: encryption.change_passphrase(missing, PASS, "another good phrase"),
    ):
        with pytest.raises(DatabaseMissing):
            convert()
    assert list(tmp_path.iterdir()) == []
