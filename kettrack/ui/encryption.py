"""Encryption at rest in the window: the passphrase asked at start (with the system keyring, where
there is one, to remember it), the "Encryption…" dialog that encrypts, decrypts or changes the
passphrase of the open database, and the passphrase fields the first-run assistant shares.

The conversion itself (verified row for row, original kept beside the backups) is the store's; it
runs on the database worker (kettrack.ui.operations) behind a wait cursor: that one thread does all of
the window's database work, one operation after another, so nothing else queries the file while it is
being swapped, and the window stays responsive meanwhile.

Opening the database at start (``open_database``) comes before the window and its worker: it runs on
the GUI thread, as the rest of start-up does (kettrack.ui.app).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.services.encryption import change_key
from kettrack.services.opening import PASSPHRASE_VARIABLE, check_passphrase, keychain, looks_encrypted
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.forms import error_label
from kettrack.ui.operations import Handlers, Operation, change

if TYPE_CHECKING:
    from kettrack.services.opening import Database
    from kettrack.services.workspace import Workspace
    from kettrack.ui.changes import ChangeBus

MAX_TRIES = 5


def _password_field(name: str, placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    field.setAccessibleName(placeholder)
    field.setMinimumWidth(260)
    return field


def _remember_box() -> QCheckBox:
    """Offered only where a keyring kettrack trusts exists; elsewhere the passphrase is just asked."""
    box = QCheckBox(tr("Remember it on this computer (system keyring)"))
    box.setObjectName("remember_passphrase")
    box.setVisible(keychain.available())
    return box


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class NewPassphrase(QWidget):
    """A new passphrase typed twice, and whether to remember it in the keyring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = _password_field("new_passphrase", tr("New passphrase"))
        self.again = _password_field("new_passphrase_again", tr("The same again"))
        self.remember = _remember_box()
        self.error = error_label()
        self.error.setObjectName("passphrase_error")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(tr("Passphrase:"), self.first)
        form.addRow(tr("Repeat:"), self.again)
        form.addRow("", self.error)
        form.addRow("", self.remember)

    def value(self) -> str | None:
        """The passphrase when both fields agree and it is usable; otherwise says why next to them."""
        phrase = self.first.text()
        try:
            check_passphrase(phrase)
        except ValueError as exc:
            _show(self.error, tr("Passphrase: {0}").format(_first_message(exc)))
            self.first.setFocus()
            return None
        if self.again.text() != phrase:
            _show(self.error, tr("The two passphrases differ."))
            self.again.setFocus()
            return None
        _show(self.error, "")
        return phrase


def _first_message(exc: Exception) -> str:
    problems = getattr(exc, "problems", None)
    return str(problems[0].message) if problems else str(exc)


def remember_choice(path: Path | None, phrase: str | None, remember: bool) -> None:
    """Keep (or drop) the passphrase in the keyring after a successful unlock or conversion."""
    if path is None:
        return
    if phrase is not None and remember:
        keychain.remember(path, phrase)
    else:
        keychain.forget(path)


def apply_key(
    owner: QWidget,
    ws: Workspace,
    new: str | None,
    *,
    remember: bool,
    bus: ChangeBus | None = None,
    on_done: Callable[[str], object] | None = None,
    handle: Handlers | None = None,
    after: Callable[[], object] | None = None,
) -> Operation[str]:
    """Encrypt, decrypt or re-key the open database (the store verifies it) on the database worker,
    behind a wait cursor; ``on_done`` gets what was done ("encrypted", "decrypted", "passphrase
    changed")."""
    path = ws.db.target.sqlite_path

    def convert() -> str:
        done = change_key(ws.db, new)
        remember_choice(path, new, remember)
        return done

    waiting = [True]

    def restore_cursor() -> None:
        if waiting:
            waiting.clear()
            QApplication.restoreOverrideCursor()

    def finished() -> None:
        restore_cursor()
        if after is not None:
            after()

    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    owner.destroyed.connect(restore_cursor)  # closed while converting: the cursor comes back anyway
    return change(
        owner,
        convert,
        on_done,
        what="change encryption",
        bus=bus,
        changes=(changes.SETTINGS,) if bus is not None else (),
        handle=handle,
        after=finished,
    )


class UnlockDialog(QDialog):
    """Asked at start for an encrypted database."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Unlock {0}").format(path.name))
        self.setObjectName("unlock_database")
        self.phrase = _password_field("passphrase", tr("Passphrase"))
        self.remember = _remember_box()
        self.error = error_label()
        self.error.setObjectName("unlock_error")
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Unlock"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("{0} is encrypted. Enter its passphrase to open it.").format(path)))
        layout.addWidget(self.phrase)
        layout.addWidget(self.error)
        layout.addWidget(self.remember)
        layout.addWidget(buttons)

    def wrong(self) -> None:
        _show(self.error, tr("That passphrase is not right."))
        self.phrase.clear()
        self.phrase.setFocus()


def open_database(location: str | None, *, ask: bool = True, read_only: bool = False) -> Database | None:
    """Open the database; for an encrypted one, with $KETTRACK_PASSPHRASE, the keyring, or the
    passphrase asked in a dialog (a few tries; never when ``ask`` is off). None when the person
    cancels. Wrong passphrases typed before the right one go to the audit log once it can be written."""
    from kettrack.services import opening
    from kettrack.services.opening import WrongPassphrase, resolve

    target = resolve(location)
    path = target.sqlite_path
    if path is None or not looks_encrypted(path):
        return opening.open_database(location, read_only=read_only)
    if phrase := os.environ.get(PASSPHRASE_VARIABLE):
        return opening.open_database(location, read_only=read_only, passphrase=phrase)
    if remembered := keychain.recall(path):
        try:
            return opening.open_database(location, read_only=read_only, passphrase=remembered)
        except WrongPassphrase:
            keychain.forget(path)  # changed elsewhere: ask, and remember the new one if wished
    if not ask:
        # Without it the open says the file is encrypted and how to give the passphrase.
        return opening.open_database(location, read_only=read_only)
    asking = UnlockDialog(path)
    failures = 0
    for _ in range(MAX_TRIES):
        if asking.exec() != QDialog.DialogCode.Accepted:
            break
        try:
            db = opening.open_database(location, read_only=read_only, passphrase=asking.phrase.text())
        except WrongPassphrase:
            failures += 1
            asking.wrong()
            continue
        remember_choice(path, db.passphrase, asking.remember.isChecked())
        if failures and not db.read_only:
            from kettrack.services.audit import AuditLog

            for _ in range(failures):
                AuditLog(db).record_now("failed_unlock", details="wrong passphrase when opening the database")
        return db
    if failures:
        raise WrongPassphrase(path)
    return None


class EncryptionDialog(QDialog):
    """Tools → Encryption: encrypt the open database, change its passphrase, or remove encryption."""

    def __init__(self, ws: Workspace, bus: ChangeBus | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.bus = bus
        self.setWindowTitle(tr("Encryption"))
        self.setObjectName("encryption_dialog")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.current = _password_field("current_passphrase", tr("Current passphrase"))
        self.current_error = error_label()
        self.current_error.setObjectName("current_error")
        self.new = NewPassphrase()
        self.encrypt_button = QPushButton(tr("Encrypt"))
        self.encrypt_button.setObjectName("encrypt")
        self.change_button = QPushButton(tr("Change passphrase"))
        self.change_button.setObjectName("change_passphrase")
        self.decrypt_button = QPushButton(tr("Remove encryption"))
        self.decrypt_button.setObjectName("decrypt")
        self.done_label = QLabel()
        self.done_label.setObjectName("encryption_done")
        self.done_label.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.encrypt_button.clicked.connect(self.encrypt)
        self.change_button.clicked.connect(self.change)
        self.decrypt_button.clicked.connect(self.decrypt)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        self.current_row = QWidget()
        current_form = QFormLayout(self.current_row)
        current_form.setContentsMargins(0, 0, 0, 0)
        current_form.addRow(tr("Current:"), self.current)
        current_form.addRow("", self.current_error)
        layout.addWidget(self.current_row)
        layout.addWidget(self.new)
        for button in (self.encrypt_button, self.change_button, self.decrypt_button):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.done_label)
        layout.addWidget(close)
        self.setMinimumWidth(540)
        self.refresh()

    def refresh(self) -> None:
        db = self.ws.db
        encrypted = db.encrypted
        if not db.is_sqlite:
            text = tr(
                "This is a shared PostgreSQL database: protect it on the server (disk encryption, TLS). "
                "kettrack encrypts only its own database files."
            )
        elif encrypted:
            text = tr(
                "This database is encrypted (SQLCipher, AES-256). Its backups are encrypted with the same "
                "passphrase. Without the passphrase the data cannot be recovered by anyone."
            )
        else:
            text = tr(
                "This database is not encrypted: anyone who can read the file can read the records. "
                "Encrypting asks a passphrase each time kettrack starts (unless the keyring keeps it). "
                "Forget the passphrase and the data is lost: write it down somewhere safe."
            )
        self.status.setText(text)
        usable = db.is_sqlite and not db.read_only
        self.current_row.setVisible(encrypted and usable)
        self.new.setVisible(usable)
        self.encrypt_button.setVisible(usable and not encrypted)
        self.change_button.setVisible(usable and encrypted)
        self.decrypt_button.setVisible(usable and encrypted)
        self.adjustSize()

    def _current_ok(self) -> bool:
        import hmac

        given = self.current.text().encode("utf-8")
        if hmac.compare_digest(given, (self.ws.db.passphrase or "").encode("utf-8")):
            _show(self.current_error, "")
            return True
        _show(self.current_error, tr("Current passphrase: that is not the right one."))
        self.current.setFocus()
        return False

    def _run(self, new: str | None) -> None:
        for button in (self.encrypt_button, self.change_button, self.decrypt_button):
            button.setEnabled(False)
        apply_key(
            self,
            self.ws,
            new,
            remember=self.new.remember.isChecked(),
            bus=self.bus,
            on_done=self._done,
            # Said in the dialog; the store left the file as it was.
            handle={Exception: self._not_done},
        )

    def _not_done(self, exc: Exception) -> None:
        _show(self.current_error, tr("Not done: {0}").format(_first_message(exc)))
        self._enable()

    def _enable(self) -> None:
        for button in (self.encrypt_button, self.change_button, self.decrypt_button):
            button.setEnabled(True)

    def _done(self, done: str) -> None:
        self._enable()
        for field in (self.current, self.new.first, self.new.again):
            field.clear()
        self.done_label.setText(
            {
                "encrypted": tr("Done: the database is encrypted. The plain original (*.orig) and backups "
                "taken before now stay unencrypted in the backups folder until you delete them."),
                "decrypted": tr("Done: the database is no longer encrypted."),
            }.get(done, tr("Done: the passphrase is changed."))
        )  # fmt: skip
        self.refresh()

    def encrypt(self) -> None:
        phrase = self.new.value()
        if phrase is not None:
            self._run(phrase)

    def change(self) -> None:
        if not self._current_ok():
            return
        phrase = self.new.value()
        if phrase is not None:
            self._run(phrase)

    def decrypt(self) -> None:
        if self._current_ok():
            self._run(None)
