"""The audit log window lists entries newest first, filters by action, and verifies the log with the
same verdict as ``kettrack audit verify`` (chain, seals, anchors)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui.audit_view import AuditDialog
from kettrack.ui.changes import ChangeBus
from kettrack.ui.main_window import MainWindow
from tests.store.test_audit_anchor import rewrite_from


def test_audit_window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    opened = window.show_audit_log()
    assert isinstance(opened, AuditDialog)
    opened.reject()
    dialog = AuditDialog(workspace, parent=window)
    records = dialog.model.records
    assert records[0].sequence > records[-1].sequence
    dialog.action.setCurrentIndex(dialog.action.findData("issue"))
    assert {e.action for e in dialog.model.records} == {"issue"}
    dialog.verify()
    assert "intact" in dialog.verdict.text()


def test_the_window_gives_the_same_verdict_as_the_command(qtbot: QtBot, workspace: Workspace) -> None:
    fill_demo(workspace, claims=False)
    dialog = AuditDialog(workspace)
    qtbot.addWidget(dialog)
    dialog.verify()
    shown = dialog.verdict.text()
    assert "intact" in shown and "seals: every entry sealed with this database's key" in shown
    assert "the anchor kept in" in shown
    path = workspace.db.target.sqlite_path
    assert path is not None
    rewrite_from(path, 4, "nothing happened")
    dialog.verify()
    shown = dialog.verdict.text()
    assert (
        shown.startswith("the audit log is broken")
        and "entry 4 was rewritten (its seal does not match)" in shown
    )
    assert "#b71c1c" in dialog.verdict.styleSheet() and dialog.verify_button.isEnabled()
