"""The Infusions table's item models, and its column numbers.

``InfusionTableModel`` holds only the ordered id list of the matching sessions and fills a row cache
lazily, a page at a time, as rows are painted (Anki's browser): 100,000 sessions cost one id query.
Sorting asks the store for the ids in the new order; filtering asks for the matching ids. Every
question goes through the operation helper to the database worker: painting never waits for the
database, a page shows once it has arrived. ``preview_model`` lays the rows read at start-up out the
same way in Qt's own item model, for the first paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from PySide6 import QtCore
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QWidget

from kettrack.core.money import format_usd
from kettrack.core.rows import InfusionFilter, InfusionRow
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.deferred_operations import query
from kettrack.ui.tables import ALIGNMENT_ROLE, DISPLAY_ROLE, ID_ROLE, LEFT, RIGHT, is_horizontal

if TYPE_CHECKING:
    # Annotations only: the window shows its first rows before SQLAlchemy (under the store) is imported.
    from kettrack.services.workspace import Workspace

_Index = QModelIndex | QPersistentModelIndex


class RowSource(Protocol):
    """Where the table's ids and rows come from: the infusion repository, or a start-up preview."""

    def ids(self, flt: InfusionFilter, sort: str = "date", descending: bool = True) -> list[int]: ...
    def rows(self, ids: Sequence[int]) -> list[InfusionRow]: ...


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
        query(self, lambda: source.ids(flt, sort=key, descending=descending), self.take_ids, "list sessions")

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
        query(self, lambda: source.ids(flt, sort=key, descending=descending), self._sorted, "sort sessions")

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
                    query(
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
