"""Dialogs that write claims: a new claim from an issued superbill, and one event dialog that shows
the fields each kind of event needs (a submission's method and number, an EOB's amounts and
adjustment codes, a denial's codes, a decision's outcome, a close's reason), with files to attach.
Problems show next to their field; nothing is written until everything is right. Reads and writes go
to the database worker (kettrack.ui.operations).

The event dialog and its adjustment rows are in kettrack.ui.claim_event_dialog and
kettrack.ui.eob_adjustments (their names are re-exported here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from kettrack.core.claims import Filer, NewClaim, SubmitMethod
from kettrack.core.money import format_usd
from kettrack.core.problems import Problem
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_event_dialog import (
    DECISIONS,
    EVENT_TITLES,
    EventDialog,
    event_date_edit,
    record_event_dialog,
)
from kettrack.ui.eob_adjustments import AdjustmentRows
from kettrack.ui.forms import ErrorForm, MultilineField
from kettrack.ui.operations import change, query

if TYPE_CHECKING:
    from kettrack.services.superbills import IssuedSuperbillRecord
    from kettrack.services.workspace import Workspace

__all__ = [
    "DECISIONS",
    "EVENT_TITLES",
    "AdjustmentRows",
    "EventDialog",
    "NewClaimDialog",
    "event_date_edit",
    "record_event_dialog",
]


class NewClaimDialog(QDialog):
    """Start a claim from an issued superbill: pick the superbill, the plan, who files and how."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, *, superbill_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus = ws, bus
        self.claim_id: int | None = None
        self.setObjectName("new_claim_dialog")
        self.setWindowTitle(tr("New claim"))
        self.form = ErrorForm(self)
        self.superbill = QComboBox()
        self._wanted_superbill = superbill_id
        self.coverage = QComboBox()
        self.filer = QComboBox()
        for filer in Filer:
            self.filer.addItem(filer.label, filer.value)
        self.method = QComboBox()
        for method in SubmitMethod:
            self.method.addItem(method.label, method.value)
        self.note = MultilineField()
        self.form.add_row("superbill", tr("Superbill:"), self.superbill, "lines", "sessions")
        self.form.add_row("coverage", tr("Plan:"), self.coverage, "primary", "replaces")
        self.form.add_row("filer", tr("Filed by:"), self.filer)
        self.form.add_row("method", tr("Sent by:"), self.method)
        self.form.add_row("note", tr("Note:"), self.note.widget)
        self.superbill.currentIndexChanged.connect(lambda _i: self._load_coverages())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Create claim"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.none_issued = QLabel(
            tr("Issue a superbill first (Infusions → Create superbill…): a claim bills its lines.")
        )
        self.none_issued.hide()
        layout.addWidget(self.none_issued)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        superbills = ws.superbills
        query(self, superbills.list, self._show_superbills, what="list superbills")

    def _show_superbills(self, records: list[IssuedSuperbillRecord]) -> None:
        self.superbill.blockSignals(True)
        self.superbill.clear()
        for record in records:
            if not record.superseded:
                span = f"{record.date_from.isoformat()}–{record.date_to.isoformat()}"
                label = (
                    f"{record.number} v{record.version} · {record.patient_name} · {span} · "
                    f"{format_usd(record.total_charges)}"
                )
                self.superbill.addItem(label, (record.id, record.patient_id))
        if self._wanted_superbill is not None:
            wanted = self._wanted_superbill
            index = next(
                (i for i in range(self.superbill.count()) if self.superbill.itemData(i)[0] == wanted),
                -1,
            )
            self.superbill.setCurrentIndex(max(index, 0))
        self.superbill.blockSignals(False)
        self.none_issued.setVisible(self.superbill.count() == 0)
        self._load_coverages()

    def _load_coverages(self) -> None:
        self.coverage.clear()
        data = self.superbill.currentData()
        if data is None:
            return
        ws, patient_id = self.ws, data[1]

        def read() -> list[tuple[str, int]]:
            payers = {p.id: p.name for p in ws.payers.list()}
            return [
                (
                    f"{payers.get(coverage.payer_id, '?')} ({coverage.rank.label.lower()}, "
                    f"member {coverage.member_id})",
                    coverage.id,
                )
                for coverage in ws.coverages.for_patient(patient_id)
            ]

        query(self, read, self._show_coverages, what="list coverages")

    def _show_coverages(self, coverages: list[tuple[str, int]]) -> None:
        self.coverage.clear()
        for label, coverage_id in coverages:
            self.coverage.addItem(label, coverage_id)

    def save(self) -> None:
        data = self.superbill.currentData()
        problems = []
        if data is None:
            problems.append(Problem("superbill", tr("choose an issued superbill")))
        if self.coverage.currentData() is None:
            problems.append(Problem("coverage", tr("the patient has no insurance plan: add one in People")))
        if problems:
            self.form.show_problems(problems)
            return
        new = NewClaim(
            coverage_id=self.coverage.currentData(),
            superbill_id=data[0],
            filer=Filer(self.filer.currentData()),
            method=SubmitMethod(self.method.currentData()),
            note=self.note.get(),
        )
        claims = self.ws.claims
        change(
            self,
            lambda: claims.create(new),
            self._created,
            what="create claim",
            bus=self.bus,
            changes=(changes.CLAIM,),
            form=self.form,
        )

    def _created(self, claim_id: int) -> None:
        self.claim_id = claim_id
        self.accept()
