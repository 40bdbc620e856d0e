"""The Infusions view: a query-backed table of sessions with filters above it, and New / Edit /
Delete, Billing lines and Create superbill for the sessions chosen. It shows the rows read at start-up
until the workspace opens. The table's models and column numbers are in kettrack.ui.infusion_table
(re-exported here); every question to the store goes through the operation helper to the database
worker, imported on first use (kettrack.ui.deferred_operations): the first paint does without it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.problems import NotFound
from kettrack.core.rows import InfusionFilter
from kettrack.ui import changes, settings
from kettrack.ui.basics import DATE_FORMAT, confirm, fill_patient_filter, pydate, qdate, tell, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.deferred_operations import change, query
from kettrack.ui.infusion_table import (
    DATE,
    DIAGNOSES,
    DOSE,
    DRUG,
    MINUTES,
    NUMERIC,
    PAID,
    PATIENT,
    PROVIDER,
    ROUTE,
    SORT_KEYS,
    WATCHES,
    InfusionTableModel,
    PreviewRows,
    RowSource,
    cell_text,
    preview_model,
)
from kettrack.ui.tables import ID_ROLE, RecordTable

if TYPE_CHECKING:
    # Annotations only: the window shows its first rows before SQLAlchemy (under the store) is imported.
    from kettrack.core.records import InfusionRecord
    from kettrack.services.startup import Snapshot
    from kettrack.services.workspace import Workspace

__all__ = [
    "DATE",
    "DIAGNOSES",
    "DOSE",
    "DRUG",
    "MINUTES",
    "NUMERIC",
    "PAID",
    "PATIENT",
    "PROVIDER",
    "ROUTE",
    "SORT_KEYS",
    "WATCHES",
    "DateBound",
    "InfusionTableModel",
    "InfusionsView",
    "PreviewRows",
    "RowSource",
    "cell_text",
    "preview_model",
]


class DateBound(QWidget):
    """A date filter bound that may be "any": a checkbox turns the date on."""

    changed = Signal()

    def __init__(self, label: str, initial: date) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox(label)
        self.edit = QDateEdit(qdate(initial))
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(DATE_FORMAT)
        self.edit.setEnabled(False)
        self.edit.setAccessibleName(label)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(self.changed)
        self.edit.dateChanged.connect(self.changed)
        row.addWidget(self.check)
        row.addWidget(self.edit)

    def value(self) -> date | None:
        return pydate(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, value: date | None) -> None:
        if value is not None:
            self.edit.setDate(QDate(value.year, value.month, value.day))
        self.check.setChecked(value is not None)


class InfusionsView(QWidget):
    """Filters, the sessions table and New / Edit / Delete."""

    def __init__(
        self,
        ws: Workspace | None,
        bus: ChangeBus,
        parent: QWidget | None = None,
        *,
        preview: Snapshot | None = None,
    ) -> None:
        """With ``ws`` None the view shows ``preview`` (read at start-up) until ``attach`` gives it the
        workspace; filters and actions wait until then."""
        super().__init__(parent)
        self.ws = ws
        self.bus = bus
        self.preview = preview
        self._kept: int | None = None
        preview_rows = preview.rows if preview else ()
        source = PreviewRows(preview_rows) if ws is None else None
        self.model = InfusionTableModel(
            ws, source=source, page_size=settings.load(settings.Preferences.INFUSION_PAGE_SIZE), parent=self
        )
        today = ws.today() if ws is not None else date.today()

        self.patient = QComboBox()
        self.patient.setAccessibleName(tr("Patient filter"))
        self.patient.setMinimumContentsLength(18)
        self.date_from = DateBound(tr("From"), today.replace(day=1))
        self.date_to = DateBound(tr("To"), today)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("Find: name, diagnosis, drug, notes…"))
        self.text.setAccessibleName(tr("Find text"))
        self.text.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("infusion_count")

        # Typing re-queries only once the user pauses.
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(settings.load(settings.Preferences.FILTER_DELAY_MS))
        self.debounce.timeout.connect(self.apply_filter)
        self.patient.currentIndexChanged.connect(self.debounce.start)
        self.date_from.changed.connect(self.debounce.start)
        self.date_to.changed.connect(self.debounce.start)
        self.text.textChanged.connect(self.debounce.start)

        filters = QHBoxLayout()
        filters.addWidget(QLabel(tr("Patient:")))
        filters.addWidget(self.patient)
        filters.addSpacing(8)
        filters.addWidget(self.date_from)
        filters.addWidget(self.date_to)
        filters.addSpacing(8)
        filters.addWidget(self.text, 1)

        buttons = QHBoxLayout()
        self.new_button = QPushButton(tr("New session…"))
        self.edit_button = QPushButton(tr("Edit…"))
        self.delete_button = QPushButton(tr("Delete"))
        self.new_button.clicked.connect(self.new_item)
        self.edit_button.clicked.connect(self.edit_item)
        self.delete_button.clicked.connect(self.delete_item)
        self.superbill_button = QPushButton(tr("Create superbill…"))
        self.superbill_button.setToolTip(tr("A superbill for the selected sessions of one patient"))
        self.superbill_button.clicked.connect(lambda: self.create_superbill())
        self.lines_button = QPushButton(tr("Billing lines…"))
        self.lines_button.setToolTip(tr("The codes and charges the current session is billed as"))
        self.lines_button.clicked.connect(lambda: self.open_lines())
        for button in (
            self.new_button,
            self.edit_button,
            self.delete_button,
            self.lines_button,
            self.superbill_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count)

        self.table = RecordTable("infusions")
        self.table.setAccessibleName(tr("Infusion sessions"))
        # Until the workspace opens the table shows the preview in Qt's own item model: painting it
        # runs no Python, so the first paint never names the ``Qt`` enums (see kettrack.ui.tables).
        self.table.setModel(self.model if ws is not None else preview_model(preview_rows, self))
        # Several sessions may go on one superbill; Edit and Delete act on the current row.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Qt's default sort indicator is the first column (Date), descending: the store's order too.
        self.table.setSortingEnabled(True)
        self.table.activated.connect(lambda _index: self.edit_item())
        self.table.restore_header((90, 165, 175, 145, 75, 70, 62, 100))

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(buttons)
        layout.addWidget(self.table)

        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        self.model.modelReset.connect(self._show_count)
        self.model.loaded.connect(self._show_count)
        bus.changed.connect(self._on_changed)
        self._controls = (
            self.patient,
            self.date_from,
            self.date_to,
            self.text,
            self.new_button,
            self.edit_button,
            self.delete_button,
            self.lines_button,
            self.superbill_button,
        )
        if ws is not None:
            self._load_patients()
        else:
            for control in self._controls:
                control.setEnabled(False)
        # setSortingEnabled already asked the model to sort (one id query): the first page shows now.
        if ws is not None and not self.model.queried:
            self.model.reload()
        self._show_count()

    def attach(self, ws: Workspace) -> None:
        """Take the opened workspace: the table reads from the store and everything is enabled. The
        preview stays on screen until the store's ids have arrived (no empty table in between)."""
        self.ws = ws
        self.preview = None
        self._load_patients()
        for control in self._controls:
            control.setEnabled(True)
        self.date_from.edit.setEnabled(self.date_from.check.isChecked())
        self.date_to.edit.setEnabled(self.date_to.check.isChecked())
        if self.table.model() is not self.model:
            header = self.table.horizontalHeader()
            self.model.sort_column = header.sortIndicatorSection()
            self.model.descending = header.sortIndicatorOrder() == QtCore.Qt.SortOrder.DescendingOrder
        self.model.source = ws.infusions
        source, flt = ws.infusions, self.model.filter
        key, descending = SORT_KEYS[self.model.sort_column], self.model.descending
        self.model.queried = True
        query(self, lambda: source.ids(flt, sort=key, descending=descending), self._attached, "list sessions")

    def _attached(self, ids: list[int]) -> None:
        selected = self.table.current_id()
        if self.table.model() is not self.model:
            self._show_store_model()
        self.model.take_ids(ids)
        self._select(selected)

    def _show_store_model(self) -> None:
        """Swap the preview for the store-backed model, keeping the header as it is (widths, sort)."""
        preview = self.table.model()
        header = self.table.horizontalHeader()
        state = header.saveState()
        self.table.setModel(self.model)
        header.restoreState(state)
        preview.deleteLater()

    def _load_patients(self) -> None:
        if self.ws is None:
            return
        patients = self.ws.patients
        query(
            self,
            patients.choices,
            lambda choices: fill_patient_filter(self.patient, choices),
            "list patients",
        )

    def current_filter(self) -> InfusionFilter:
        return InfusionFilter(
            patient_id=self.patient.currentData(),
            date_from=self.date_from.value(),
            date_to=self.date_to.value(),
            text=self.text.text().strip(),
        )

    def apply_filter(self) -> None:
        self.debounce.stop()
        self.model.set_filter(self.current_filter())

    def _remember_selection(self) -> None:
        # A reload arrives later than it was asked for: the row selected when it arrives stays selected.
        self._kept = self.table.current_id() if self.table.model() is self.model else None

    def _restore_selection(self) -> None:
        self._select(self._kept)
        self._kept = None

    def _select(self, record_id: int | None) -> None:
        if record_id is not None and (row := self.model.row_of(record_id)) >= 0:
            self.table.selectRow(row)

    def _show_count(self) -> None:
        if self.ws is None and self.preview is not None:
            self.count.setText(tr("{0:,} sessions (opening the database…)").format(self.preview.total))
            return
        self.count.setText(tr("{0:,} sessions").format(len(self.model.ids)))

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if changes.PATIENT in kinds:
            self._load_patients()
        if kinds & WATCHES:
            self.model.reload()

    # --- actions (the Edit menu calls these on the current view) ---

    def open_dialog(self, record_id: int | None) -> QWidget | None:
        """Open the session's dialog (a new session's for None); returns it once it is open (at once
        when the database work runs inline, as in tests)."""
        if self.ws is None:
            return None  # still opening the database
        if record_id is None:
            return self._show_dialog(None)
        infusions = self.ws.infusions
        opening = query(
            self,
            lambda: infusions.get(record_id),
            self._show_dialog,
            "open session",
            handle={NotFound: lambda _gone: self.model.reload()},
        )
        return opening.returned  # type: ignore[no-any-return]

    def _show_dialog(self, record: InfusionRecord | None) -> QWidget | None:
        from kettrack.ui.infusion_dialog import InfusionDialog  # imported lazily: not on the start-up path

        if self.ws is None:
            return None
        dialog = InfusionDialog(self.ws, self.bus, record, parent=self, patient_id=self.patient.currentData())
        dialog.open()
        return dialog

    def new_item(self) -> None:
        self.open_dialog(None)

    def edit_item(self) -> None:
        record_id = self.table.current_id()
        if record_id is not None:
            self.open_dialog(record_id)

    def delete_item(self) -> None:
        record_id = self.table.current_id()
        if record_id is None or self.ws is None:
            return
        row = self.model.row(self.model.row_of(record_id))
        what = f"{row.service_date.isoformat()} — {row.patient_name}" if row else str(record_id)
        if not confirm(
            self, tr("Delete session"), tr("Delete the session of {0}? This cannot be undone.").format(what)
        ):
            return
        infusions = self.ws.infusions
        change(
            self,
            lambda: infusions.delete(record_id),
            None,
            "delete session",
            bus=self.bus,
            changes=(changes.INFUSION,),
            handle={NotFound: lambda _gone: self.bus.announce(changes.INFUSION)},  # deleted elsewhere
        )

    def selected_ids(self) -> list[int]:
        return [int(index.data(ID_ROLE)) for index in self.table.selectionModel().selectedRows()]

    def create_superbill(self) -> QWidget | None:
        """Open the superbill dialog for the selected sessions (they must be one patient's); returns it
        once open (at once when the database work runs inline)."""
        if self.ws is None:
            return None
        ids = self.selected_ids()
        if not ids:
            tell(self, tr("Create superbill"), tr("Select the sessions to put on the superbill first."))
            return None
        source = self.model.source
        opening = query(
            self,
            lambda: {row.patient_id for row in source.rows(ids)},
            lambda patients: self._open_superbill(ids, patients),
            "check superbill sessions",
        )
        return opening.returned  # type: ignore[no-any-return]

    def _open_superbill(self, ids: list[int], patients: set[int]) -> QWidget | None:
        if len(patients) > 1:
            tell(
                self,
                tr("Create superbill"),
                tr("A superbill is for one patient: select sessions of one patient."),
            )
            return None
        if self.ws is None:
            return None
        # Imported lazily: the dialog brings in ReportLab and pypdfium2, which start-up does not need.
        from kettrack.services.superbills import SuperbillRequest
        from kettrack.ui.superbill_dialog import SuperbillDialog

        dialog = SuperbillDialog(
            self.ws, self.bus, SuperbillRequest(infusion_ids=tuple(sorted(ids))), parent=self
        )
        dialog.show()
        return dialog

    def open_lines(self) -> QWidget | None:
        """Open the service lines of the current session."""
        if self.ws is None:
            return None
        record_id = self.table.current_id()
        if record_id is None:
            tell(self, tr("Billing lines"), tr("Select the session whose billing lines to see first."))
            return None
        from kettrack.ui.service_lines_dialog import ServiceLinesDialog  # not on the start-up path

        dialog = ServiceLinesDialog(self.ws, self.bus, record_id, parent=self)
        if dialog.missing:  # deleted meanwhile (known at once when the database work runs inline)
            self.model.reload()
            return None
        dialog.missing_found.connect(self.model.reload)
        dialog.open()
        return dialog

    def focus_find(self) -> None:
        self.text.setFocus()
        self.text.selectAll()

    def save_state(self) -> None:
        self.table.save_header()
