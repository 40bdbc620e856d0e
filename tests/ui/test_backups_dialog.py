"""Backups in the window: back up now, check the database, restore (after a confirmation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kettrack.core.records import PatientRecord
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui import backups_dialog
from kettrack.ui.backups_dialog import BackupsDialog


def test_back_up_check_and_restore(
    qtbot: QtBot, workspace: Workspace, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_demo(workspace, claims=False)
    quits: list[bool] = []
    dialog = BackupsDialog(workspace, quit_app=lambda: quits.append(True))
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 0
    dialog.back_up()
    assert dialog.model.rowCount() == 1 and "verified" in dialog.status.text()
    dialog.check()
    assert "no problems found" in dialog.status.text()
    workspace.patients.add(PatientRecord("Added Later"))
    dialog.table.selectRow(0)
    monkeypatch.setattr(backups_dialog, "confirm", lambda *_args: True)
    monkeypatch.setattr(backups_dialog, "tell", lambda *_args: None)
    assert dialog.restore() and quits == [True]
    restored = Workspace.open(db_path)
    try:
        assert "Added Later" not in {p.legal_name for p in restored.patients.list()}
    finally:
        restored.close()
