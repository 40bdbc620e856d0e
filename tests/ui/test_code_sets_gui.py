"""Code sets by date in the window: the session form completes and checks diagnoses against the
release in force on its date of service (the replacement codes named), a date past the newest release
gets the warning beside the diagnoses, and the status bar says which release to load, with a button
that loads it (the warning then goes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from kettrack.core.icd10 import Icd10Index
from kettrack.services import code_sets
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.infusion_dialog import InfusionDialog
from kettrack.ui.main_window import INFUSIONS, MainWindow
from tests.code_sets_kit import write_order_file

FORM_WARNING = (
    "Sessions after 2026-09-30 are checked against FY2026 codes: load the FY2027 release with "
    "Load ICD-10-CM release… in the status bar"
)
BAR_WARNING = "Sessions after 2026-09-30 are checked against FY2026 codes: load the FY2027 release"


@pytest.fixture(scope="module")
def order_file(tmp_path_factory: pytest.TempPathFactory, icd10: Icd10Index) -> Path:
    return write_order_file(icd10, tmp_path_factory.mktemp("gui-release"))


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus, people: dict[str, int]) -> MainWindow:
    win = MainWindow(workspace, bus)
    qtbot.addWidget(win)
    win.show()
    win.show_section(INFUSIONS)
    return win


def _new_session(win: MainWindow, day: date, patient: int) -> InfusionDialog:
    dialog = win.infusions.open_dialog(None)
    assert isinstance(dialog, InfusionDialog)
    dialog.patient.set(patient)
    dialog.service_date.edit.setDate(QDate(day.year, day.month, day.day))
    return dialog


def _save(qtbot: QtBot, dialog: InfusionDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)


def _completions(dialog: InfusionDialog, prefix: str) -> list[str]:
    rows = dialog.diagnoses.completer.model().stringList()  # type: ignore[attr-defined]
    return [r.split(" — ")[0] for r in rows if r.startswith(prefix)]


def test_the_form_follows_the_release_of_the_date_of_service(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, people: dict[str, int], order_file: Path
) -> None:
    code_sets.load_icd10_release(workspace, order_file)
    window.bus.announce("billing")
    # September: FY2026 applies; F32.A is billable, its FY2027 children are not codes yet.
    dialog = _new_session(window, date(2026, 9, 15), people["ada"])
    assert _completions(dialog, "F32.A") == ["F32.A"]
    assert not dialog.diagnoses.status.isVisible()
    qtbot.keyClicks(dialog.diagnoses.entry, "F32.A")
    qtbot.mouseClick(dialog.diagnoses.add_button, Qt.MouseButton.LeftButton)
    _save(qtbot, dialog)
    assert not dialog.isVisible() and workspace.infusions.count() == 1

    # November: FY2027 applies; the completer offers the children, and F32.A is named with them.
    dialog = _new_session(window, date(2026, 11, 2), people["ada"])
    assert _completions(dialog, "F32.A") == ["F32.A1", "F32.A2"]
    qtbot.keyClicks(dialog.diagnoses.entry, "F32.A")
    assert dialog.diagnoses.status.isVisible()
    assert dialog.diagnoses.status.text() == (
        "F32.A is no longer billable from 2026-10-01 (FY2027): it was split into F32.A1 or F32.A2"
    )
    qtbot.mouseClick(dialog.diagnoses.add_button, Qt.MouseButton.LeftButton)
    _save(qtbot, dialog)
    error = dialog.form.error_for("diagnoses")
    assert error.isVisible() and "it was split into F32.A1 or F32.A2" in error.text()
    assert workspace.infusions.count() == 1 and dialog.isVisible()
    # Moving the date back to September makes the same code right again.
    dialog.service_date.edit.setDate(QDate(2026, 9, 20))
    assert "no longer billable" not in dialog.diagnoses.codes.stringList()[0]
    _save(qtbot, dialog)
    assert workspace.infusions.count() == 2


def test_a_date_past_the_newest_release_warns_and_the_status_bar_loads_the_next(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, people: dict[str, int], order_file: Path
) -> None:
    notice = window.code_set_notice
    assert notice.isVisible() and notice.label.text() == BAR_WARNING  # today (2026-11-23) is past FY2026
    dialog = _new_session(window, date(2026, 11, 2), people["ada"])
    assert dialog.diagnoses.status.isVisible() and dialog.diagnoses.status.text() == FORM_WARNING
    dialog.service_date.edit.setDate(QDate(2026, 9, 2))
    assert not dialog.diagnoses.status.isVisible()
    dialog.reject()

    notice.load(order_file)  # what the button does with the file the person picked
    assert window.statusBar().currentMessage() == "ICD-10-CM FY2027 loaded: 74,721 billable codes"
    assert not notice.isVisible()
    assert [r.label for r in workspace.icd10().releases] == ["FY2026", "FY2027"]
    dialog = _new_session(window, date(2026, 11, 2), people["ada"])
    assert not dialog.diagnoses.status.isVisible()
    window.grab().save(str(Path(order_file).parent / "after-load.png"))


def test_a_bad_file_from_the_status_bar_is_refused_in_words(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    bad = tmp_path / "icd10cm_order_2027.txt"
    bad.write_text("F4310   PTSD\n")
    window.code_set_notice.load(bad)
    said = window.code_set_notice.label.text()
    assert "holds 1 billable codes" in said and "nothing was loaded" in said
    assert window.code_set_notice.isVisible() and window.code_set_notice.button.isEnabled()
    assert [r.label for r in workspace.icd10().releases] == ["FY2026"]
