"""Spravato REMS in the window: the patient form's enrolment fields (a contradiction shown under its
field, nothing saved), and the Patient Monitoring Form on the Dashboard: listed with its session,
opened into a dialog that records when it was sent (a date before the session refused inline), gone
from the Dashboard once recorded."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.core.enums import Drug, Route
from kettrack.core.records import InfusionRecord, PatientRecord
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.dashboard_view import DashboardView
from kettrack.ui.people import PeopleView
from kettrack.ui.rems_dialog import RemsFormDialog


def test_the_patient_form_edits_the_rems_enrolment(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    view = PeopleView(workspace, bus)
    qtbot.addWidget(view)
    view.show()
    tab = view.pages["patients"]
    dialog = tab.open_dialog(None)
    dialog.show()
    fields = dialog.errors.fields
    qtbot.keyClicks(fields["legal_name"].widget, "Ada Quill")
    qtbot.keyClicks(fields["rems_id"].widget, "R-1234")  # an ID, but "Enrolled" left unticked
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    error = dialog.errors.error_for("rems_enrolled")
    assert error.isVisible() and "mark the patient as enrolled" in error.text()
    assert workspace.patients.count() == 0

    fields["rems_enrolled"].widget.click()  # as a click on the box (the widget's centre is its text)
    fields["rems_enrolled_on"].set(date(2026, 11, 2))
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    (saved,) = workspace.patients.list()
    assert (saved.rems_enrolled, saved.rems_enrolled_on, saved.rems_id) == (True, date(2026, 11, 2), "R-1234")
    shown = [tab.model.index(0, c).data() for c in range(tab.model.columnCount())]
    assert "enrolled 2026-11-02" in shown

    # Editing shows what is on file; a future enrolment date is refused under its own field.
    edit = tab.open_dialog(workspace.patients.get(saved.id or 0))
    edit.show()
    assert edit.errors.fields["rems_enrolled"].get() is True
    assert edit.errors.fields["rems_id"].get() == "R-1234"
    edit.errors.fields["rems_enrolled_on"].set(date(2026, 12, 1))
    edit.accept()
    assert "in the future" in edit.errors.error_for("rems_enrolled_on").text()
    assert workspace.patients.get(saved.id or 0).rems_enrolled_on == date(2026, 11, 2)


def _esketamine(ws: Workspace, patient_id: int, day: date) -> int:
    record = InfusionRecord(
        patient_id=patient_id, service_date=day, drug=Drug.ESKETAMINE, route=Route.INTRANASAL
    )
    saved = ws.infusions.add(record)
    assert saved.id is not None
    return saved.id


def test_the_form_is_a_dashboard_deadline_until_recorded(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    ws = workspace
    patient = ws.patients.add(PatientRecord("Ada Quill")).id or 0  # not enrolled: said on the line
    overdue = _esketamine(ws, patient, date(2026, 11, 10))  # due 2026-11-17 (the suite's today: 11-23)
    _esketamine(ws, patient, date(2026, 11, 20))  # due 2026-11-27
    view = DashboardView(ws, bus)
    qtbot.addWidget(view)
    view.show()

    forms = [a for a in view.actions() if "Patient Monitoring Form" in a]
    assert len(forms) == 2 and all("not enrolled" in a for a in forms)
    assert view.headline.text().startswith("1 overdue")
    row = next(
        r for r in range(view.model.rowCount()) if (i := view.model.item(r)) and i.session_id == overdue
    )
    assert view.model.index(row, 3).data() == f"session {overdue}"
    assert view.model.index(row, 0).data() == "6 days overdue"

    view.table.selectRow(row)
    view.open_current()
    (dialog,) = view.findChildren(RemsFormDialog)
    assert dialog.isVisible() and "not enrolled" in dialog.warning.text()
    dialog.sent.set(date(2026, 11, 9))  # before the session
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert "before the session" in dialog.errors.error_for("rems_form_sent_on").text()
    assert dialog.isVisible() and ws.infusions.get(overdue).rems_form_sent_on is None

    dialog.sent.set(date(2026, 11, 12))
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert ws.infusions.get(overdue).rems_form_sent_on == date(2026, 11, 12)
    # The save announced the change; the dashboard read itself again.
    assert len([a for a in view.actions() if "Patient Monitoring Form" in a]) == 1
    assert view.headline.text().startswith("Nothing overdue")


def test_the_session_form_warns_of_esketamine_without_enrolment(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    from kettrack.ui.infusion_dialog import InfusionDialog

    ws = workspace
    ada = ws.patients.add(PatientRecord("Ada Quill")).id
    bo = ws.patients.add(PatientRecord("Bo Marsh", rems_enrolled=True, rems_enrolled_on=date(2026, 11, 2))).id
    dialog = InfusionDialog(ws, bus)
    qtbot.addWidget(dialog)
    dialog.show()
    warning = dialog.rems_warning
    dialog.patient.set(ada)
    assert not warning.isVisible()  # ketamine: no REMS
    dialog.drug.set(Drug.ESKETAMINE)
    assert warning.isVisible() and "not enrolled in the Spravato REMS" in warning.text()
    dialog.patient.set(bo)
    dialog.service_date.set(date(2026, 11, 20))
    assert not warning.isVisible()
    dialog.service_date.set(date(2026, 11, 1))  # before Bo enrolled
    assert warning.isVisible() and "after this session" in warning.text()
    # A warning, not a refusal: the session saves (the form then shows on the dashboard).
    dialog.route.set(Route.INTRANASAL)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    (saved,) = ws.infusions.list()
    assert (saved.patient_id, saved.drug) == (bo, Drug.ESKETAMINE)
