"""The automatic lock: after the idle time every piece of patient data is hidden (the main view and
any claim window) until the right PIN is given; a wrong PIN is refused and audited."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kettrack.store.audit import AuditLog
from kettrack.store.demo import fill_demo
from kettrack.store.workspace import Workspace
from kettrack.ui.auto_lock import LockScreen, hash_pin, pin_matches
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
    lock.set_pin("4711", idle_minutes=10)
    assert workspace.settings.get("lock_pin_scrypt") != "4711"  # only a salted hash is kept
    lock.set_idle_ms(50)
    qtbot.waitUntil(lambda: lock.locked, timeout=3000)
    assert isinstance(window.centralWidget(), LockScreen)
    assert not window.infusions.isVisible() and not claim.isVisible()
    assert not window.menuBar().isEnabled()
    assert not lock.unlock("0000")
    assert lock.locked and "not right" in lock.screen.error.text()  # type: ignore[union-attr]
    assert AuditLog(workspace.db).entries(action="failed_unlock")
    assert lock.unlock("4711")
    assert not lock.locked and claim.isVisible() and window.menuBar().isEnabled()
    assert not isinstance(window.centralWidget(), LockScreen)


def test_pins_are_hashed_with_salt() -> None:
    first, second = hash_pin("123456"), hash_pin("123456")
    assert first != second and pin_matches("123456", first) and not pin_matches("123457", first)
