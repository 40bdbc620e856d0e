"""The Infusions view in the main window: add with a bad field (shown inline, nothing saved), fix
and save, edit, delete with confirmation, filters, and sorting by a header click."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kettrack.services.workspace import Workspace
from kettrack.ui import infusion_dialog, infusions
from kettrack.ui.changes import ChangeBus
from kettrack.ui.infusion_dialog import InfusionDialog
from kettrack.ui.infusions import DATE, PATIENT
from kettrack.ui.main_window import INFUSIONS, PEOPLE, MainWindow
from tests.ui.conftest import make_sessions


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus, people: dict[str, int]) -> MainWindow:
    win = MainWindow(workspace, bus)
    qtbot.addWidget(win)
    win.show()
    win.show_section(INFUSIONS)  # the window opens on the Dashboard
    return win


def _texts(win: MainWindow, column: int) -> list[str]:
    model = win.infusions.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def _open_new(win: MainWindow) -> InfusionDialog:
    dialog = win.infusions.open_dialog(None)
    assert isinstance(dialog, InfusionDialog)
    return dialog


def test_add_shows_problem_next_to_field_then_saves(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, people: dict[str, int]
) -> None:
    dialog = _open_new(window)
    dialog.patient.set(people["ada"])
    qtbot.keyClicks(dialog.dose.edit, "35")
    qtbot.keyClicks(dialog.weight.edit, "70")
    assert dialog.per_kg.text() == "= 0.500 mg/kg"
    qtbot.keyClicks(dialog.diagnoses.entry, "F43.1")
    qtbot.keyClick(dialog.diagnoses.entry, Qt.Key.Key_Return)
    assert dialog.diagnoses.chosen() == ["F43.1"]
    row = dialog.payments.add_payment()
    dialog.payments.set_cell(row, 1, "450.00")

    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    error = dialog.form.error_for("diagnoses")
    assert error.isVisible()
    assert "F43.1 is not a billable code" in error.text() and "F43.10" in error.text()
    assert not dialog.form.top_errors.isVisible()
    assert workspace.infusions.count() == 0
    assert dialog.isVisible()

    # Fix it: remove the category, add a billable code picked from the completer's text form.
    dialog.diagnoses.list.setCurrentIndex(dialog.diagnoses.codes.index(0))
    qtbot.mouseClick(dialog.diagnoses.remove_button, Qt.MouseButton.LeftButton)
    # QTest types ASCII only: put the completer's "code — description" form in directly.
    dialog.diagnoses.entry.setText("F43.10 — Post-traumatic stress disorder, unspecified")
    qtbot.mouseClick(dialog.diagnoses.add_button, Qt.MouseButton.LeftButton)
    assert dialog.diagnoses.chosen() == ["F43.10"]
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    assert workspace.infusions.count() == 1
    saved = workspace.infusions.get(workspace.infusions.ids()[0])
    assert saved.diagnoses == ("F43.10",) and str(saved.payments[0].amount) == "450.00"
    assert _texts(window, PATIENT) == ["Ada Quill"]
    assert window.infusions.count.text().startswith("1 ")


def test_bad_payment_amount_is_shown_under_payments(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, people: dict[str, int]
) -> None:
    dialog = _open_new(window)
    dialog.patient.set(people["bo"])
    row = dialog.payments.add_payment()
    dialog.payments.set_cell(row, 1, "12.345")
    qtbot.keyClicks(dialog.dose.edit, "abc")
    dialog.accept()
    error = dialog.form.error_for("payments")
    assert error.isVisible() and "Payment 1 amount has more than 2 decimal places" in error.text()
    assert "is not a number" in dialog.form.error_for("dose_mg").text()
    dialog.dose.edit.clear()
    assert workspace.infusions.count() == 0
    dialog.payments.set_cell(row, 1, "12.35")
    dialog.accept()
    assert workspace.infusions.count() == 1


def test_store_problem_goes_to_its_field(qtbot: QtBot, window: MainWindow, workspace: Workspace) -> None:
    dialog = _open_new(window)
    dialog.start_time.set(__import__("datetime").time(10, 0))
    dialog.accept()
    assert "Give both the start and the end time" in dialog.form.error_for("end_time").text()
    assert workspace.infusions.count() == 0


def test_duplicate_asks_first(
    qtbot: QtBot,
    window: MainWindow,
    workspace: Workspace,
    people: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_sessions(workspace, [people["ada"]], 1, start=date(2026, 11, 23))
    asked: list[str] = []
    monkeypatch.setattr(infusion_dialog, "confirm", lambda parent, title, text: asked.append(text) or False)
    dialog = _open_new(window)
    dialog.patient.set(people["ada"])
    dialog.drug.set(__import__("kettrack.core.enums", fromlist=["Drug"]).Drug.ESKETAMINE)
    dialog.accept()
    assert asked and "already exists" in asked[0]
    assert workspace.infusions.count() == 1 and dialog.isVisible()


def test_edit_and_delete(
    qtbot: QtBot,
    window: MainWindow,
    workspace: Workspace,
    people: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_sessions(workspace, [people["ada"], people["bo"]], 4)
    window.bus.announce("infusion")
    view = window.infusions
    assert view.model.rowCount() == 4
    view.table.selectRow(0)
    target = view.table.current_id()
    # A double-click on the row opens one edit dialog for it.
    rect = view.table.visualRect(view.model.index(0, PATIENT))
    # QTest's double-click lacks the press a real one starts with; the view needs it to know the row.
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    opened = [d for d in view.findChildren(InfusionDialog) if d.isVisible()]
    assert len(opened) == 1 and opened[0].original is not None and opened[0].original.id == target
    opened[0].reject()
    dialog = view.open_dialog(target)
    assert isinstance(dialog, InfusionDialog)
    dialog.notes.edit.setPlainText("Felt lighter afterwards")
    dialog.dose.edit.setText("42.5")
    dialog.accept()
    assert not dialog.isVisible()
    assert workspace.infusions.get(target).notes == "Felt lighter afterwards"
    assert view.table.current_id() == target  # selection survives the refresh
    assert view.model.data(view.model.index(0, infusions.DOSE)) == "42.50"

    questions: list[str] = []
    monkeypatch.setattr(infusions, "confirm", lambda parent, title, text: questions.append(text) or True)
    window.delete_action.trigger()
    assert "2026-01-04" in questions[0] and "Bo Marsh" in questions[0]
    assert workspace.infusions.count() == 3 and view.model.rowCount() == 3

    monkeypatch.setattr(infusions, "confirm", lambda parent, title, text: False)
    view.table.selectRow(0)
    view.delete_item()
    assert workspace.infusions.count() == 3


def test_filters_and_sorting(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, people: dict[str, int]
) -> None:
    make_sessions(workspace, [people["ada"], people["bo"]], 40)
    window.bus.announce("infusion")
    view = window.infusions
    assert view.model.rowCount() == 40

    view.patient.setCurrentIndex(view.patient.findData(people["bo"]))
    qtbot.waitUntil(lambda: view.model.rowCount() == 20, timeout=2000)
    assert set(_texts(window, PATIENT)) == {"Bo Marsh"}

    view.date_from.set_value(date(2026, 1, 10))
    view.date_to.set_value(date(2026, 1, 20))
    view.apply_filter()
    assert sorted(_texts(window, DATE)) == [f"2026-01-{d}" for d in (10, 12, 14, 16, 18, 20)]

    view.patient.setCurrentIndex(0)
    view.date_from.set_value(None)
    view.date_to.set_value(None)
    qtbot.keyClicks(view.text, "marker")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=2000)
    assert _texts(window, DATE) == ["2026-01-08"]
    view.text.clear()
    view.apply_filter()
    assert view.model.rowCount() == 40

    # Click the Patient header: ascending by name; again: descending.
    header = view.table.horizontalHeader()
    point = QPoint(header.sectionViewportPosition(PATIENT) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    names = _texts(window, PATIENT)
    order = header.sortIndicatorOrder()
    assert names == sorted(names, reverse=order == Qt.SortOrder.DescendingOrder)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert header.sortIndicatorOrder() != order
    assert _texts(window, PATIENT) == sorted(
        names, reverse=header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    )


def test_window_shows_location_and_keeps_header_state(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, people: dict[str, int]
) -> None:
    win = MainWindow(workspace, bus)
    qtbot.addWidget(win)
    assert str(workspace.db.info().location) in win.location.text()
    win.infusions.table.setColumnWidth(PATIENT, 333)
    win.close()
    again = MainWindow(workspace, bus)
    qtbot.addWidget(again)
    assert again.infusions.table.columnWidth(PATIENT) == 333
    again.show_section(PEOPLE)
    assert again.stack.currentWidget() is again.people
    QApplication.processEvents()


def test_code_list_loads_off_the_gui_thread(qtbot: QtBot, db_path, bus: ChangeBus, icd10) -> None:  # type: ignore[no-untyped-def]
    import os
    from pathlib import Path

    from tests.conftest import TODAY

    # A workspace that has not loaded the index yet: the dialog opens at once and fills the completer
    # when the worker reports back (from the session's cache folder, so quickly).
    fresh = Workspace.open(db_path, icd_cache=Path(os.environ["KETTRACK_CACHE_DIR"]), today=lambda: TODAY)
    try:
        assert not fresh.icd10_loaded
        dialog = InfusionDialog(fresh, bus)
        qtbot.addWidget(dialog)
        assert dialog.diagnoses.completer.model().rowCount() == 0
        qtbot.waitUntil(lambda: dialog.diagnoses.completer.model().rowCount() > 70_000, timeout=20_000)
        # The "loading" line is gone; what shows is that today lies past the newest release loaded.
        assert dialog.diagnoses.status.text().startswith("Sessions after 2026-09-30 are checked against")
        dialog.diagnoses.set_chosen(["F33.2"])
        assert dialog.diagnoses.codes.stringList()[0].startswith("F33.2 — Major depressive disorder")
    finally:
        fresh.close()
