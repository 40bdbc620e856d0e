"""Automatic logoff (HIPAA 164.312(a)(2)(iii)): after the idle time the user sets (default 10
minutes) the window hides every piece of patient data behind a lock screen, hides its other windows,
and asks before showing them again: for an encrypted database its passphrase (the lock is always on
there), otherwise the PIN the user set (kept only as a salted scrypt hash in the database's
settings). A wrong answer is said next to the field and written to the audit log as a failed unlock.

A PIN is short, so its hash must be slow: whoever has a copy of the database can try PINs offline,
and people reuse PINs. The scrypt cost is stored with each hash, so a hash made at an older, cheaper
cost still verifies.

The settings are read and written on the database worker (kettrack.ui.operations); the input filter
asks only what is kept in memory."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kettrack.ui.basics import tr
from kettrack.ui.forms import error_label
from kettrack.ui.operations import change, query

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

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


# scrypt cost (n, r, p) for new PINs: n = 2**17 took 0.28 s on one core of the build machine, so trying
# all million 6-digit PINs costs days of one core rather than the 9 hours 2**14 allowed. It needs
# 128 * r * n bytes (128 MiB); hashlib refuses more than ``maxmem`` (32 MiB unless told), see _scrypt.
PIN_COST = (2**17, 8, 1)
MIN_PIN_DIGITS, MAX_PIN_DIGITS = 6, 12
# What hashes stored before the cost was kept in the string ("salt$digest") were made with.
_LEGACY_COST = (2**14, 8, 1)
# A cost read from the database is bounded (twice today's memory, a few lanes), so a damaged setting
# cannot make unlocking take minutes or gigabytes.
_MAX_MEMORY, _MAX_P = 2 * 128 * 8 * 2**17, 4


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    needed = 128 * r * (n + p)  # OpenSSL's own estimate is a little above 128 * r * n: leave room
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=2 * needed, dklen=32)


def hash_pin(pin: str, salt: bytes | None = None, *, cost: tuple[int, int, int] = PIN_COST) -> str:
    """``scrypt$n=…,r=…,p=…$salt$digest`` (hex): the cost travels with the hash."""
    salt = salt or secrets.token_bytes(16)
    n, r, p = cost
    return f"scrypt$n={n},r={r},p={p}${salt.hex()}${_scrypt(pin, salt, n, r, p).hex()}"


def _parse(stored: str) -> tuple[tuple[int, int, int], bytes, bytes] | None:
    """The cost, salt and digest of a stored hash (either format); None if it is not one."""
    parts = stored.split("$")
    try:
        if len(parts) == 2:
            cost, salt, digest = _LEGACY_COST, bytes.fromhex(parts[0]), bytes.fromhex(parts[1])
        elif len(parts) == 4 and parts[0] == "scrypt":
            given = dict(item.split("=", 1) for item in parts[1].split(","))
            cost = (int(given["n"]), int(given["r"]), int(given["p"]))
            salt, digest = bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
        else:
            return None
    except (ValueError, KeyError):
        return None
    n, r, p = cost
    power_of_two = n > 1 and n & (n - 1) == 0
    if not (power_of_two and r >= 1 and 128 * r * n <= _MAX_MEMORY and 1 <= p <= _MAX_P and salt and digest):
        return None
    return cost, salt, digest


def pin_matches(pin: str, stored: str) -> bool:
    parsed = _parse(stored)
    if parsed is None:
        return False
    (n, r, p), salt, digest = parsed
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p), digest)


def check_pin(pin: str) -> str | None:
    """What is wrong with a new PIN, in words for the message next to its field; None if nothing."""
    if not pin:
        return tr("Type a PIN of {0} to {1} digits").format(MIN_PIN_DIGITS, MAX_PIN_DIGITS)
    if not (pin.isascii() and pin.isdigit()):
        return tr("A PIN is digits only (0 to 9), {0} to {1} of them").format(MIN_PIN_DIGITS, MAX_PIN_DIGITS)
    if len(pin) < MIN_PIN_DIGITS:
        return tr("A PIN needs at least {0} digits; this one has {1}").format(MIN_PIN_DIGITS, len(pin))
    if len(pin) > MAX_PIN_DIGITS:
        return tr("A PIN has at most {0} digits; this one has {1}").format(MAX_PIN_DIGITS, len(pin))
    return None


class PinDialog(QDialog):
    """Asks for a new lock PIN and the idle time; says next to the PIN field what is wrong with it."""

    def __init__(self, parent: QWidget | None = None, *, idle_minutes: int = DEFAULT_IDLE_MINUTES) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Lock PIN"))
        self.pin = QLineEdit()
        self.pin.setObjectName("new_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(tr("{0} to {1} digits").format(MIN_PIN_DIGITS, MAX_PIN_DIGITS))
        self.pin.setAccessibleName(tr("New PIN"))
        self.error = error_label()
        self.error.setObjectName("new_pin_error")
        self.minutes = QSpinBox()
        self.minutes.setRange(1, 240)
        self.minutes.setValue(idle_minutes)
        self.minutes.setAccessibleName(tr("Idle minutes before locking"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(tr("PIN"), self.pin)
        form.addRow("", self.error)
        form.addRow(tr("Lock after idle minutes"), self.minutes)
        form.addRow(buttons)
        self.pin.textEdited.connect(lambda _text: self.error.hide())

    def accept(self) -> None:
        problem = check_pin(self.pin.text())
        if problem:
            self.error.setText(problem)
            self.error.show()
            self.pin.setFocus()
            return
        super().accept()


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
    """Watches the application's input; locks ``window`` after the idle time.

    The PIN's hash and the idle time are read from the database's settings on the database worker and
    kept here: the input filter asks ``enabled`` on every key press and mouse move."""

    def __init__(self, ws: Workspace, window: QMainWindow) -> None:
        super().__init__(window)
        self.ws = ws
        self.window = window
        self.locked = False
        self.screen: LockScreen | None = None
        self._content: QWidget | None = None
        self._hidden: list[QWidget] = []
        self._pin_hash = ""  # as stored in the settings ("" when no PIN is set)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.timer.setInterval(DEFAULT_IDLE_MINUTES * 60_000)
        self._read_settings()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def enabled(self) -> bool:
        return self.ws.db.encrypted or bool(self._pin_hash)

    def _read_settings(self) -> None:
        settings = self.ws.settings
        query(
            self,
            lambda: (settings.get(PIN_KEY) or "", settings.get(IDLE_KEY) or ""),
            self._take_settings,
            what="read lock settings",
        )

    def _take_settings(self, stored: tuple[str, str]) -> None:
        self._pin_hash, raw = stored
        minutes = int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_IDLE_MINUTES
        if not self.locked:
            self.set_idle_ms(minutes * 60_000)

    def set_idle_ms(self, milliseconds: int) -> None:
        self.timer.setInterval(milliseconds)
        if self.enabled:
            self.timer.start()

    def set_pin(self, pin: str, idle_minutes: int = DEFAULT_IDLE_MINUTES) -> None:
        problem = check_pin(pin)
        if problem:
            raise ValueError(problem)
        stored, settings = hash_pin(pin), self.ws.settings

        def save() -> None:
            settings.set(PIN_KEY, stored)
            settings.set(IDLE_KEY, str(idle_minutes))

        change(
            self, save, lambda _saved: self._take_settings((stored, str(idle_minutes))), what="set lock PIN"
        )

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
        self._read_settings()  # the PIN as stored now (changed from another window meanwhile?)

    def _try_unlock(self) -> None:
        assert self.screen is not None
        self.unlock(self.screen.pin.text())

    def _matches(self, given: str) -> bool:
        if self.ws.db.passphrase is not None:
            return hmac.compare_digest(given.encode("utf-8"), self.ws.db.passphrase.encode("utf-8"))
        return bool(self._pin_hash) and pin_matches(given, self._pin_hash)

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
                from kettrack.services.audit import AuditLog

                log, details = AuditLog(self.ws.db), f"wrong {what} on the lock screen"
                change(
                    self, lambda: log.record_now("failed_unlock", details=details), what="audit failed unlock"
                )
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
