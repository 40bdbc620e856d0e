"""The item model of a session's service lines: each line as the text typed per column (a
``LineDraft``), built into a ``ServiceLine`` and parsed only on Save, so a half-typed value never
blocks editing; rows with problems are marked (background and tooltip). Column numbers are here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from kettrack.core.money import format_usd, parse_amount
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.service_lines import ServiceLine
from kettrack.ui.basics import tr

_Index = QModelIndex | QPersistentModelIndex

# Column numbers; each editable column edits the ServiceLine attribute named in FIELDS.
CODE, DESCRIPTION, MODIFIERS, POINTERS, UNITS, CHARGE, NDC, NDC_UNIT, QUANTITY = range(9)
FIELDS = (
    "code",
    "description",
    "modifiers",
    "pointers",
    "units",
    "charge",
    "ndc",
    "ndc_unit",
    "ndc_quantity",
)
EDITABLE = frozenset({CODE, MODIFIERS, POINTERS, UNITS, CHARGE, NDC, NDC_UNIT, QUANTITY})
NUMERIC = frozenset({UNITS, CHARGE, QUANTITY})
# A pale red that keeps dark text readable in light and dark palettes alike.
PROBLEM_BACKGROUND = QColor(255, 205, 210)


def _titles() -> tuple[str, ...]:
    return (
        tr("Code"),
        tr("Description"),
        tr("Modifiers"),
        tr("Pointers"),
        tr("Units"),
        tr("Charge"),
        tr("NDC"),
        tr("Unit"),
        tr("Quantity"),
    )


def _decimal_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


@dataclass
class LineDraft:
    """A line as typed: text per column, with the saved or proposed line it started from."""

    base: ServiceLine
    texts: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, line: ServiceLine) -> LineDraft:
        return cls(
            line,
            [
                line.code,
                line.description,
                " ".join(line.modifiers),
                line.pointers,
                str(line.units),
                str(line.charge),
                line.ndc,
                line.ndc_unit,
                _decimal_text(line.ndc_quantity),
            ],
        )

    def build(self, number: int) -> tuple[ServiceLine | None, list[Problem]]:
        """The line, or the typing problems found (named like the store's: ``lines[2].units``)."""
        t = self.texts
        problems: list[Problem] = []
        where = f"lines[{number}]."
        try:
            units = int(t[UNITS].strip())
        except ValueError:
            units = 0
            problems.append(Problem(where + "units", tr("Units are a whole number, like 1")))
        try:
            charge = parse_amount(t[CHARGE], "charge")
        except InvalidInput as exc:
            charge = Decimal(0)
            problems += [replace(p, field=where + p.field) for p in exc.problems]
        quantity: Decimal | None = None
        if t[QUANTITY].strip():
            try:
                quantity = Decimal(t[QUANTITY].strip())
                if not quantity.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(Problem(where + "ndc_quantity", tr("The quantity is a number, like 35")))
        if problems:
            return None, problems
        line = replace(
            self.base,
            code=t[CODE].strip().upper(),
            description=t[DESCRIPTION],
            modifiers=tuple(t[MODIFIERS].upper().split()),
            pointers=t[POINTERS],
            units=units,
            charge=charge,
            ndc=t[NDC].strip(),
            ndc_unit=t[NDC_UNIT].strip().upper(),
            ndc_quantity=quantity,
        )
        return line, []


class ServiceLinesModel(QAbstractTableModel):
    """The session's lines as editable text; rows with problems are marked."""

    def __init__(self, describe: Any, dose: Decimal | None = None, parent: Any = None) -> None:
        """``describe(code)`` gives the code list's description for a code (or ""); ``dose`` is the
        session's dose in mg, the usual drug quantity."""
        super().__init__(parent)
        self.describe = describe
        self.dose = dose
        self.drafts: list[LineDraft] = []
        self.problems: dict[int, list[str]] = {}  # row -> messages
        self._titles = _titles()

    def set_lines(self, lines: Any) -> None:
        self.beginResetModel()
        self.drafts = [LineDraft.of(line) for line in lines]
        self.problems = {}
        self.endResetModel()

    def add(self, line: ServiceLine) -> int:
        row = len(self.drafts)
        self.beginInsertRows(QModelIndex(), row, row)
        self.drafts.append(LineDraft.of(line))
        self.endInsertRows()
        return row

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.drafts[row]
        self.endRemoveRows()
        self.set_problems({})  # the line numbers in them no longer match

    def set_problems(self, problems: dict[int, list[str]]) -> None:
        self.problems = problems
        if self.drafts:
            last = self.index(len(self.drafts) - 1, len(FIELDS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.drafts)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIELDS)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() in EDITABLE:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        draft, column = self.drafts[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            text = draft.texts[column]
            if column == CHARGE:
                try:
                    return format_usd(parse_amount(text, "charge"))
                except InvalidInput:
                    return text  # shown as typed until Save explains what is wrong with it
            return text
        if role == Qt.ItemDataRole.EditRole:
            return draft.texts[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column in NUMERIC else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if index.row() in self.problems:
            if role == Qt.ItemDataRole.BackgroundRole:
                return PROBLEM_BACKGROUND
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(Qt.GlobalColor.black)
            if role == Qt.ItemDataRole.ToolTipRole:
                return "\n".join(self.problems[index.row()])
        if role == Qt.ItemDataRole.ToolTipRole and column == DESCRIPTION:
            return draft.texts[column]
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or index.column() not in EDITABLE:
            return False
        draft = self.drafts[index.row()]
        text = str(value)
        draft.texts[index.column()] = text
        if index.column() == CODE:
            # Another code is another service: take that code's plain description along.
            draft.texts[DESCRIPTION] = self.describe(text)
            self.dataChanged.emit(index.siblingAtColumn(DESCRIPTION), index.siblingAtColumn(DESCRIPTION))
        if index.column() == NDC and text.strip() and not draft.texts[NDC_UNIT]:
            # A drug line needs its quantity in a unit: start from the session's dose in milligrams,
            # as the proposal does.
            draft.texts[NDC_UNIT] = "ME"
            draft.texts[QUANTITY] = draft.texts[QUANTITY] or _decimal_text(self.dose)
            self.dataChanged.emit(index.siblingAtColumn(NDC_UNIT), index.siblingAtColumn(QUANTITY))
        self.dataChanged.emit(index, index)
        return True

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self._titles[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                numeric = section in NUMERIC
                horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
                return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
            if role == Qt.ItemDataRole.ToolTipRole:
                return _HEADER_TIPS.get(section)
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)  # the line number problems refer to
        return None

    def lines(self) -> list[ServiceLine]:
        """Every line, built from its text; raises one ``InvalidInput`` for all typing problems."""
        lines: list[ServiceLine] = []
        problems: list[Problem] = []
        for number, draft in enumerate(self.drafts, start=1):
            line, found = draft.build(number)
            problems += found
            if line is not None:
                lines.append(line)
        if problems:
            raise InvalidInput(problems)
        return lines


_HEADER_TIPS = {
    MODIFIERS: "Up to 4, separated by spaces, like 25 59",
    POINTERS: "Letters of the session's diagnoses this line treats, like AB",
    CHARGE: "The line's total charge (all its units)",
    NDC: "The drug's National Drug Code, for drug lines",
    NDC_UNIT: "ME milligrams, ML millilitres, UN units, GR grams, F2 international units",
    QUANTITY: "How much of the drug, in the unit",
}
