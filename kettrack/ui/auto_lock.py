"""Automatic logoff (HIPAA 164.312(a)(2)(iii)): after the idle time the user sets (default 10
minutes) the window hides every piece of patient data behind a lock screen, hides its other windows,
and asks before showing them again: for an encrypted database its passphrase (the lock is always on
there), otherwise the PIN the user set (kept only as a salted scrypt hash in the database's
settings). A wrong answer is said next to the field and written to the audit log as a failed unlock."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMainWindow, QPushButton, QVBoxLayout, QWidget

from kettrack.ui.basics import tr
from kettrack.ui.forms import error_label

if TYPE_CHECKING:
    from kettrack.store.workspace import Workspace

PIN_KEY = "lock_pin_scrypt"
IDLE_KEY = "lock_idle_minutes"
DEFAULT_IDLE_MINUTES = 10
_INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"{salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(hash_pin(pin, bytes.fromhex(salt)), stored)


def check_pin(pin: str) -> str | None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        return tr("A PIN is 4 to 12 digits")
    return None


class LockScreen(QWidget):
    """What shows instead of the data while locked."""

    def __init__(self, parent: QWidget | None = None, *, passphrase: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("lock_screen")
        secret = tr("passphrase") if passphrase else tr("PIN")
        title = QLabel(tr("kettrack is locked"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        title.setFont(font)
        self.pin = QLineEdit()
        self.pin.setObjectName("unlock_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(secret.capitalize())
        self.pin.setMaximumWidth(260)
        self.pin.setAccessibleName(tr("{0} to unlock").format(secret.capitalize()))
        self.error = error_label()
        self.error.setObjectName("unlock_error")
        self.button = QPushButton(tr("Unlock"))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (
            title,
            QLabel(tr("Patient data is hidden. Enter your {0} to go on.").format(secret)),
            self.pin,
            self.error,
            self.button,
        ):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class AutoLock(QObject):
    """Watches the application's input; locks ``window`` after the idle time."""

    def __init__(self, ws: Workspace, window: QMainWindow) -> None:
        super().__init__(window)
        self.ws = ws
        self.window = window
        self.locked = False
        self.screen: LockScreen | None = None
        self._content: QWidget | None = None
        self._hidden: list[QWidget] = []
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.set_idle_ms(self._idle_minutes() * 60_000)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def enabled(self) -> bool:
        return self.ws.db.encrypted or bool(self.ws.settings.get(PIN_KEY))

    def _idle_minutes(self) -> int:
        raw = self.ws.settings.get(IDLE_KEY) or ""
        return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_IDLE_MINUTES

    def set_idle_ms(self, milliseconds: int) -> None:
        self.timer.setInterval(milliseconds)
        if self.enabled:
            self.timer.start()

    def set_pin(self, pin: str, idle_minutes: int = DEFAULT_IDLE_MINUTES) -> None:
        problem = check_pin(pin)
        if problem:
            raise ValueError(problem)
        self.ws.settings.set(PIN_KEY, hash_pin(pin))
        self.ws.settings.set(IDLE_KEY, str(idle_minutes))
        self.set_idle_ms(idle_minutes * 60_000)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.locked and event.type() in _INPUT and self.enabled:
            self.timer.start()  # any input restarts the idle clock
        return False

    def lock(self) -> None:
        if self.locked or not self.enabled:
            return
        self.locked = True
        # Every other window of the app (a claim, a dialog) hides too: they show patient data.
        self._hidden = [w for w in QApplication.topLevelWidgets() if w is not self.window and w.isVisible()]
        for widget in self._hidden:
            widget.hide()
        self._content = self.window.takeCentralWidget()
        self.screen = LockScreen(passphrase=self.ws.db.encrypted)
        self.screen.button.clicked.connect(self._try_unlock)
        self.screen.pin.returnPressed.connect(self._try_unlock)
        self.window.setCentralWidget(self.screen)
        self.window.menuBar().setEnabled(False)
        self.screen.pin.setFocus()

    def _try_unlock(self) -> None:
        assert self.screen is not None
        self.unlock(self.screen.pin.text())

    def _matches(self, given: str) -> bool:
        if self.ws.db.passphrase is not None:
            return hmac.compare_digest(given.encode("utf-8"), self.ws.db.passphrase.encode("utf-8"))
        stored = self.ws.settings.get(PIN_KEY) or ""
        return bool(stored) and pin_matches(given, stored)

    def unlock(self, pin: str) -> bool:
        if not self.locked:
            return True
        if not self._matches(pin):
            assert self.screen is not None
            what = tr("passphrase") if self.ws.db.encrypted else tr("PIN")
            self.screen.error.setText(tr("That {0} is not right.").format(what))
            self.screen.error.show()
            self.screen.pin.clear()
            if not self.ws.db.read_only:  # a read-only window cannot write; the kettrack holding it can
                from kettrack.store.audit import AuditLog

                AuditLog(self.ws.db).record_now("failed_unlock", details=f"wrong {what} on the lock screen")
            return False
        self.window.takeCentralWidget()
        if self.screen is not None:
            self.screen.deleteLater()
            self.screen = None
        assert self._content is not None
        self.window.setCentralWidget(self._content)
        self.window.menuBar().setEnabled(True)
        for widget in self._hidden:
            widget.show()
        self._hidden = []
        self.locked = False
        self.timer.start()
        return True
