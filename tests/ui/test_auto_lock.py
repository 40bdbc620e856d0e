"""The automatic lock: after the idle time every piece of patient data is hidden (the main view and
any claim window) until the right PIN is given; a wrong PIN is refused and audited. A PIN is 6 to 12
digits, hashed with scrypt at n = 2**17; a hash stored at the older cost still unlocks."""

from __future__ import annotations

import hashlib
import secrets
import time

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store.audit import AuditLog
from kettrack.ui.auto_lock import PIN_KEY, LockScreen, PinDialog, check_pin, hash_pin, pin_matches
from kettrack.ui.changes import ChangeBus
from kettrack.ui.main_window import MainWindow


def test_idle_window_hides_the_data_until_the_right_pin(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    window.show()
    claim = window.open_claim(1)
    qtbot.addWidget(claim)
    assert claim.isVisible()
    lock = window.auto_lock
    lock.set_pin("471108", idle_minutes=10)
    assert "471108" not in (workspace.settings.get("lock_pin_scrypt") or "")  # only a salted hash is kept
    lock.set_idle_ms(50)
    qtbot.waitUntil(lambda: lock.locked, timeout=3000)
    assert isinstance(window.centralWidget(), LockScreen)
    assert not window.infusions.isVisible() and not claim.isVisible()
    assert not window.menuBar().isEnabled()
    assert not lock.unlock("000000")
    assert lock.locked and "not right" in lock.screen.error.text()  # type: ignore[union-attr]
    assert AuditLog(workspace.db).entries(action="failed_unlock")
    assert lock.unlock("471108")
    assert not lock.locked and claim.isVisible() and window.menuBar().isEnabled()
    assert not isinstance(window.centralWidget(), LockScreen)


def test_pins_are_hashed_with_salt() -> None:
    first, second = hash_pin("123456"), hash_pin("123456")
    assert first != second and pin_matches("123456", first) and not pin_matches("123457", first)


def test_new_pins_are_hashed_at_the_new_cost() -> None:
    stored = hash_pin("123456")
    assert stored.startswith("scrypt$n=131072,r=8,p=1$")
    started = time.perf_counter()
    assert pin_matches("123456", stored)
    print(f"one unlock at n=2**17: {time.perf_counter() - started:.2f} s")


def _legacy_hash(pin: str) -> str:
    """A hash as kettrack stored it before the cost was kept with it: salt$digest at n = 2**14."""
    salt = secrets.token_bytes(16)
    return f"{salt.hex()}${hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()}"


def test_a_pin_stored_at_the_old_cost_still_unlocks(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    legacy = _legacy_hash("4711")  # old PINs could be 4 digits; they keep working until changed
    assert pin_matches("4711", legacy) and not pin_matches("4712", legacy)
    workspace.settings.set(PIN_KEY, legacy)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    lock = window.auto_lock
    lock.lock()
    assert lock.locked and not lock.unlock("1234") and lock.unlock("4711")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "nonsense",
        "zz$zz",
        "scrypt$n=131072,r=8,p=1$00",
        "scrypt$n=100000,r=8,p=1$00$00",  # n must be a power of two
        "scrypt$n=1073741824,r=8,p=1$00$00",  # would need 128 GiB: refused, not attempted
        "scrypt$r=8,p=1$00$00",
        "bcrypt$n=16384,r=8,p=1$00$00",
    ],
)
def test_a_damaged_stored_hash_matches_nothing(stored: str) -> None:
    assert not pin_matches("123456", stored)


def test_a_pin_is_6_to_12_digits() -> None:
    assert check_pin("123456") is None and check_pin("123456789012") is None
    assert "at least 6 digits" in (check_pin("4711") or "") and "has 4" in (check_pin("4711") or "")
    assert "at most 12" in (check_pin("1234567890123") or "")
    assert "digits only" in (check_pin("12345a") or "") and "digits only" in (check_pin("١٢٣٤٥٦") or "")
    assert check_pin("") is not None


def test_set_pin_refuses_a_short_pin(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    with pytest.raises(ValueError, match="at least 6 digits"):
        window.auto_lock.set_pin("4711")
    assert not workspace.settings.get(PIN_KEY)


def test_the_pin_dialog_says_what_is_wrong_next_to_the_field(qtbot: QtBot) -> None:
    dialog = PinDialog(idle_minutes=15)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.pin, "4711")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "at least 6 digits" in dialog.error.text()
    qtbot.keyClicks(dialog.pin, "08")  # typing again hides the message until the next try
    assert not dialog.error.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert dialog.pin.text() == "471108" and dialog.minutes.value() == 15


def test_the_menu_asks_for_a_pin_and_says_next_to_the_field_what_is_wrong(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    dialog = window.set_lock_pin()
    assert isinstance(dialog, PinDialog)
    qtbot.keyClicks(dialog.pin, "4711")
    dialog.accept()
    assert dialog.isVisible() and "6" in dialog.error.text()
    assert not workspace.settings.get(PIN_KEY)
    dialog.pin.clear()
    qtbot.keyClicks(dialog.pin, "471108")
    dialog.accept()
    assert not dialog.isVisible()
    assert pin_matches("471108", workspace.settings.get(PIN_KEY) or "")
