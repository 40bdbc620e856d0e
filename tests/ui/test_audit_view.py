"""The audit log window lists entries newest first, filters by action and verifies the chain."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kettrack.store.demo import fill_demo
from kettrack.store.workspace import Workspace
from kettrack.ui.audit_view import AuditDialog
from kettrack.ui.changes import ChangeBus
from kettrack.ui.main_window import MainWindow
from kettrack.ui.workers import Workers


def test_audit_window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    opened = window.show_audit_log()
    assert isinstance(opened, AuditDialog)
    opened.reject()
    dialog = AuditDialog(workspace, workers=Workers(synchronous=True), parent=window)
    records = dialog.model.records
    assert records[0].sequence > records[-1].sequence
    dialog.action.setCurrentIndex(dialog.action.findData("issue"))
    assert {e.action for e in dialog.model.records} == {"issue"}
    dialog.verify()
    assert "intact" in dialog.result.text()
