"""The Infusions view: a query-backed table of sessions with filters above it.

The model holds only the ordered id list of the matching sessions and fills a row cache lazily, a
page at a time, as rows are painted (Anki's browser): 100,000 sessions cost one id query. Sorting
asks the store for the ids in the new order; filtering asks for the matching ids. Every question goes
through the operation helper (kettrack.ui.operations) to the database worker: painting never waits
for the database, a page shows once it has arrived.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from PySide6 import QtCore
from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
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

from kettrack.core.money import format_usd
from kettrack.core.problems import NotFound
from kettrack.core.rows import InfusionFilter, InfusionRow
from kettrack.ui import changes, settings
from kettrack.ui.basics import DATE_FORMAT, confirm, fill_patient_filter, pydate, qdate, tell, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.tables import ALIGNMENT_ROLE, DISPLAY_ROLE, ID_ROLE, LEFT, RIGHT, RecordTable, is_horizontal

if TYPE_CHECKING:
    # Annotations only: the window shows its first rows before SQLAlchemy (under the store) is imported.
    from kettrack.core.records import InfusionRecord
    from kettrack.services.startup import Snapshot
    from kettrack.services.workspace import Workspace

_Index = QModelIndex | QPersistentModelIndex


class RowSource(Protocol):
    """Where the table's ids and rows come from: the infusion repository, or a start-up preview."""

    def ids(self, flt: InfusionFilter, sort: str = "date", descending: bool = True) -> list[int]: ...
    def rows(self, ids: Sequence[int]) -> list[InfusionRow]: ...


def _query(owner: Any, work: Any, on_done: Any, what: str, **options: Any) -> Any:
    """The operation helper's query, imported on first use: the first paint does without it."""
    from kettrack.ui.operations import query

    return query(owner, work, on_done, what=what, **options)


def _change(owner: Any, work: Any, on_done: Any, what: str, **options: Any) -> Any:
    from kettrack.ui.operations import change

    return change(owner, work, on_done, what=what, **options)


class PreviewRows:
    """The newest rows read at start-up: the model's source until the workspace opens (the table
    shows them meanwhile through ``preview_model``; filters are off)."""

    def __init__(self, rows: Sequence[InfusionRow]) -> None:
        self._rows = {row.id: row for row in rows}
        self._order = [row.id for row in rows]

    def ids(self, flt: InfusionFilter, sort: str = "date", descending: bool = True) -> list[int]:
        return list(self._order)

    def rows(self, ids: Sequence[int]) -> list[InfusionRow]:
        return [self._rows[i] for i in ids if i in self._rows]


# Column numbers, and the store's sort key for each.
DATE, PATIENT, PROVIDER, DRUG, ROUTE, DOSE, MINUTES, DIAGNOSES, PAID = range(9)
SORT_KEYS = ("date", "patient", "provider", "drug", "route", "dose", "duration", "diagnoses", "paid")
NUMERIC = frozenset({DOSE, MINUTES, PAID})
# The roles the model answers; a view asks for a dozen others per cell as it paints.
_ROLES = frozenset({DISPLAY_ROLE, ALIGNMENT_ROLE, ID_ROLE})
# Kinds whose change alters what the table shows (names of patients and providers appear in it).
WATCHES = frozenset({changes.INFUSION, changes.PATIENT, changes.PROVIDER})


def _titles() -> tuple[str, ...]:
    return (
        tr("Date"),
        tr("Patient"),
        tr("Provider"),
        tr("Drug"),
        tr("Route"),
        tr("Dose mg"),
        tr("Minutes"),
        tr("Diagnoses"),
        tr("Paid"),
    )


def cell_text(row: InfusionRow, column: int) -> str:
    if column == DATE:
        return row.service_date.isoformat()
    if column == PATIENT:
        return row.patient_name
    if column == PROVIDER:
        return row.provider_name
    if column == DRUG:
        return row.drug.label
    if column == ROUTE:
        return row.route.label
    if column == DOSE:
        if row.dose_mg is None:
            return ""
        # Whole doses without decimals; others with both places, so the column lines up.
        return (
            f"{row.dose_mg:.0f}" if row.dose_mg == row.dose_mg.to_integral_value() else f"{row.dose_mg:.2f}"
        )
    if column == MINUTES:
        return "" if row.duration_minutes is None else str(row.duration_minutes)
    if column == DIAGNOSES:
        return row.diagnoses
    if column == PAID:
        return format_usd(row.amount_paid)
    return ""


class InfusionTableModel(QAbstractTableModel):
    """Sessions matching a filter, in a sort order; rows are fetched from the store in pages."""

    loaded = Signal()

    def __init__(
        self,
        ws: Workspace | None,
        *,
        source: RowSource | None = None,
        page_size: int = 200,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        if source is None:
            assert ws is not None, "give a workspace or a row source"
            source = ws.infusions
        self.source: RowSource = source
        self.page_size = page_size
        self.filter = InfusionFilter()
        self.sort_column = DATE
        self.descending = True
        self.ids: list[int] = []
        self.queried = False  # the store was asked for the ids
        self.cache: dict[int, InfusionRow] = {}
        self._titles = _titles()
        self._generation = 0
        self._fetching: set[int] = set()  # first rows of the pages asked for
        self._asking = False  # inside row(): a page delivered at once needs no dataChanged

    # --- querying (through the operation helper: on the database worker, never while painting) ---

    def reload(self) -> None:
        """Ask the store again for the matching ids; cached rows are dropped (they may have changed)."""
        source, flt, key, descending = self.source, self.filter, SORT_KEYS[self.sort_column], self.descending
        self.queried = True
        _query(self, lambda: source.ids(flt, sort=key, descending=descending), self.take_ids, "list sessions")

    def take_ids(self, ids: list[int]) -> None:
        """Show ``ids`` (the store's answer to the current filter and order)."""
        self.beginResetModel()
        self._set_ids(ids)
        self.cache.clear()
        self.endResetModel()
        self.loaded.emit()

    def _set_ids(self, ids: list[int]) -> None:
        self.ids = ids
        self._generation += 1  # rows still being fetched belong to the old list
        self._fetching.clear()

    def set_source(self, source: RowSource) -> None:
        self.source = source
        self.reload()

    def set_filter(self, flt: InfusionFilter) -> None:
        self.filter = flt
        self.reload()

    def sort(self, column: int, order: QtCore.Qt.SortOrder | None = None) -> None:
        if not 0 <= column < len(SORT_KEYS):
            return
        self.sort_column = column
        self.descending = order == QtCore.Qt.SortOrder.DescendingOrder
        source, flt, key, descending = self.source, self.filter, SORT_KEYS[column], self.descending
        self.queried = True
        _query(self, lambda: source.ids(flt, sort=key, descending=descending), self._sorted, "sort sessions")

    def _sorted(self, ids: list[int]) -> None:
        self.layoutAboutToBeChanged.emit()
        self._set_ids(ids)
        self.layoutChanged.emit()
        self.loaded.emit()

    def row(self, row: int) -> InfusionRow | None:
        """The row if it is cached; else None, and its page is fetched (shown when it arrives)."""
        record_id = self.ids[row]
        cached = self.cache.get(record_id)
        if cached is None:
            # Fill the whole page around this row in one query.
            start = row - row % self.page_size
            if start not in self._fetching:
                wanted = [i for i in self.ids[start : start + self.page_size] if i not in self.cache]
                self._fetching.add(start)
                source, generation = self.source, self._generation
                self._asking = True
                try:
                    _query(
                        self,
                        lambda: source.rows(wanted),
                        lambda rows: self._fetched(generation, start, rows),
                        "read sessions",
                    )
                finally:
                    self._asking = False
            cached = self.cache.get(record_id)
        return cached

    def _fetched(self, generation: int, start: int, rows: list[InfusionRow]) -> None:
        if generation != self._generation:
            return  # the list changed meanwhile: these rows may be stale, and are asked again
        self._fetching.discard(start)
        for fetched in rows:
            self.cache[fetched.id] = fetched
        if not self._asking and self.ids:  # arrived later: the view asks for the cells again
            last = min(start + self.page_size, len(self.ids)) - 1
            self.dataChanged.emit(self.index(start, 0), self.index(last, len(SORT_KEYS) - 1))

    def row_of(self, record_id: int) -> int:
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1

    # --- Qt model API ---

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SORT_KEYS)

    def data(self, index: _Index, role: int = DISPLAY_ROLE) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        if role == ID_ROLE:
            return self.ids[index.row()]
        if role == DISPLAY_ROLE:
            row = self.row(index.row())
            return cell_text(row, index.column()) if row is not None else ""
        return RIGHT if index.column() in NUMERIC else LEFT

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation, role: int = DISPLAY_ROLE) -> Any:
        if not is_horizontal(orientation):
            return None
        if role == DISPLAY_ROLE:
            return self._titles[section]
        if role == ALIGNMENT_ROLE:
            return RIGHT if section in NUMERIC else LEFT
        return None


def preview_model(rows: Sequence[InfusionRow], parent: QWidget) -> QStandardItemModel:
    """The start-up rows as a read-only Qt item model, laid out like ``InfusionTableModel``."""
    titles = _titles()
    model = QStandardItemModel(0, len(titles), parent)
    for column, title in enumerate(titles):
        item = QStandardItem(title)
        item.setData(RIGHT if column in NUMERIC else LEFT, ALIGNMENT_ROLE)
        model.setHorizontalHeaderItem(column, item)
    for row in rows:
        items = [QStandardItem(cell_text(row, column)) for column in range(len(titles))]
        items[DATE].setData(row.id, ID_ROLE)
        for column in NUMERIC:
            items[column].setData(RIGHT, ALIGNMENT_ROLE)
        model.appendRow(items)
    return model


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
        _query(
            self, lambda: source.ids(flt, sort=key, descending=descending), self._attached, "list sessions"
        )

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
        _query(
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
        opening = _query(
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
        _change(
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
        opening = _query(
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
