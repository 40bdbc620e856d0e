"""The Claims section: every claim with its state, payer, money and next deadline, filtered by state,
payer, patient, overdue and text; a claim opens in its own window with its timeline and actions.
The rows are read on the database worker (kettrack.ui.operations)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.claim_states import ClaimState
from kettrack.core.claims import ClaimFilter, ClaimRow
from kettrack.core.money import format_usd
from kettrack.core.rows import Choice
from kettrack.ui import changes
from kettrack.ui.basics import fill_patient_filter, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.operations import query
from kettrack.ui.tables import Column, RecordTable, RecordTableModel

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

WATCHES = frozenset({changes.CLAIM, changes.PATIENT, changes.PAYER, changes.SUPERBILL})
OVERDUE = QColor("#b71c1c")


def _next(row: ClaimRow) -> str:
    if row.next_due is None:
        return ""
    mark = "" if row.next_confirmed else " *"
    return f"{row.next_due.isoformat()}{mark}"


def columns() -> list[Column[ClaimRow]]:
    return [
        Column(tr("Claim"), lambda r: r.number),
        Column(tr("Patient"), lambda r: r.patient_name),
        Column(tr("Payer"), lambda r: r.payer_name),
        Column(tr("Status"), lambda r: r.status_text),
        Column(tr("Services"), lambda r: r.first_service.isoformat()),
        Column(tr("Billed"), lambda r: format_usd(r.billed), numeric=True),
        Column(tr("Paid"), lambda r: format_usd(r.paid), numeric=True),
        Column(tr("Outstanding"), lambda r: format_usd(r.outstanding), numeric=True),
        Column(tr("Next deadline"), _next),
        Column(tr("To do"), lambda r: r.next_action),
    ]


class ClaimTableModel(RecordTableModel[ClaimRow]):
    """Claims; a passed deadline shows in red."""

    today = date.today()

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.column() in (8, 9):
            if self.records[index.row()].is_overdue(self.today):
                return QBrush(OVERDUE)
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.column() == 8:
            if not self.records[index.row()].next_confirmed:
                return tr("* a default rule for this kind of plan: confirm the plan's own rule")
        return super().data(index, role)


class ClaimsView(QWidget):
    """Claims, soonest deadline first."""

    def __init__(self, ws: Workspace, bus: ChangeBus, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.bus = bus
        self.setObjectName("claims_view")

        self.state = QComboBox()
        self.state.setAccessibleName(tr("State filter"))
        self.state.addItem(tr("All states"), None)
        self.state.addItem(tr("Open claims"), "open")
        for state in ClaimState:
            self.state.addItem(state.label, state.value)
        self.payer = QComboBox()
        self.payer.setAccessibleName(tr("Payer filter"))
        self.patient = QComboBox()
        self.patient.setAccessibleName(tr("Patient filter"))
        self.overdue = QCheckBox(tr("Overdue only"))
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("Find: claim number, patient, payer…"))
        self.text.setAccessibleName(tr("Find text"))
        self.text.setClearButtonEnabled(True)
        self.count = QLabel()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(self.refresh)
        for combo in (self.state, self.payer, self.patient):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.overdue.toggled.connect(lambda _on: self.refresh())
        self.text.textChanged.connect(self.debounce.start)

        self.new_button = QPushButton(tr("New claim…"))
        self.new_button.setToolTip(tr("Start a claim from an issued superbill"))
        self.open_button = QPushButton(tr("Open…"))
        self.new_button.clicked.connect(lambda: self.new_item())
        self.open_button.clicked.connect(lambda: self.edit_item())

        filters = QHBoxLayout()
        for widget in (self.state, self.payer, self.patient, self.overdue):
            filters.addWidget(widget)
        filters.addWidget(self.text, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.count)

        self.model = ClaimTableModel(columns(), self)
        self.table = RecordTable("claims")
        self.table.setAccessibleName(tr("Claims"))
        self.table.setModel(self.model)
        self.table.restore_header((95, 160, 170, 130, 90, 90, 80, 95, 100))
        self.table.activated.connect(lambda _index: self.edit_item())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        bus.changed.connect(self._on_changed)
        self._load_choices()
        self.refresh()

    def _load_choices(self) -> None:
        patients, payers = self.ws.patients, self.ws.payers
        query(
            self,
            lambda: (patients.choices(), payers.choices()),
            self._show_choices,
            what="list patients and payers",
        )

    def _show_choices(self, choices: tuple[list[Choice], list[Choice]]) -> None:
        patients, payers = choices
        fill_patient_filter(self.patient, patients)
        current = self.payer.currentData()
        self.payer.blockSignals(True)
        self.payer.clear()
        self.payer.addItem(tr("All payers"), None)
        for choice in payers:
            self.payer.addItem(choice.label, choice.id)
        self.payer.setCurrentIndex(max(self.payer.findData(current), 0))
        self.payer.blockSignals(False)

    def current_filter(self) -> ClaimFilter:
        state = self.state.currentData()
        return ClaimFilter(
            states=(ClaimState(state),) if state not in (None, "open") else (),
            open_only=state == "open",
            payer_id=self.payer.currentData(),
            patient_id=self.patient.currentData(),
            overdue_only=self.overdue.isChecked(),
            text=self.text.text(),
        )

    def refresh(self) -> None:
        views, flt = self.ws.claim_views, self.current_filter()
        query(self, lambda: views.rows(flt, limit=5000), self._show_rows, what="list claims")

    def _show_rows(self, rows: list[ClaimRow]) -> None:
        selected = self.table.current_id()
        self.model.today = self.ws.today()
        self.model.set_records(rows)
        if selected is not None and (row := self.model.row_of(selected)) >= 0:
            self.table.selectRow(row)
        self.count.setText(tr("{0:,} claims").format(len(rows)))
        self._update_buttons()

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if kinds & {changes.PATIENT, changes.PAYER}:
            self._load_choices()
        if kinds & WATCHES:
            self.refresh()

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.table.current_id() is not None)

    def open_claim(self, claim_id: int) -> QWidget:
        from kettrack.ui.claim_detail import ClaimWindow

        window = ClaimWindow(self.ws, self.bus, claim_id, parent=self)
        window.show()
        return window

    # --- what the Edit menu asks of a view ---

    def new_item(self) -> Any:
        from kettrack.ui.claim_dialogs import NewClaimDialog

        dialog = NewClaimDialog(self.ws, self.bus, parent=self)
        if dialog.exec() and dialog.claim_id is not None:
            if (row := self.model.row_of(dialog.claim_id)) >= 0:
                self.table.selectRow(row)
            return self.open_claim(dialog.claim_id)
        return None

    def edit_item(self) -> Any:
        claim_id = self.table.current_id()
        return self.open_claim(claim_id) if claim_id is not None else None

    def delete_item(self) -> None:
        pass  # a claim is a record of what was sent: close it instead (its history stays)

    def focus_find(self) -> None:
        self.text.setFocus()

    def save_state(self) -> None:
        self.table.save_header()
