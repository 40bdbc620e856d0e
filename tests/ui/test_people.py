"""The People tabs: add and edit with problems shown under their fields, delete (refused while in use)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.core.enums import ProviderKind
from kettrack.services.workspace import Workspace
from kettrack.ui import people as people_module
from kettrack.ui.changes import ChangeBus
from kettrack.ui.people import PeopleView


@pytest.fixture
def view(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> PeopleView:
    widget = PeopleView(workspace, bus)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_provider_with_invalid_npi_is_shown_inline(
    qtbot: QtBot, view: PeopleView, workspace: Workspace
) -> None:
    view.tabs.setCurrentWidget(view.pages["providers"])
    dialog = view.current.open_dialog(None)
    dialog.show()
    editor = dialog.errors
    qtbot.keyClicks(editor.fields["name"].widget, "Dana Reed")
    qtbot.keyClicks(editor.fields["npi"].widget, "1234567890")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    npi_error = editor.error_for("npi")
    assert npi_error.isVisible() and npi_error.text().startswith("NPI ")
    assert not editor.error_for("name").isVisible()
    assert workspace.providers.count() == 0

    editor.fields["npi"].widget.clear()
    qtbot.keyClicks(editor.fields["npi"].widget, "1234567893")  # the CMS example NPI
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert [p.npi for p in workspace.providers.list()] == ["1234567893"]
    assert view.current.model.rowCount() == 1


def test_add_edit_patient_and_coverage(
    qtbot: QtBot, view: PeopleView, workspace: Workspace, bus: ChangeBus
) -> None:
    tab = view.pages["patients"]
    dialog = tab.open_dialog(None)
    dialog.accept()  # empty name
    assert "Legal name is required" in dialog.errors.error_for("legal_name").text()
    qtbot.keyClicks(dialog.errors.fields["legal_name"].widget, "Ada Quill")
    qtbot.keyClicks(dialog.errors.fields["email"].widget, "not-an-email")
    qtbot.keyClicks(dialog.errors.fields["address.city"].widget, "Albany")
    dialog.accept()
    assert "is not an e-mail address" in dialog.errors.error_for("email").text()
    assert workspace.patients.count() == 0
    dialog.errors.fields["email"].widget.clear()
    dialog.accept()
    assert workspace.patients.count() == 1 and tab.model.rowCount() == 1

    tab.table.selectRow(0)
    edit = tab.open_dialog(workspace.patients.get(tab.table.current_id()))
    edit.errors.fields["phone"].set("555-0100-22")
    edit.accept()
    assert workspace.patients.list()[0].phone == "555-0100-22"
    assert workspace.patients.list()[0].address.city == "Albany"

    payer_tab = view.pages["payers"]
    payer = payer_tab.open_dialog(None)
    payer.errors.fields["name"].set("Blue Plan")
    payer.accept()
    coverage_tab = view.pages["coverages"]
    coverage = coverage_tab.open_dialog(None)  # patient and payer preselected
    coverage.accept()
    assert "Member ID is required" in coverage.errors.error_for("member_id").text()
    coverage.errors.fields["member_id"].set("XYZ123")
    coverage.accept()
    assert coverage_tab.model.rowCount() == 1
    assert coverage_tab.model.data(coverage_tab.model.index(0, 0)) == "Ada Quill"


def test_delete_in_use_explains_why(
    qtbot: QtBot,
    view: PeopleView,
    workspace: Workspace,
    people: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    told: list[str] = []
    monkeypatch.setattr(people_module, "confirm", lambda *args: True)
    monkeypatch.setattr(people_module, "tell", lambda parent, title, text: told.append(text))
    view.pages["providers"].refresh()
    tab = view.pages["providers"]
    view.tabs.setCurrentWidget(tab)
    clinic_row = tab.model.row_of(people["clinic"])
    tab.table.selectRow(clinic_row)
    view.delete_item()
    assert told and workspace.providers.get(people["clinic"]).kind is ProviderKind.ORGANIZATION

    tab.table.selectRow(tab.model.row_of(people["doc"]))
    view.delete_item()
    assert tab.model.row_of(people["doc"]) == -1
