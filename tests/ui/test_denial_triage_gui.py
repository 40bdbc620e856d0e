"""The denial triage in the window, driven as a person would: the denial dialog guesses no reason code
(the code decides the next step), a line with an amount but no code is refused next to the field; the
claim window shows what the plan said and the next step; a normal EOB typed with a PR line only is
paid, and the dashboard offers the patient's balance, not an appeal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import GroupCode
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui.basics import qdate
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_detail import ClaimWindow
from kettrack.ui.claim_event_dialog import EventDialog
from kettrack.ui.dashboard_view import DashboardView


@pytest.fixture
def demo(workspace: Workspace) -> Workspace:
    fill_demo(workspace)
    return workspace


def _window(qtbot: QtBot, ws: Workspace, bus: ChangeBus, state: ClaimState) -> ClaimWindow:
    claim = next(r for r in ws.claim_views.rows() if r.state is state)
    window = ClaimWindow(ws, bus, claim.id)
    qtbot.addWidget(window)
    return window


def test_the_denial_dialog_guesses_no_reason_code(qtbot: QtBot, demo: Workspace, bus: ChangeBus) -> None:
    window = _window(qtbot, demo, bus, ClaimState.ACKNOWLEDGED)
    dialog = window.record(EventKind.DENIED)
    assert isinstance(dialog, EventDialog) and dialog.adjustments is not None
    (group, reason, remarks, amount), *more = dialog.adjustments.rows
    assert not more and reason.text() == "" and remarks.text() == "" and amount.text() == ""
    assert reason.placeholderText() and group.currentData() == GroupCode.CO.value
    # An amount without the notice's code is refused next to the adjustments; nothing is written.
    before = len(demo.claim_views.get(window.claim_id).events)
    qtbot.keyClicks(amount, "2760.00")
    dialog.save()
    assert dialog.result() != EventDialog.DialogCode.Accepted
    assert "reason code" in dialog.form.error_for("adjustments").text()
    assert len(demo.claim_views.get(window.claim_id).events) == before
    # With the code from the notice it is recorded, and the window says what it means and what next.
    qtbot.keyClicks(reason, "16")
    qtbot.keyClicks(remarks, "M119")
    dialog.save()
    assert dialog.result() == EventDialog.DialogCode.Accepted, dialog.form.top_errors.text()
    assert window.triage.isVisibleTo(window)
    text = window.triage.text()
    assert "What the plan said:" in text and "(CO-16)" in text
    assert "Send a corrected claim with the drug" in text and "11-digit NDC" in text
    assert "M119:" in window.triage.toolTip()


def test_the_eob_dialog_guesses_no_reason_code_either(qtbot: QtBot, demo: Workspace, bus: ChangeBus) -> None:
    window = _window(qtbot, demo, bus, ClaimState.ACKNOWLEDGED)
    dialog = window.record(EventKind.PAID)
    assert isinstance(dialog, EventDialog) and dialog.adjustments is not None
    assert [row[1].text() for row in dialog.adjustments.rows] == [""]


def test_a_normal_eob_in_the_window_is_the_patients_balance(
    qtbot: QtBot, demo: Workspace, bus: ChangeBus
) -> None:
    ws = demo
    window = _window(qtbot, ws, bus, ClaimState.ACKNOWLEDGED)
    billed = ws.claim_views.row(window.claim_id).billed
    allowed = (billed * Decimal("0.6")).quantize(Decimal("0.01"))
    share = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
    dialog = window.record(EventKind.PAID)
    assert isinstance(dialog, EventDialog) and dialog.adjustments is not None
    dialog.date.setDate(qdate(date(2026, 11, 20)))
    qtbot.keyClicks(dialog.amounts["allowed"], str(allowed))
    qtbot.keyClicks(dialog.amounts["paid"], str(allowed - share))
    group, reason, _remarks, amount = dialog.adjustments.rows[0]
    group.setCurrentIndex(group.findData(GroupCode.PR.value))
    qtbot.keyClicks(reason, "2")
    qtbot.keyClicks(amount, str(share))
    dialog.save()
    assert dialog.result() == EventDialog.DialogCode.Accepted, dialog.form.top_errors.text()
    row = ws.claim_views.row(window.claim_id)
    assert row.state is ClaimState.PAID and row.outstanding == 0
    assert "Patient's share $" in window.money.text() and f"{share:,}" in window.money.text()
    assert "Bill the patient their share" in window.triage.text()
    dashboard = DashboardView(ws, bus)
    qtbot.addWidget(dashboard)
    actions = [item.action for _title, item in dashboard.model.rows if item and item.claim_id == row.id]
    assert actions and actions[0].startswith("Bill the patient their share")
    assert not any("appeal" in a.lower() for a in actions)
