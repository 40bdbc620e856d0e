"""Spravato REMS in the window: recording that an esketamine session's Patient Monitoring Form was sent
(a small dialog with the session, when the form is due, the enrolment warning when there is one, and the
day it was sent), opened from the Dashboard's REMS lines; and the warning a session form shows while it
records esketamine for a patient the REMS does not have enrolled. The rules are kettrack.core.rems; the
reads and the write run on the database worker through kettrack.services.rems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from kettrack.core.enums import Drug
from kettrack.core.rems import FORM_SENT_FIELD, RemsSession
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ChoiceField, EnumField, ErrorForm, OptionalDateField, RecordDialog, tr
from kettrack.ui.operations import query

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

WARNING_STYLE = "color: #b71c1c;"


class RemsFormDialog(RecordDialog):
    """The day a session's Patient Monitoring Form was sent; saving it closes the deadline."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, rems: RemsSession, parent: QWidget | None = None
    ) -> None:
        from kettrack.services import rems as rems_service

        self.rems = rems
        form = ErrorForm()
        about = QLabel(
            tr("Esketamine session of {0} for {1}. The Patient Monitoring Form is due by {2}.").format(
                rems.service_date.isoformat(), rems.patient_name, rems.deadline.due.isoformat()
            )
        )
        about.setObjectName("rems_about")
        about.setWordWrap(True)
        form.outer.insertWidget(0, about)
        self.warning = QLabel(tr("Warning: {0}.").format(rems.warning) if rems.warning else "")
        self.warning.setObjectName("rems_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setVisible(bool(rems.warning))
        form.outer.insertWidget(1, self.warning)
        self.sent = OptionalDateField(ws.today, required=True)
        self.sent.set(rems.form_sent_on or ws.today())
        form.add_row(FORM_SENT_FIELD, tr("Form sent on:"), self.sent.widget)
        session_id = rems.session_id
        super().__init__(
            tr("Spravato REMS Patient Monitoring Form"),
            form,
            form,
            self.sent.get,
            lambda sent: rems_service.record_form_sent(ws, session_id, sent),
            parent,
            bus=bus,
            changes=(changes.INFUSION,),
            what="record REMS form",
        )


def open_rems_form(owner: QWidget, ws: Workspace, bus: ChangeBus, session_id: int) -> None:
    """Read the session's REMS state on the database worker, then open its dialog (if it still owes one)."""
    from kettrack.services import rems as rems_service

    def show(found: RemsSession | None) -> None:
        if found is None:
            return  # no longer an esketamine session: the dashboard refreshes on its own
        dialog = RemsFormDialog(ws, bus, found, parent=owner)
        dialog.setObjectName("rems_form_dialog")
        dialog.open()

    query(owner, lambda: rems_service.forms(ws).session(session_id), show, what="read REMS form")


class RemsWarning(QLabel):
    """A session form's warning, kept up to date as its patient, drug and date change: esketamine for a
    patient not enrolled in the Spravato REMS (or enrolled only after the session)."""

    def __init__(
        self, ws: Workspace, patient: ChoiceField, drug: EnumField, service_date: OptionalDateField
    ) -> None:
        super().__init__()
        self.ws, self.patient, self.drug, self.service_date = ws, patient, drug, service_date
        self.setObjectName("rems_enrolment_warning")
        self.setWordWrap(True)
        self.setStyleSheet(WARNING_STYLE)
        self.hide()
        patient.combo.currentIndexChanged.connect(self.refresh)
        drug.combo.currentIndexChanged.connect(self.refresh)
        service_date.edit.dateChanged.connect(self.refresh)

    def refresh(self) -> None:
        from kettrack.services import rems as rems_service

        ws, patient_id, drug, day = self.ws, self.patient.get(), self.drug.get(), self.service_date.get()
        if patient_id is None or drug is not Drug.ESKETAMINE:
            self._show(None)
            return
        query(
            self,
            lambda: rems_service.patient_warning(ws, patient_id, drug, day),
            self._show,
            what="read REMS enrolment",
        )

    def _show(self, warning: str | None) -> None:
        self.setText(tr("Spravato REMS: {0}.").format(warning) if warning else "")
        self.setVisible(bool(warning))
