"""The window's quick start: the newest sessions, read with sqlite3 alone, show before the workspace
opens; nothing can be edited until it has; then the same rows come from the store."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kettrack.store import snapshot
from kettrack.store.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.infusions import DATE, PATIENT
from kettrack.ui.main_window import MainWindow
from tests.ui.conftest import make_sessions


def _column(win: MainWindow, column: int) -> list[str]:
    model = win.infusions.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def test_preview_then_attach(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, people: dict[str, int]
) -> None:
    make_sessions(workspace, [people["ada"], people["bo"]], 30)
    preview = snapshot.read(workspace.db.target.sqlite_path, 10)
    assert preview is not None and preview.total == 30 and len(preview.rows) == 10

    win = MainWindow(None, bus, preview=preview)
    qtbot.addWidget(win)
    win.show()
    view = win.infusions
    shown = list(zip(_column(win, DATE), _column(win, PATIENT), strict=True))
    assert len(shown) == 10
    assert "30 sessions (opening the database" in view.count.text()
    assert not view.new_button.isEnabled() and not view.text.isEnabled() and not win.new_action.isEnabled()
    assert view.open_dialog(None) is None  # nothing opens before the database is there
    assert "Opening the database" in win.location.text()

    win.attach(workspace)
    assert view.new_button.isEnabled() and view.text.isEnabled() and win.new_action.isEnabled()
    assert view.count.text().startswith("30 sessions")
    assert list(zip(_column(win, DATE), _column(win, PATIENT), strict=True))[:10] == shown
    assert view.patient.count() == 1 + len(workspace.patients.choices())
    assert str(workspace.db.target.sqlite_path) in win.location.text()
