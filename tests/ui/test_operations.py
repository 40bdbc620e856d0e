"""The operation helper on its real database worker (one thread, not the test's): a write runs off the
GUI thread and announces what changed, work is serialized, a failure comes back in words (next to its
field, or in a box naming it), a widget closed meanwhile is not called back, and a write refused by a
read-only database is said so. The rest of the window's tests run the same helper inline."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.problems import InvalidInput
from kettrack.core.records import PatientRecord
from kettrack.services.opening import open_database
from kettrack.services.workspace import Workspace
from kettrack.ui import changes, operations
from kettrack.ui.changes import ChangeBus
from kettrack.ui.operations import Pool, change, query
from kettrack.ui.people import PeopleView


def test_the_database_worker_is_one_thread(database_worker: Pool) -> None:
    assert database_worker.maxThreadCount() == 1  # type: ignore[attr-defined]


def test_a_write_runs_off_the_gui_thread_and_announces_what_changed(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, owner: QWidget, database_worker: Pool
) -> None:
    ran_on: list[threading.Thread] = []
    saved: list[int] = []

    def add() -> int:
        ran_on.append(threading.current_thread())
        added = workspace.patients.add(PatientRecord(legal_name="Ada Quill")).id
        assert added is not None
        return added

    with qtbot.waitSignal(bus.changed, timeout=5000) as announced:
        operation = change(owner, add, saved.append, what="add patient", bus=bus, changes=(changes.PATIENT,))
        assert not operation.done  # nothing is delivered before the event loop runs
    assert announced.args == [frozenset({changes.PATIENT})]
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    assert ran_on[0] is not threading.main_thread()
    assert operation.succeeded and operation.result == saved[0]
    assert workspace.patients.get(saved[0]).legal_name == "Ada Quill"


def test_database_work_is_serialized(owner: QWidget, database_worker: Pool) -> None:
    spans: list[tuple[float, float]] = []

    def slow() -> None:
        started = time.perf_counter()
        time.sleep(0.15)
        spans.append((started, time.perf_counter()))

    for _ in range(3):
        query(owner, slow, what="wait a while")
    assert database_worker.waitForDone(5000)
    spans.sort()
    assert len(spans) == 3
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False))


def test_a_problem_found_on_the_worker_shows_next_to_its_field(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, database_worker: Pool
) -> None:
    view = PeopleView(workspace, bus)
    qtbot.addWidget(view)
    dialog = view.pages["patients"].open_dialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.errors.fields["legal_name"].widget, "Ada Quill")
    qtbot.keyClicks(dialog.errors.fields["email"].widget, "not-an-email")
    dialog.accept()
    assert not dialog.buttons.isEnabled()  # saving: Save waits for the worker
    error = dialog.errors.error_for("email")
    qtbot.waitUntil(error.isVisible, timeout=5000)
    assert "is not an e-mail address" in error.text()
    assert dialog.isVisible() and dialog.buttons.isEnabled() and workspace.patients.count() == 0

    dialog.errors.fields["email"].widget.clear()
    with qtbot.waitSignal(bus.changed, timeout=5000):
        dialog.accept()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert [p.legal_name for p in workspace.patients.list()] == ["Ada Quill"]
    qtbot.waitUntil(lambda: view.pages["patients"].model.rowCount() == 1, timeout=5000)


def test_a_widget_closed_meanwhile_is_not_called_back(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, database_worker: Pool
) -> None:
    doomed = QWidget()
    release = threading.Event()
    called: list[object] = []

    def add() -> int | None:
        release.wait(5)
        return workspace.patients.add(PatientRecord(legal_name="Bo Marsh")).id

    with qtbot.waitSignal(bus.changed, timeout=5000) as announced:
        change(doomed, add, called.append, what="add patient", bus=bus, changes=(changes.PATIENT,))
        shiboken6.delete(doomed)  # closed (and deleted) while the work runs
        release.set()
    # The write happened, and the other views hear of it; the closed widget is not called.
    assert announced.args == [frozenset({changes.PATIENT})]
    assert called == [] and workspace.patients.count() == 1


def test_invalid_input_without_a_form_names_the_field(
    owner: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(operations, "tell", lambda parent, title, text: told.append((title, text)))

    def refuse() -> None:
        raise InvalidInput.single("member_id", "is required")

    operation = change(owner, refuse, what="save coverage")  # inline here, as in the other tests
    assert operation.done and not operation.succeeded and operation.error is InvalidInput
    assert told == [("Not saved", "Member id: is required")]


def test_a_write_refused_by_a_read_only_database_is_said_in_words(
    owner: QWidget, db_path: Path, bus: ChangeBus, monkeypatch: pytest.MonkeyPatch, icd10
) -> None:  # type: ignore[no-untyped-def]
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(operations, "tell", lambda parent, title, text: told.append((title, text)))
    ws = Workspace(open_database(db_path, read_only=True))
    ws._icd = Icd10Releases([icd10])
    try:
        done: list[object] = []
        change(
            owner,
            lambda: ws.patients.add(PatientRecord(legal_name="Ada Quill")),
            done.append,
            what="add patient",
            bus=bus,
            changes=(changes.PATIENT,),
        )
        # Said in words (no "unexpected error": pytest-qt would fail this test on one), nothing saved.
        assert done == []
        assert told == [("Read-only", "This database is open read-only: nothing can be changed here.")]
        assert ws.patients.count() == 0
    finally:
        ws.close()


def test_only_the_driver_s_code_makes_a_refusal_read_only() -> None:
    import sqlite3

    from kettrack.services.read_only import refused_as_read_only

    worded = RuntimeError("attempt to write a readonly database")  # the words alone do not count
    assert not refused_as_read_only(worded)
    coded = sqlite3.OperationalError("attempt to write a readonly database")
    coded.sqlite_errorcode = sqlite3.SQLITE_READONLY  # type: ignore[attr-defined]
    try:
        try:
            raise coded
        except sqlite3.OperationalError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert refused_as_read_only(wrapped)


def test_the_first_run_assistant_moves_on_once_each_page_is_saved(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, database_worker: Pool
) -> None:
    from PySide6.QtWidgets import QWizard

    from kettrack.core.enums import UserRole
    from kettrack.ui.first_run import FirstRunWizard

    wizard = FirstRunWizard(workspace, bus)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(wizard.role_page.buttons[UserRole.PATIENT].isChecked, timeout=5000)
    wizard.role_page.buttons[UserRole.CLINIC].setChecked(True)
    wizard.next()  # the role is saved first; the page moves on when the worker says so
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.protect_page, timeout=5000)
    wizard.next()
    assert wizard.currentPage() is wizard.patient_page
    qtbot.keyClicks(wizard.patient_page.editor.fields["legal_name"].widget, "Ada Quill")
    wizard.next()
    assert wizard.currentPage() is wizard.patient_page  # still saving
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.provider_page, timeout=5000)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CustomButton1), Qt.MouseButton.LeftButton)
    plan = wizard.plan_page
    assert wizard.currentPage() is plan
    qtbot.keyClicks(plan.payer.fields["name"].widget, "Blue Plan")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    member = plan.coverage.error_for("member_id")
    qtbot.waitUntil(lambda: "Member ID is required" in member.text(), timeout=5000)
    qtbot.keyClicks(plan.coverage.fields["member_id"].widget, "XYZ123")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=5000)
    assert workspace.settings.first_run_done() and workspace.settings.role() is UserRole.CLINIC
    assert [p.name for p in workspace.payers.list()] == ["Blue Plan"]
    assert [c.member_id for c in workspace.coverages.list()] == ["XYZ123"]
