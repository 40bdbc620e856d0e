"""Reminders while the app runs: what became due is announced once a day, overdue first in the title;
the Superbills and People sections lead to a new claim and to a payer's rules."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_dialogs import NewClaimDialog
from kettrack.ui.main_window import PEOPLE, SUPERBILLS, MainWindow
from kettrack.ui.rules_dialog import PayerRulesDialog
from kettrack.ui.tray import Reminders


def test_due_items_are_announced_once_a_day(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    shown: list[tuple[str, str]] = []
    reminders = Reminders(workspace, window, notify=lambda t, x: shown.append((t, x)))
    reminders.check()
    assert len(shown) == 1
    title, text = shown[0]
    assert title == "1 claim deadlines overdue" and "Call the plan: no answer for 45 days" in text
    reminders.check()
    assert len(shown) == 1  # the same day: not again
    workspace.today = lambda: date(2026, 11, 24)  # type: ignore[method-assign]
    workspace.claim_views.today = workspace.today
    reminders.check()
    assert len(shown) == 2  # a new day: still overdue, said again


def test_claims_start_from_superbills_and_rules_from_payers(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    window.show_section(SUPERBILLS)
    superbills = window.superbills
    superbills.table.selectRow(0)  # type: ignore[attr-defined]
    dialog = superbills.create_claim()  # type: ignore[attr-defined]
    assert (
        isinstance(dialog, NewClaimDialog)
        and dialog.superbill.currentData()[0] == superbills.current_record().id
    )  # type: ignore[attr-defined]
    dialog.reject()
    window.show_section(PEOPLE)
    people = window.people
    payers = people.pages["payers"]  # type: ignore[attr-defined]
    people.tabs.setCurrentWidget(payers)  # type: ignore[attr-defined]
    payers.table.selectRow(0)
    rules = people.payer_rules(workspace, bus)  # type: ignore[attr-defined]
    assert isinstance(rules, PayerRulesDialog)
    rules.reject()
