"""An EOB's adjustment lines as rows of inputs: group code, reason code (CARC, completed with its
meaning from the reason codes read off the GUI thread), remark codes (RARC) and amount; read back as
``Adjustment``s, with a problem per line that does not parse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from kettrack.core.claims import Adjustment, GroupCode
from kettrack.core.money import parse_amount
from kettrack.core.problems import InvalidInput, Problem
from kettrack.ui.basics import tr
from kettrack.ui.operations import query

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


class AdjustmentRows(QWidget):
    """An EOB's adjustment lines: group, reason code (CARC) with its meaning, remark codes, amount."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The reason codes a completer offers, read off the GUI thread; rows made before they are in
        # get them when they arrive.
        self.carcs = QStringListModel(self)
        reason_codes = ws.reason_codes
        query(
            self,
            lambda: [f"{c.code} – {c.description}" for c in reason_codes.reason_codes() if c.kind == "carc"],
            self.carcs.setStringList,
            what="read reason codes",
        )
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for column, title in enumerate(
            (tr("Group"), tr("Reason (CARC)"), tr("Remarks (RARC)"), tr("Amount"))
        ):
            self.grid.addWidget(QLabel(title), 0, column)
        self.rows: list[tuple[QComboBox, QLineEdit, QLineEdit, QLineEdit]] = []
        self.add_button = QPushButton(tr("Add adjustment"))
        self.add_button.clicked.connect(lambda: self.add_row())
        self.grid.addWidget(self.add_button, 99, 0, 1, 2)

    def add_row(
        self, group: GroupCode = GroupCode.CO, reason: str = "", amount: str = "", remarks: str = ""
    ) -> None:
        combo = QComboBox()
        for member in GroupCode:
            combo.addItem(member.label, member.value)
        combo.setCurrentIndex(combo.findData(group.value))
        code = QLineEdit(reason)
        completer = QCompleter(self.carcs, code)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        code.setCompleter(completer)
        code.setPlaceholderText(tr("e.g. 45 or 50"))
        note = QLineEdit(remarks)
        note.setPlaceholderText(tr("e.g. N130"))
        money = QLineEdit(amount)
        money.setAlignment(Qt.AlignmentFlag.AlignRight)
        money.setMinimumWidth(90)
        money.setMaximumWidth(120)
        row = len(self.rows) + 1
        for column, widget in enumerate((combo, code, note, money)):
            self.grid.addWidget(widget, row, column)
        self.rows.append((combo, code, note, money))

    def values(self, problems: list[Problem]) -> tuple[Adjustment, ...]:
        found = []
        for number, (combo, code, note, money) in enumerate(self.rows, start=1):
            reason = code.text().split("–")[0].strip()
            if not reason and not money.text().strip():
                continue
            if not reason:
                problems.append(
                    Problem("adjustments", f"line {number}: enter the reason code (CARC) on the notice")
                )
                continue
            try:
                amount = parse_amount(money.text(), f"adjustment {number}", allow_negative=True)
            except InvalidInput as exc:
                problems.extend(
                    Problem(
                        "adjustments", p.message if p.message[:1].isupper() else f"line {number}: {p.message}"
                    )
                    for p in exc.problems
                )
                continue
            found.append(Adjustment(GroupCode(combo.currentData()), reason, amount, note.text()))
        return tuple(found)
