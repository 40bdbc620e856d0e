"""Form field widgets: each adapts one widget (a line edit, a date with an "is it given" check box, a
score spin box, an enum or id picker...) to one record attribute's value, and ``FieldSpec`` declares a
form row from one. Forms are built from them in kettrack.ui.forms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from kettrack.core.rows import Choice
from kettrack.ui.basics import DATE_FORMAT, pydate, qdate, tr
from kettrack.ui.operations import query


class Field:
    """A widget holding one record attribute's value."""

    widget: QWidget

    def get(self) -> Any:
        raise NotImplementedError

    def set(self, value: Any) -> None:
        raise NotImplementedError

    def is_blank(self) -> bool:
        return False


class TextField(Field):
    def __init__(self, placeholder: str = "") -> None:
        self.widget = self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)

    def get(self) -> str:
        return self.edit.text()

    def set(self, value: Any) -> None:
        self.edit.setText(value or "")

    def is_blank(self) -> bool:
        return not self.edit.text().strip()


class MultilineField(Field):
    def __init__(self) -> None:
        self.widget = self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 3 + 14)

    def get(self) -> str:
        return self.edit.toPlainText()

    def set(self, value: Any) -> None:
        self.edit.setPlainText(value or "")

    def is_blank(self) -> bool:
        return not self.edit.toPlainText().strip()


class DecimalField(Field):
    """Decimal text, parsed on read; a parse problem is reported against the field's name."""

    def __init__(self, name: str, *, places: int = 2, maximum: Decimal = Decimal("99999")) -> None:
        self.name, self.places, self.maximum = name, places, maximum
        self.widget = self.edit = QLineEdit()
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.setMaximumWidth(120)

    def get(self) -> Decimal | None:
        text = self.edit.text().strip()
        if not text:
            return None
        from kettrack.core.validation import parse_decimal  # not needed to show the first window

        return parse_decimal(text, self.name, places=self.places, maximum=self.maximum)

    def set(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def is_blank(self) -> bool:
        return not self.edit.text().strip()


class OptionalDateField(Field):
    """A date that may be absent: a checkbox switches the date edit on."""

    def __init__(self, default: Callable[[], date] = date.today, *, required: bool = False) -> None:
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox()
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(DATE_FORMAT)
        self.edit.setDate(qdate(default()))
        self.required = required
        if required:
            self.check.hide()
        else:
            self.check.setAccessibleName(tr("Date given"))
            self.check.toggled.connect(self.edit.setEnabled)
            self.edit.setEnabled(False)
        row.addWidget(self.check)
        row.addWidget(self.edit)
        row.addStretch(1)

    def get(self) -> date | None:
        if not self.required and not self.check.isChecked():
            return None
        return pydate(self.edit.date())

    def set(self, value: Any) -> None:
        if value is not None:
            self.edit.setDate(qdate(value))
        self.check.setChecked(value is not None)
        self.edit.setEnabled(self.required or value is not None)

    def is_blank(self) -> bool:
        return not self.required and not self.check.isChecked()


class OptionalTimeField(Field):
    def __init__(self) -> None:
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox()
        self.check.setAccessibleName(tr("Time given"))
        self.edit = QTimeEdit()
        self.edit.setDisplayFormat("HH:mm")
        self.edit.setEnabled(False)
        self.check.toggled.connect(self.edit.setEnabled)
        row.addWidget(self.check)
        row.addWidget(self.edit)
        row.addStretch(1)

    def get(self) -> time | None:
        if not self.check.isChecked():
            return None
        t = self.edit.time()
        return time(t.hour(), t.minute())

    def set(self, value: Any) -> None:
        if value is not None:
            self.edit.setTime(QTime(value.hour, value.minute))
        self.check.setChecked(value is not None)


class ScoreField(Field):
    """An optional score: the lowest spin value means "not recorded"."""

    def __init__(self, top: int) -> None:
        self.widget = self.spin = QSpinBox()
        self.spin.setRange(-1, top)
        self.spin.setSpecialValueText(tr("not recorded"))
        self.spin.setValue(-1)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignRight)

    def get(self) -> int | None:
        value = self.spin.value()
        return None if value < 0 else value

    def set(self, value: Any) -> None:
        self.spin.setValue(-1 if value is None else int(value))

    def is_blank(self) -> bool:
        return self.spin.value() < 0


class EnumField(Field):
    def __init__(self, enum: type[Enum]) -> None:
        self.enum = enum
        self.widget = self.combo = QComboBox()
        # Item data holds the plain value: Qt hands a str back for a StrEnum member, losing its type.
        for member in enum:
            self.combo.addItem(getattr(member, "label", str(member.value)), member.value)

    def get(self) -> Any:
        return self.enum(self.combo.currentData())

    def set(self, value: Any) -> None:
        index = self.combo.findData(value.value if isinstance(value, Enum) else value)
        if index >= 0:
            self.combo.setCurrentIndex(index)


class ChoiceField(Field):
    """An id picked from ``Choice``s, optionally with a "none" entry. The choices are read off the GUI
    thread (``choices`` runs on the database worker); a value set before they arrive is picked then."""

    def __init__(self, choices: Callable[[], Sequence[Choice]], *, none_label: str | None = None) -> None:
        self.widget = self.combo = QComboBox()
        self._choices = choices
        self._none_label = none_label
        self._wanted: Any = None  # the value to pick once the choices are in
        self._filled = False
        self.reload()

    def reload(self) -> None:
        if self._filled:
            self._wanted = self.combo.currentData()
        query(self.combo, self._choices, self._fill, what="read choices")

    def _fill(self, choices: Sequence[Choice]) -> None:
        self.combo.clear()
        if self._none_label is not None:
            self.combo.addItem(self._none_label, None)
        for choice in choices:
            self.combo.addItem(choice.label, choice.id)
        self._filled = True
        self.set(self._wanted)

    def get(self) -> int | None:
        return self.combo.currentData() if self._filled else self._wanted

    def set(self, value: Any) -> None:
        self._wanted = value
        index = self.combo.findData(value)
        if index >= 0:
            self.combo.setCurrentIndex(index)


class IntField(Field):
    """A whole number in a spin box."""

    def __init__(self, low: int, high: int) -> None:
        self.widget = self.spin = QSpinBox()
        self.spin.setRange(low, high)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignRight)

    def get(self) -> int:
        return self.spin.value()

    def set(self, value: Any) -> None:
        self.spin.setValue(int(value))


class CheckField(Field):
    """A yes/no value as a check box carrying its own text."""

    def __init__(self, text: str) -> None:
        self.widget = self.check = QCheckBox(text)

    def get(self) -> bool:
        return self.check.isChecked()

    def set(self, value: Any) -> None:
        self.check.setChecked(bool(value))


@dataclass(frozen=True)
class FieldSpec:
    """A form row: the record attribute it edits, its label, and how to make its widget."""

    name: str
    label: str
    make: Callable[[], Field]
