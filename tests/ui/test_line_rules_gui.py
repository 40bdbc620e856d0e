"""The line rules in the window: a new session's place of service is the clinic's usual one (never
telehealth 02/10), and a pre-flight problem in the superbill dialog opens the record that holds it
(double-click, or Open to fix): the session's billing lines, or the provider's form."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.core.bill_problems import RecordKind
from kettrack.core.line_rules import TELEHEALTH_PLACES
from kettrack.services.demo import DemoSummary, fill_demo
from kettrack.services.superbills import SuperbillRequest
from kettrack.services.workspace import Workspace
from kettrack.ui import superbill_dialog
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import RecordDialog
from kettrack.ui.infusion_dialog import InfusionDialog
from kettrack.ui.service_lines_dialog import ServiceLinesDialog
from kettrack.ui.superbill_dialog import SuperbillDialog
from kettrack.ui.workers import Workers


@pytest.fixture(autouse=True)
def inline_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(superbill_dialog, "shared_workers", lambda: Workers(synchronous=True))


@pytest.fixture
def demo(workspace: Workspace) -> DemoSummary:
    return fill_demo(workspace, claims=False)


def test_a_new_session_is_not_telehealth_by_default(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    dialog = InfusionDialog(workspace, bus)
    qtbot.addWidget(dialog)
    assert dialog._place() == "11" and dialog._place() not in TELEHEALTH_PLACES
    workspace.fees.set_usual_place("49")
    second = InfusionDialog(workspace, bus)
    qtbot.addWidget(second)
    assert second._place() == "49"


def test_a_preflight_problem_opens_its_record(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, demo: DemoSummary
) -> None:
    session = workspace.infusions.list()[0]
    lines = workspace.service_lines.ensure_lines(session.id)  # type: ignore[arg-type]
    workspace.service_lines.replace_lines(session.id, [replace(ln, place_of_service="10") for ln in lines])  # type: ignore[arg-type]
    provider = workspace.providers.get(session.provider_id)  # type: ignore[arg-type]
    workspace.providers.update(replace(provider, phone=""))
    dialog = SuperbillDialog(workspace, bus, SuperbillRequest(infusion_ids=(session.id,)))  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    texts = dialog.problem_texts()
    assert any("telehealth" in t and "Infusions › the session's billing lines" in t for t in texts)
    assert dialog.problem_list.isVisibleTo(dialog) and not dialog.issue_button.isEnabled()

    # Double-click the place-of-service problem: the session's billing lines open.
    row = next(i for i, p in enumerate(dialog.problems) if p.field == "place_of_service")
    dialog.show()
    qtbot.waitExposed(dialog)
    item = dialog.problem_list.item(row)
    dialog.problem_list.scrollToItem(item)
    rect = dialog.problem_list.visualItemRect(item)
    # A press first: the view emits a double-click only on the item the press was on.
    qtbot.mouseClick(dialog.problem_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.problem_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    opened = dialog.fix_dialog
    assert isinstance(opened, ServiceLinesDialog) and opened.infusion_id == session.id
    qtbot.addWidget(opened)
    opened.close()

    # Select the phone problem and press Open to fix: the provider's form opens on that provider.
    row = next(i for i, p in enumerate(dialog.problems) if p.record is RecordKind.PROVIDER)
    dialog.problem_list.setCurrentRow(row)
    assert dialog.fix_button.isEnabled()
    qtbot.mouseClick(dialog.fix_button, Qt.MouseButton.LeftButton)
    form = dialog.fix_dialog
    assert isinstance(form, RecordDialog) and form.isVisible()
    qtbot.addWidget(form)
    assert "phone" in form.errors.fields  # type: ignore[attr-defined]
    form.close()
