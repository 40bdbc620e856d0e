"""Billing set-up in the window: a fee set through the Fee schedules tab (a bad amount is refused
inline first), a code added and retired in the Codes tab, and a session's service lines edited in
the lines dialog (a bad line is refused and marked; a session on an issued superbill refuses)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from kettrack.core.codes import CodeKind
from kettrack.core.enums import ProviderKind
from kettrack.core.records import ProviderRecord
from kettrack.services.demo import DemoSummary, fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui import billing, changes
from kettrack.ui.billing import BillingView, FeeDialog, RetireDialog
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import RecordDialog
from kettrack.ui.main_window import BILLING, MainWindow
from kettrack.ui.service_lines_dialog import (
    CODE,
    DESCRIPTION,
    NDC,
    NDC_UNIT,
    QUANTITY,
    UNITS,
    ServiceLinesDialog,
)
from kettrack.ui.workers import Workers


@pytest.fixture
def view(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> BillingView:
    billing = BillingView(workspace, bus, workers=Workers(synchronous=True))
    qtbot.addWidget(billing)
    billing.show()
    return billing


@pytest.fixture
def demo(workspace: Workspace) -> DemoSummary:
    return fill_demo(workspace, claims=False)


def _column(model: object, column: int) -> list[str]:
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]  # type: ignore[attr-defined]


def _type(qtbot: QtBot, edit: object, text: str) -> None:
    edit.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(edit, text)


def test_set_a_fee_refuses_a_bad_amount_inline(
    qtbot: QtBot, workspace: Workspace, people: dict[str, int], view: BillingView
) -> None:
    tab = view.fees
    view.bus.announce(changes.PROVIDER)  # the providers were added after the view was built
    tab.select_provider(people["doc"])
    assert tab.model.rowCount() == 0
    dialog = tab.open_dialog(None)
    assert isinstance(dialog, FeeDialog)
    qtbot.addWidget(dialog)
    _type(qtbot, dialog.code, "96365")
    assert "first hour" in dialog.description.text()
    _type(qtbot, dialog.amount, "12.345")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    error = dialog.form.error_for("amount")
    assert error.isVisibleTo(dialog) and "2 decimal places" in error.text()
    assert dialog.isVisible() and workspace.fees.for_provider(people["doc"]) == {}

    _type(qtbot, dialog.amount, "450")
    with qtbot.waitSignal(view.bus.changed):
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert workspace.fees.for_provider(people["doc"]) == {"96365": (Decimal("450.00"), "")}
    assert _column(tab.model, 0) == ["96365"] and _column(tab.model, 2) == ["$450.00"]
    # The clinic's schedule is another one, still empty.
    tab.select_provider(people["clinic"])
    assert tab.model.rowCount() == 0


def test_add_a_code_and_retire_it(qtbot: QtBot, workspace: Workspace, view: BillingView) -> None:
    tab = view.codes
    view.tabs.setCurrentWidget(tab)
    assert tab.icd.text().startswith("ICD-10-CM releases (each checks the sessions of its own dates): ")
    assert "FY2026: 2025-10-01 to 2026-09-30, 74,719 codes" in tab.icd.text()
    # Today (2026-11-23) is past FY2026: the section says which release to load, and how in the window.
    assert "load the FY2027 release with Load ICD-10-CM release… in the status bar" in tab.icd.text()

    dialog = tab.new_item()
    qtbot.addWidget(dialog)
    editor = dialog.errors
    _type(qtbot, editor.fields["code"].widget, "99999x")  # type: ignore[attr-defined]
    dialog.accept()
    assert "not a CPT" in editor.error_for("code").text()
    assert "description" in editor.error_for("description").text().lower()
    _type(qtbot, editor.fields["code"].widget, "96376")  # type: ignore[attr-defined]
    _type(qtbot, editor.fields["description"].widget, "Each further push of the same drug")  # type: ignore[attr-defined]
    dialog.accept()
    assert not dialog.isVisible()
    entry = workspace.codes.catalog().get("96376")
    assert entry is not None and entry.kind is CodeKind.ADMINISTRATION and entry.effective_to is None

    tab.select_code("96376")
    retire = tab.retire_item()
    assert isinstance(retire, RetireDialog)
    qtbot.addWidget(retire)
    retire.last_day.set(date(2026, 10, 31))
    _type(qtbot, retire.replacement, "96375")
    retire.accept()
    assert not retire.isVisible()
    entry = workspace.codes.catalog().get("96376")
    assert entry is not None and entry.effective_to == date(2026, 10, 31) and entry.replaced_by == "96375"
    row = next(r for r, c in enumerate(tab.model.records) if c.code == "96376")
    assert tab.model.data(tab.model.index(row, 5)) == "2026-10-31"
    assert tab.model.data(tab.model.index(row, 6)) == "96375"
    grey = QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert tab.model.data(tab.model.index(row, 0), Qt.ItemDataRole.ForegroundRole) == grey
    active = next(r for r, c in enumerate(tab.model.records) if c.code == "96365")
    assert tab.model.data(tab.model.index(active, 0), Qt.ItemDataRole.ForegroundRole) is None


def _lines_dialog(qtbot: QtBot, window: MainWindow, infusion_id: int) -> ServiceLinesDialog:
    view = window.infusions
    window.bus.announce(changes.INFUSION)  # the demo was filled after the window was built
    view.table.selectRow(view.model.row_of(infusion_id))
    qtbot.mouseClick(view.lines_button, Qt.MouseButton.LeftButton)
    dialog = next(d for d in view.findChildren(ServiceLinesDialog) if d.isVisible())
    qtbot.addWidget(dialog)
    return dialog


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus, demo: DemoSummary) -> MainWindow:
    win = MainWindow(workspace, bus)
    qtbot.addWidget(win)
    win.show()
    return win


def test_lines_dialog_edits_and_saves_the_proposal(
    qtbot: QtBot, window: MainWindow, workspace: Workspace
) -> None:
    infusion_id = workspace.infusions.ids()[0]
    assert workspace.service_lines.for_infusion(infusion_id) == []
    dialog = _lines_dialog(qtbot, window, infusion_id)
    proposal = workspace.service_lines.propose(infusion_id)
    assert _column(dialog.model, CODE) == [line.code for line in proposal.lines]
    assert "not saved yet" in dialog.summary.text()
    assert dialog.warnings.isVisibleTo(dialog) == bool(proposal.warnings)

    dialog.model.setData(dialog.model.index(0, UNITS), "0")
    dialog.accept()
    assert dialog.isVisible() and workspace.service_lines.for_infusion(infusion_id) == []
    assert dialog.problems.isVisibleTo(dialog) and "Line 1, units" in dialog.problems.text()
    assert dialog.model.data(dialog.model.index(0, CODE), Qt.ItemDataRole.BackgroundRole) is not None
    assert dialog.model.data(dialog.model.index(1, CODE), Qt.ItemDataRole.BackgroundRole) is None

    dialog.model.setData(dialog.model.index(0, UNITS), "1")
    with qtbot.waitSignal(window.bus.changed) as announced:
        dialog.accept()
    assert announced.args == [frozenset({changes.BILLING})]
    saved = workspace.service_lines.for_infusion(infusion_id)
    assert [line.code for line in saved] == [line.code for line in proposal.lines]
    assert saved[0].units == 1

    # Opened again it shows the saved lines; a line added without a code is refused on its own row.
    again = ServiceLinesDialog(workspace, window.bus, infusion_id)
    qtbot.addWidget(again)
    assert "Saved lines" in again.summary.text() and again.model.rowCount() == len(saved)
    again.add_line()
    again.accept()
    assert f"Line {len(saved) + 1}, code" in again.problems.text()
    # A code brings its description along; an NDC brings the unit and the session's dose as quantity.
    row = again.model.rowCount() - 1
    again.model.setData(again.model.index(row, CODE), "j3490")
    assert "ketamine" in again.model.data(again.model.index(row, DESCRIPTION))
    again.model.setData(again.model.index(row, NDC), "12345-0678-10")
    dose = workspace.infusions.get(infusion_id).dose_mg
    assert again.model.data(again.model.index(row, NDC_UNIT)) == "ME"
    assert Decimal(again.model.data(again.model.index(row, QUANTITY))) == dose
    again.remove_line()
    again.reset_to_proposal()
    assert again.model.rowCount() == len(proposal.lines) and not again.problems.isVisibleTo(again)


def test_lines_on_an_issued_superbill_cannot_be_saved(
    qtbot: QtBot, window: MainWindow, workspace: Workspace
) -> None:
    from kettrack.services.superbills import SuperbillRequest

    infusion_id = workspace.infusions.ids()[0]
    workspace.superbills.issue(SuperbillRequest(infusion_ids=(infusion_id,)))
    before = workspace.service_lines.for_infusion(infusion_id)
    assert before
    dialog = _lines_dialog(qtbot, window, infusion_id)
    dialog.model.setData(dialog.model.index(0, UNITS), "2")
    dialog.accept()
    assert dialog.isVisible() and "issued superbill" in dialog.problems.text()
    assert workspace.service_lines.for_infusion(infusion_id) == before


def test_billing_waits_for_the_database(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(billing, "shared_workers", lambda: Workers(synchronous=True))
    win = MainWindow(None, bus)
    qtbot.addWidget(win)
    assert not win.infusions.lines_button.isEnabled()
    win.nav.setCurrentRow(BILLING)
    assert win.stack.currentWidget() is win.infusions  # nothing opens before the database
    win.attach(workspace)
    assert isinstance(win.stack.currentWidget(), BillingView)
    assert isinstance(win.current_view(), BillingView)
    section = win.billing
    assert isinstance(section, BillingView)
    assert "FY2026: 2025-10-01" in section.codes.icd.text()  # the releases were loaded (inline here)
    # No provider yet: the tab says where to add one. Once there is, the Edit menu's New adds a fee.
    assert section.fees.empty_note.isVisibleTo(section) and not section.fees.add_button.isEnabled()
    workspace.providers.add(ProviderRecord(name="Calm Clinic", kind=ProviderKind.ORGANIZATION))
    bus.announce(changes.PROVIDER)
    assert not section.fees.empty_note.isVisibleTo(section) and section.fees.add_button.isEnabled()
    win.new_action.trigger()
    opened = [d for d in win.findChildren(RecordDialog) if d.isVisible()]
    assert len(opened) == 1 and isinstance(opened[0], FeeDialog)
    opened[0].close()
