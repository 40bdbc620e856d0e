"""The tray's reminders announce the Spravato REMS Patient Monitoring Forms beside the claims'
deadlines: a form due today is said with its patient, once a day, and no more once it is recorded as
sent. Driven with pytest-qt on the demo set (its one form is due 2026-11-25, its one overdue claim
step since 2026-11-08)."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from kettrack.services import rems
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.main_window import MainWindow
from kettrack.ui.tray import Reminders


def _on(workspace: Workspace, day: date) -> None:
    workspace.today = lambda: day  # type: ignore[method-assign]
    workspace.claim_views.today = workspace.today


def test_rems_forms_are_announced_with_the_claims(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    shown: list[tuple[str, str]] = []
    reminders = Reminders(workspace, window, notify=lambda t, x: shown.append((t, x)))
    (form,) = rems.form_items(workspace, 30)
    assert form.due == date(2026, 11, 25) and form.session_id is not None

    _on(workspace, date(2026, 11, 25))  # the form is due today, the claim step overdue
    reminders.check()
    assert len(shown) == 1
    title, text = shown[0]
    assert title == "1 deadlines overdue"
    assert f"{form.action} (Spravato REMS, {form.patient_name})" in text.split("\n")
    assert "Call the plan: no answer for" in text
    reminders.check()
    assert len(shown) == 1  # once a day

    _on(workspace, date(2026, 11, 26))  # overdue now, said again on the new day
    reminders.check()
    title, text = shown[-1]
    assert title == "2 deadlines overdue" and "Patient Monitoring Form" in text

    rems.record_form_sent(workspace, form.session_id, date(2026, 11, 26))
    _on(workspace, date(2026, 11, 27))
    reminders.check()
    title, text = shown[-1]
    assert title == "1 claim deadlines overdue" and "REMS" not in text


def test_a_form_alone_is_a_rems_reminder(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    shown: list[tuple[str, str]] = []
    reminders = Reminders(workspace, window, notify=lambda t, x: shown.append((t, x)))
    _on(workspace, date(2026, 11, 25))
    reminders.pending(workspace.claim_views.due(0))  # the claims' steps were said already today
    reminders.check()
    assert len(shown) == 1
    title, text = shown[0]
    assert title == "1 REMS forms due today"
    assert text.startswith("Send the Spravato REMS Patient Monitoring Form for the session of 2026-11-18")
