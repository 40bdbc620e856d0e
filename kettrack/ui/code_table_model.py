"""The code list as an item model: one row per procedure code, its columns, and retired codes (past
their last valid day) greyed with a tooltip naming what replaces them."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPalette

from kettrack.core.codes import ProcedureCode
from kettrack.ui.basics import tr
from kettrack.ui.tables import Column, RecordTableModel

_Index = QModelIndex | QPersistentModelIndex


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def code_columns() -> list[Column[ProcedureCode]]:
    return [
        Column(tr("Code"), lambda c: c.code),
        Column(tr("Kind"), lambda c: c.kind.label),
        Column(tr("Description"), lambda c: c.description),
        Column(tr("Units"), lambda c: str(c.default_units), numeric=True),
        Column(tr("Valid from"), lambda c: _date(c.effective_from)),
        Column(tr("Valid to"), lambda c: _date(c.effective_to)),
        Column(tr("Replaced by"), lambda c: c.replaced_by),
    ]


class CodeTableModel(RecordTableModel[ProcedureCode]):
    """The code list; codes whose last valid day has passed are greyed."""

    def __init__(self, today: Any, parent: Any = None) -> None:
        super().__init__(code_columns(), parent)
        self.today = today

    def is_retired(self, row: int) -> bool:
        end = self.records[row].effective_to
        return end is not None and end < self.today()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and self.is_retired(index.row()):
            if role == Qt.ItemDataRole.ForegroundRole:
                # The palette's disabled text colour: grey that also reads in dark mode.
                return QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            if role == Qt.ItemDataRole.ToolTipRole:
                entry = self.records[index.row()]
                instead = tr(": use {0}").format(entry.replaced_by) if entry.replaced_by else ""
                return tr("Retired after {0}{1}").format(_date(entry.effective_to), instead)
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return self.records[index.row()].description  # long ones are cut off in the cell
        return super().data(index, role)
