"""Encryption at rest in the window: offered by the first-run assistant, switched on, re-keyed and off
again under Tools → Encryption (each verified on the real file), the passphrase asked at start (wrong
tries refused and audited, remembered in a keyring when asked), and the idle lock asking for it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kettrack.services.demo import fill_demo
from kettrack.services.encryption import change_key
from kettrack.services.workspace import Workspace
from kettrack.store.audit import AuditLog
from kettrack.store.database import Database
from kettrack.store.encryption import WrongPassphrase, is_plain_sqlite
from kettrack.ui.auto_lock import LockScreen
from kettrack.ui.changes import ChangeBus
from kettrack.ui.encryption import EncryptionDialog, UnlockDialog, open_database
from kettrack.ui.first_run import FirstRunWizard
from kettrack.ui.main_window import MainWindow

PHRASE = "correct horse battery"


class MemoryKeyring(KeyringBackend):
    """A keyring backend of the keyring package's own plug-in kind, holding secrets in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def _plain_rows(path: Path, table: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


def test_first_run_encrypts_before_the_first_record(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    path = workspace.db.target.sqlite_path
    assert path is not None
    wizard = FirstRunWizard(workspace, bus)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    page = wizard.protect_page
    assert wizard.currentPage() is page and not page.fields.isEnabled()
    page.choice.setChecked(True)
    qtbot.keyClicks(page.fields.first, PHRASE)
    qtbot.keyClicks(page.fields.again, PHRASE + "!")
    wizard.next()
    assert wizard.currentPage() is page and page.fields.error.text() == "The two passphrases differ."
    assert is_plain_sqlite(path)
    page.fields.again.setText(PHRASE)
    wizard.next()
    assert wizard.currentPage() is wizard.patient_page
    assert workspace.db.encrypted and not is_plain_sqlite(path)
    qtbot.keyClicks(wizard.patient_page.editor.fields["legal_name"].widget, "Ada Quill")
    wizard.next()
    # The record went into the encrypted file: plain sqlite3 cannot read it, the passphrase can.
    with pytest.raises(sqlite3.DatabaseError):
        _plain_rows(path, "patients")
    assert [p.legal_name for p in workspace.patients.list()] == ["Ada Quill"]
    assert [e.details for e in AuditLog(workspace.db).entries(action="encryption")] == ["encrypted"]


def test_encryption_dialog_encrypts_rekeys_and_decrypts(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    fill_demo(workspace, claims=False)
    path = workspace.db.target.sqlite_path
    assert path is not None
    infusions = _plain_rows(path, "infusions")
    dialog = EncryptionDialog(workspace, bus)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.encrypt_button.isVisible() and not dialog.decrypt_button.isVisible()
    qtbot.keyClicks(dialog.new.first, "short")
    qtbot.keyClicks(dialog.new.again, "short")
    dialog.encrypt_button.click()
    assert "at least 8 characters" in dialog.new.error.text() and is_plain_sqlite(path)

    dialog.new.first.setText(PHRASE)
    dialog.new.again.setText(PHRASE)
    dialog.encrypt_button.click()
    assert "encrypted" in dialog.done_label.text() and not is_plain_sqlite(path)
    assert dialog.change_button.isVisible() and dialog.current.isVisible()
    assert workspace.infusions.count() == infusions  # the open window goes on, under the new key

    qtbot.keyClicks(dialog.current, "not it at all")
    dialog.new.first.setText("a new passphrase")
    dialog.new.again.setText("a new passphrase")
    dialog.change_button.click()
    assert "not the right one" in dialog.current_error.text() and workspace.db.passphrase == PHRASE
    dialog.current.setText(PHRASE)
    dialog.change_button.click()
    assert "passphrase is changed" in dialog.done_label.text()
    assert workspace.db.passphrase == "a new passphrase"
    with pytest.raises(WrongPassphrase):
        from kettrack.store.encryption import connect

        connect(path, PHRASE)

    dialog.current.setText("a new passphrase")
    dialog.decrypt_button.click()
    assert "no longer encrypted" in dialog.done_label.text() and is_plain_sqlite(path)
    assert _plain_rows(path, "infusions") == infusions
    assert dialog.encrypt_button.isVisible()
    details = [e.details for e in AuditLog(workspace.db).entries(action="encryption")]
    assert sorted(details) == ["decrypted", "encrypted", "passphrase changed"]


def _answer(answers: list[tuple[str, bool]]) -> QTimer:
    """Types each answer into the unlock dialog when it shows (it is modal: a timer does the typing)."""
    timer = QTimer()

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, UnlockDialog) and answers:
            phrase, remember = answers.pop(0)
            dialog.phrase.setText(phrase)
            dialog.remember.setChecked(remember)
            dialog.accept()

    timer.timeout.connect(fill)
    timer.start(20)
    return timer


def test_start_asks_the_passphrase_audits_wrong_tries_and_remembers(
    qtbot: QtBot, db_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KETTRACK_PASSPHRASE", raising=False)
    db = Database.open(db_path)
    change_key(db, PHRASE)
    db.close()

    timer = _answer([("guess one", False), ("guess two", False), (PHRASE, True)])
    opened = open_database(str(db_path))
    timer.stop()
    assert opened is not None and opened.passphrase == PHRASE
    failed = AuditLog(opened).entries(action="failed_unlock")
    assert len(failed) == 2 and "wrong passphrase" in failed[0].details
    opened.close()
    # The passphrase is remembered under the database's path (the audit seal key may sit beside it).
    assert memory_keyring.secrets[("kettrack", str(db_path.resolve()))] == PHRASE
    assert [v for (_, account), v in memory_keyring.secrets.items() if account.startswith("/")] == [PHRASE]

    # Remembered: the next start opens without asking.
    again = open_database(str(db_path))
    assert again is not None and again.passphrase == PHRASE
    again.close()

    # Cancelled: nothing is opened; the command-line open without the passphrase says what to do.
    memory_keyring.secrets.clear()
    timer = QTimer()
    timer.timeout.connect(
        lambda: isinstance(w := QApplication.activeModalWidget(), UnlockDialog) and w.reject()
    )
    timer.start(20)
    assert open_database(str(db_path)) is None
    timer.stop()


def test_idle_lock_asks_the_database_passphrase(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    change_key(workspace.db, PHRASE)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    window.show()
    assert window.location.text().endswith("(encrypted)")
    lock = window.auto_lock
    assert lock.enabled  # an encrypted database always locks when idle, PIN or not
    lock.set_idle_ms(50)
    qtbot.waitUntil(lambda: lock.locked, timeout=3000)
    assert isinstance(window.centralWidget(), LockScreen)
    assert lock.screen is not None and lock.screen.pin.placeholderText() == "Passphrase"
    assert not lock.unlock("4711")
    assert "passphrase is not right" in lock.screen.error.text()
    assert lock.unlock(PHRASE) and not lock.locked


def test_tools_encryption_updates_the_status_bar(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    window.show()
    assert "(encrypted)" not in window.location.text()
    window.encryption_action.trigger()
    dialog = window.findChild(EncryptionDialog)
    assert isinstance(dialog, EncryptionDialog) and dialog.isVisible()
    dialog.new.first.setText(PHRASE)
    dialog.new.again.setText(PHRASE)
    dialog.encrypt_button.click()
    dialog.reject()
    assert window.location.text().endswith("(encrypted)")
