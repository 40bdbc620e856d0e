"""The window's log file: a demo session in the window (open it, open a claim, issue a superbill, one
refused save and one unexpected error whose message quotes a patient) on the real database worker,
then the log says what was done, how long it took and which failures happened, and holds no patient's
name and no member ID. The folder is owner-only, and so is every file in it."""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui import errors, logs
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_detail import ClaimWindow
from kettrack.ui.main_window import INFUSIONS, PEOPLE, MainWindow
from kettrack.ui.operations import Pool, query
from kettrack.ui.superbill_dialog import SuperbillDialog


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    logs.stop()  # another test may have started the window (and its log) in this process
    folder = tmp_path / "logs" / "kettrack"
    logs.start(folder)
    yield folder
    logs.stop()


def _private(words: list[str]) -> list[str]:
    return [w for w in words if len(w.strip(".")) >= 3]


def test_a_window_session_logs_operations_and_no_patient_data(
    qtbot: QtBot,
    workspace: Workspace,
    bus: ChangeBus,
    database_worker: Pool,
    log_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_demo(workspace)
    names = [p.legal_name for p in workspace.patients.list()]
    member_ids = [c.member_id for c in workspace.coverages.list()]
    assert names and member_ids
    secrets = names + _private([w for name in names for w in name.split()]) + member_ids

    # The window, its first rows and the dashboard, all read on the worker.
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    window.show()
    window.show_section(INFUSIONS)
    view = window.infusions
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and view.patient.count() > 1, timeout=10_000)

    # A claim opens in its own window.
    claim_id = workspace.claim_views.rows()[0].id
    claim = window.open_claim(claim_id)
    assert isinstance(claim, ClaimWindow)
    qtbot.addWidget(claim)
    qtbot.waitUntil(lambda: claim.detail is not None, timeout=10_000)
    assert any(name in claim.header.text() for name in names)  # the window does show patient data

    # A superbill for the newest session, issued through the dialog.
    view.table.selectRow(0)
    view.superbill_button.click()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in view.findChildren(SuperbillDialog)), timeout=10_000)
    dialog = next(d for d in view.findChildren(SuperbillDialog) if d.isVisible())
    qtbot.addWidget(dialog)
    qtbot.waitUntil(
        lambda: dialog.issue_button.isEnabled() or dialog.draft_button.isEnabled(), timeout=10_000
    )
    issue = dialog.issue_button if dialog.issue_button.isEnabled() else dialog.draft_button
    qtbot.mouseClick(issue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.issued is not None, timeout=20_000)

    # A save the store refuses: the typed e-mail (a patient's name) is said next to its field only.
    window.show_section(PEOPLE)
    tab = window.people.pages["patients"]  # type: ignore[attr-defined]
    patient = workspace.patients.list()[0]
    editor = tab.open_dialog(patient)
    qtbot.addWidget(editor)
    editor.show()
    editor.errors.fields["email"].set(patient.legal_name)
    editor.accept()
    qtbot.waitUntil(lambda: editor.errors.error_for("email").isVisible(), timeout=10_000)
    editor.reject()

    # An unexpected failure whose message quotes a patient and a member ID.
    errors.reporter.make_relay()
    monkeypatch.setattr(sys, "excepthook", errors._excepthook)

    def fail() -> None:
        raise RuntimeError(f"{names[0]} ({member_ids[0]}) could not be read")

    query(window, fail, what="read something")
    qtbot.waitUntil(lambda: errors.reporter.dialog is not None, timeout=10_000)
    assert errors.reporter.dialog is not None
    errors.reporter.dialog.reject()

    database_worker.waitForDone()
    files = sorted(log_dir.glob("kettrack.log*"))
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    for what in ("sort sessions", "open claim", "issue superbill", "save patient", "read something"):
        assert what in text, what
    assert "failed after" in text and "InvalidInput" in text and "RuntimeError" in text
    assert "unexpected error" in text and ", in fail" in text
    found = [secret for secret in secrets if secret.lower() in text.lower()]
    assert found == []

    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_the_log_rotates_owner_only(log_dir: Path) -> None:
    import logging

    record = "x" * 1000
    for _ in range(logs.MAX_BYTES // 1000 + 50):
        logging.getLogger("kettrack.test").info(record)
    files = sorted(log_dir.glob("kettrack.log*"))
    assert [f.name for f in files] == ["kettrack.log", "kettrack.log.1"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert files[1].stat().st_size <= logs.MAX_BYTES


def test_the_log_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(logs.LOG_DIR_VARIABLE, str(tmp_path / "elsewhere"))
    assert logs.log_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(logs.LOG_DIR_VARIABLE)
    from platformdirs import user_log_dir

    assert logs.log_dir() == Path(user_log_dir("kettrack", appauthor=False))
