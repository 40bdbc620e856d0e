"""The window's quick start: the newest sessions, read with sqlite3 alone, show before the workspace
opens; nothing can be edited until it has; then the same rows come from the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.services.workspace import Workspace
from kettrack.store import snapshot
from kettrack.ui.changes import ChangeBus
from kettrack.ui.infusions import DATE, PATIENT
from kettrack.ui.main_window import MainWindow
from kettrack.ui.tables import ALIGNMENT_ROLE, DISPLAY_ROLE, FALLBACK_MS, LEFT, RIGHT, USER_ROLE, RecordTable
from tests.bench.seed import seed
from tests.ui.conftest import make_sessions


def _column(win: MainWindow, column: int) -> list[str]:
    model = win.infusions.table.model()  # what the table shows: the preview, then the store's rows
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
    assert not view.new_button.isEnabled() and not view.text.isEnabled()
    assert all(action.menu().isEmpty() for action in win.menuBar().actions())  # filled on attach
    assert view.open_dialog(None) is None  # nothing opens before the database is there
    assert "Opening the database" in win.location.text()

    win.attach(workspace)
    assert view.new_button.isEnabled() and view.text.isEnabled() and win.new_action.isEnabled()
    assert view.count.text().startswith("30 sessions")
    assert list(zip(_column(win, DATE), _column(win, PATIENT), strict=True))[:10] == shown
    assert view.patient.count() == 1 + len(workspace.patients.choices())
    assert str(workspace.db.target.sqlite_path) in win.location.text()


def test_preview_swaps_to_the_store_keeping_header_and_selection(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, people: dict[str, int]
) -> None:
    make_sessions(workspace, [people["ada"], people["bo"]], 30)
    preview = snapshot.read(workspace.db.target.sqlite_path, 10)
    assert preview is not None
    win = MainWindow(None, bus, preview=preview)
    qtbot.addWidget(win)
    win.show()
    table = win.infusions.table
    assert table.model() is not win.infusions.model  # Qt's own item model: no Python while painting
    header = table.horizontalHeader()
    assert header.isSortIndicatorShown() and header.sortIndicatorSection() == DATE
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    table.setColumnWidth(PATIENT, 222)
    table.selectRow(3)
    chosen = table.current_id()
    assert chosen == preview.rows[3].id

    win.attach(workspace)
    assert table.model() is win.infusions.model
    assert table.columnWidth(PATIENT) == 222 and header.sortIndicatorSection() == DATE
    assert table.current_id() == chosen


def test_after_first_paint_runs_once_the_rows_are_painted(qtbot: QtBot) -> None:
    table = RecordTable("probe")
    qtbot.addWidget(table)
    called: list[bool] = []
    table.after_first_paint(lambda: called.append(table.isVisible()))
    assert called == []
    table.show()
    qtbot.waitUntil(lambda: called == [True], timeout=FALLBACK_MS // 2)  # the paint, not the fallback
    table.viewport().repaint()
    qtbot.wait(20)
    assert called == [True]  # once only


def test_item_roles_are_qts() -> None:
    assert DISPLAY_ROLE == Qt.ItemDataRole.DisplayRole.value
    assert ALIGNMENT_ROLE == Qt.ItemDataRole.TextAlignmentRole.value
    assert USER_ROLE == Qt.ItemDataRole.UserRole.value
    vcenter = Qt.AlignmentFlag.AlignVCenter
    assert LEFT == (Qt.AlignmentFlag.AlignLeft | vcenter).value
    assert RIGHT == (Qt.AlignmentFlag.AlignRight | vcenter).value


FIRST_PAINT = """
import sys
import kettrack.ui.app as app
from PySide6 import QtCore

def report(line):
    if line.startswith("startup_ms"):
        print("qt_named=" + str("Qt" in QtCore.__dict__), flush=True)

app._report = report
sys.exit(app.run(sys.argv[1], quit_after_startup=True))
"""


def test_first_paint_never_names_the_qt_namespace(tmp_path: Path) -> None:
    """Naming ``Qt`` makes PySide6 build ~90 enum classes (~15 ms) before the rows show."""
    path = seed(tmp_path / "seeded.sqlite3", infusions=50, patients=5)
    result = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        # Its own settings folder: closing the window saves its geometry.
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "qt_named=False" in result.stdout, result.stdout
