"""The payments table of the session dialog: date, amount, method (picked from the known methods) and
reference, edited as text and parsed into ``PaymentRecord``s on Save; a parse problem names its row
(``payments[2].amount``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.enums import PaymentMethod
from kettrack.core.money import parse_amount
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import PaymentRecord
from kettrack.core.validation import parse_date
from kettrack.ui.basics import tr

_Index = QModelIndex | QPersistentModelIndex

PAY_DATE, PAY_AMOUNT, PAY_METHOD, PAY_REFERENCE = range(4)


class MethodDelegate(QStyledItemDelegate):
    """Edits the payment method column with a combo of the known methods."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        combo = QComboBox(parent)
        for method in PaymentMethod:
            combo.addItem(method.label, method)
        return combo

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        found = editor.findText(str(index.data()))
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText())


class PaymentsEditor(QWidget):
    """A small editable table of payments: date, amount, method, reference."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.model = QStandardItemModel(0, 4, self)
        self.model.setHorizontalHeaderLabels([tr("Date"), tr("Amount"), tr("Method"), tr("Reference")])
        self.table = QTableView()
        self.table.setObjectName("payments_table")
        self.table.setAccessibleName(tr("Payments"))
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PAY_METHOD, MethodDelegate(self.table))
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.horizontalHeader().setSectionResizeMode(PAY_REFERENCE, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(PAY_DATE, 100)
        self.table.setColumnWidth(PAY_AMOUNT, 90)
        self.table.setColumnWidth(PAY_METHOD, 120)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(150)
        add = QPushButton(tr("Add payment"))
        add.clicked.connect(lambda: self.add_payment())
        remove = QPushButton(tr("Remove payment"))
        remove.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def add_payment(self, payment: PaymentRecord | None = None) -> int:
        paid_on = payment.paid_on if payment else self.today
        amount = payment.amount if payment else Decimal("0.00")
        cells = [
            QStandardItem(paid_on.isoformat()),
            QStandardItem(f"{amount:.2f}" if payment else ""),
            QStandardItem((payment.method if payment else PaymentMethod.CARD).label),
            QStandardItem(payment.reference if payment else ""),
        ]
        cells[PAY_AMOUNT].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.model.appendRow(cells)
        return self.model.rowCount() - 1

    def set_cell(self, row: int, column: int, text: str) -> None:
        self.model.item(row, column).setText(text)

    def remove_selected(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.model.removeRow(index.row())

    def set_payments(self, payments: tuple[PaymentRecord, ...]) -> None:
        self.model.removeRows(0, self.model.rowCount())
        for payment in payments:
            self.add_payment(payment)

    def payments(self) -> tuple[PaymentRecord, ...]:
        """The payments typed in; the dialog's own parse problems name ``payments[n].field``."""
        problems: list[Problem] = []
        found: list[PaymentRecord] = []
        for row in range(self.model.rowCount()):
            number = row + 1

            def text(column: int, row: int = row) -> str:
                item = self.model.item(row, column)
                return item.text().strip() if item is not None else ""

            if not any(text(c) for c in (PAY_AMOUNT, PAY_REFERENCE)):
                continue  # an untouched new row is not a payment
            record: dict[str, Any] = {}
            for name, parse in (
                ("paid_on", lambda n=number: parse_date(text(PAY_DATE), f"payments[{n}].paid_on")),
                ("amount", lambda n=number: parse_amount(text(PAY_AMOUNT), f"payments[{n}].amount")),
                ("method", lambda: PaymentMethod.parse(text(PAY_METHOD) or "card")),
            ):
                try:
                    record[name] = parse()
                except InvalidInput as exc:
                    problems.extend(exc.problems)
                except ValueError as exc:
                    problems.append(Problem(f"payments[{number}].{name}", str(exc)))
            if len(record) == 3:
                found.append(PaymentRecord(reference=text(PAY_REFERENCE), **record))
        if problems:
            raise InvalidInput(problems)
        return tuple(found)
