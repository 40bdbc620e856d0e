"""Small table models over lists of frozen records (people, payers: a few hundred rows at most, so
the whole list is held) and the shared table-view set-up: tidy headers whose state persists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from PySide6 import QtCore
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from kettrack.ui import settings

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent

R = TypeVar("R")

# Qt's item roles and alignments as the plain numbers Qt defines them to be (a test compares them with
# Qt's enums). The window's first paint must not name the ``Qt`` namespace: PySide6 builds its ~90
# Python enums on first use, some fifteen milliseconds. Methods that run later use ``QtCore.Qt``.
DISPLAY_ROLE = 0
ALIGNMENT_ROLE = 7
USER_ROLE = 0x0100
ID_ROLE = USER_ROLE + 1
SORT_ROLE = USER_ROLE + 2
_LEFT, _RIGHT, _VCENTER = 0x0001, 0x0002, 0x0080
LEFT = _LEFT | _VCENTER
RIGHT = _RIGHT | _VCENTER
# Should a platform never paint a table (a window that starts hidden), go ahead after this long.
FALLBACK_MS = 2000


def is_horizontal(orientation: QtCore.Qt.Orientation) -> bool:
    return orientation == QtCore.Qt.Orientation.Horizontal


_Index = QModelIndex | QPersistentModelIndex


class Column(NamedTuple, Generic[R]):
    """A column: its title, the text shown for a record, and whether it holds numbers."""

    # Not a frozen dataclass: defining one costs about 1 ms, and this is defined before the first paint.
    title: str
    text: Callable[[R], str]
    numeric: bool = False


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """Rows are whole records; ``ID_ROLE`` gives a row's record id."""

    def __init__(self, columns: Sequence[Column[R]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.records: list[R] = []

    def set_records(self, records: Sequence[R]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid():
            return None
        record = self.records[index.row()]
        column = self.columns[index.column()]
        if role == DISPLAY_ROLE:
            return column.text(record)
        if role == ID_ROLE:
            return getattr(record, "id", None)
        if role == ALIGNMENT_ROLE and column.numeric:
            return RIGHT
        return None

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation, role: int = DISPLAY_ROLE) -> Any:
        if not is_horizontal(orientation):
            return None
        if role == DISPLAY_ROLE:
            return self.columns[section].title
        if role == ALIGNMENT_ROLE:
            return RIGHT if self.columns[section].numeric else LEFT
        return None

    def row_of(self, record_id: int) -> int:
        return next((i for i, r in enumerate(self.records) if getattr(r, "id", None) == record_id), -1)


class RecordTable(QTableView):
    """A read-only, row-selecting table whose header layout is remembered under ``name``."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._after_paint: list[Callable[[], None]] = []

    def after_first_paint(self, then: Callable[[], None]) -> None:
        """Call ``then`` once, just after the table's next paint has put its rows on screen (calls
        registered before that paint run in the order given)."""
        self._after_paint.append(then)
        QTimer.singleShot(FALLBACK_MS, self, self._painted)  # dies with the table

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        # Not an event filter on the viewport: a Python filter sees every event, and converting them
        # made PySide6 build some fifty more enum classes before the first paint (about 8 ms).
        super().paintEvent(event)
        if self._after_paint:
            QTimer.singleShot(0, self, self._painted)  # a zero timer runs once this paint is done

    def _painted(self) -> None:
        waiting, self._after_paint = self._after_paint, []
        for then in waiting:
            then()

    def restore_header(self, widths: Sequence[int] = ()) -> None:
        for section, width in enumerate(widths):
            self.setColumnWidth(section, width)
        settings.restore_header(self.horizontalHeader(), self.objectName())

    def save_header(self) -> None:
        settings.save_header(self.horizontalHeader(), self.objectName())

    def current_id(self) -> int | None:
        index = self.currentIndex()
        if not index.isValid() or not self.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        value = index.siblingAtColumn(0).data(ID_ROLE)
        return int(value) if value is not None else None
