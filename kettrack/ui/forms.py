"""Forms with inline validation: each field gets a red message label under it, and a store
``InvalidInput`` is spread over those labels by ``Problem.field`` (unknown fields go to the top). Edit
dialogs save through the operation helper (kettrack.ui.operations), off the GUI thread.

Written once and used by every edit dialog and by the first-run assistant. A form is declared as a
list of ``FieldSpec``s naming record attributes (dotted for nested ones, like ``address.city``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
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
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.rows import Choice
from kettrack.ui.basics import DATE_FORMAT, confirm, pydate, qdate, tell, tr  # noqa: F401 - re-exported
from kettrack.ui.operations import change, query

ERROR_STYLE = "color: #c62828;"


def error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


# --- field adaptors: one widget, its value in record terms ----------------------------------------


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


@dataclass(frozen=True)
class FieldSpec:
    """A form row: the record attribute it edits, its label, and how to make its widget."""

    name: str
    label: str
    make: Callable[[], Field]


# --- the form --------------------------------------------------------------------------------------


def _human(message: str, label: str) -> str:
    # Some messages are phrased relative to the field ("is too long ..."): lead with the label then.
    if message[:1].islower():
        return f"{label.rstrip(':')} {message}"
    return message


class ErrorForm(QWidget):
    """A form layout whose every row has a hidden red label for that field's problems."""

    def __init__(self, parent: QWidget | None = None, *, stretch: bool = True) -> None:
        super().__init__(parent)
        self.outer = outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.top_errors = error_label()
        self.top_errors.setObjectName("form_errors")
        outer.addWidget(self.top_errors)
        self.layout_ = QFormLayout()
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.layout_.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        outer.addLayout(self.layout_)
        if stretch:
            outer.addStretch(1)
        self._errors: dict[str, QLabel] = {}
        self._labels: dict[str, str] = {}

    def add_row(
        self, name: str, label: str, widget: QWidget, *aliases: str, form: QFormLayout | None = None
    ) -> QLabel:
        """Add ``widget`` beside ``label``; problems for ``name`` (or an alias) show beneath it."""
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        errors = error_label()
        errors.setObjectName(f"error_{name}")
        column.addWidget(errors)
        if not widget.accessibleName():
            widget.setAccessibleName(label.rstrip(":"))
        (form or self.layout_).addRow(label, cell)
        for key in (name, *aliases):
            self._errors[key] = errors
            self._labels[key] = label
        return errors

    def add_form(self) -> QFormLayout:
        """Another form column (dialogs with many fields lay them out side by side)."""
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        return form

    def error_for(self, name: str) -> QLabel:
        return self._errors.get(name, self.top_errors)

    def clear_problems(self) -> None:
        for label in {*self._errors.values(), self.top_errors}:
            label.clear()
            label.hide()

    def _target(self, field: str) -> str | None:
        # "payments[1].amount" -> "payments[1].amount", "payments[1]", "payments"; "address.city" ->
        # "address.city", "address": the most specific registered row wins.
        candidates = [field]
        stem = field
        while True:
            cut = max(stem.rfind("."), stem.rfind("["))
            if cut <= 0:
                break
            stem = stem[:cut]
            candidates.append(stem)
        return next((c for c in candidates if c in self._errors), None)

    def show_problems(self, problems: Iterable[Problem]) -> None:
        self.clear_problems()
        grouped: dict[QLabel, list[str]] = {}
        first: QLabel | None = None
        for problem in problems:
            key = self._target(problem.field)
            if key is None:
                label, text = self.top_errors, _human(problem.message, problem.field.replace("_", " "))
            else:
                label = self._errors[key]
                text = _human(problem.message, _problem_label(problem.field, self._labels[key]))
            grouped.setdefault(label, []).append(text)
            first = first or label
        for label, messages in grouped.items():
            label.setText("\n".join(messages))
            label.show()


def _problem_label(field: str, label: str) -> str:
    match = re.match(r"payments\[(\d+)\]\.(\w+)", field)
    if match:
        return tr("Payment {0} {1}").format(match.group(1), match.group(2).replace("_", " "))
    return label


def _get_path(record: Any, name: str) -> Any:
    for part in name.split("."):
        record = getattr(record, part)
    return record


def _replace_path(record: Any, name: str, value: Any) -> Any:
    head, _, rest = name.partition(".")
    if not rest:
        return dataclasses.replace(record, **{head: value})
    return dataclasses.replace(record, **{head: _replace_path(getattr(record, head), rest, value)})


def align_labels(*forms: ErrorForm) -> None:
    """Give the label columns of forms stacked on one page the same width."""
    labels = [
        item.widget()
        for form in forms
        for row in range(form.layout_.rowCount())
        if (item := form.layout_.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None and item.widget()
    ]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)
        if isinstance(label, QLabel):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RecordEditor(ErrorForm):
    """An ``ErrorForm`` built from ``FieldSpec``s that reads and writes a frozen record."""

    def __init__(
        self, specs: Sequence[FieldSpec], parent: QWidget | None = None, *, stretch: bool = True
    ) -> None:
        super().__init__(parent, stretch=stretch)
        self.fields: dict[str, Field] = {}
        for spec in specs:
            field = spec.make()
            field.widget.setObjectName(spec.name)
            self.fields[spec.name] = field
            self.add_row(spec.name, spec.label, field.widget)

    def load(self, record: Any) -> None:
        for name, field in self.fields.items():
            field.set(_get_path(record, name))

    def read(self, base: Any) -> Any:
        """``base`` with every field's value; widget parse problems raise one ``InvalidInput``."""
        problems: list[Problem] = []
        record = base
        for name, field in self.fields.items():
            try:
                record = _replace_path(record, name, field.get())
            except InvalidInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise InvalidInput(problems)
        return record

    def is_blank(self) -> bool:
        """True when the user typed nothing in any text-like field (for skippable pages)."""
        return all(f.is_blank() for f in self.fields.values() if not isinstance(f, EnumField | ChoiceField))


class RecordDialog(QDialog):
    """An edit dialog: build the record from the form, then ``save`` it on the database worker (through
    kettrack.ui.operations); problems show inline, and the dialog closes once the record is saved."""

    def __init__(
        self,
        title: str,
        form: QWidget,
        errors: ErrorForm,
        build: Callable[[], Any],
        save: Callable[[Any], Any],
        parent: QWidget | None = None,
        *,
        bus: Any = None,
        changes: Sequence[str] = (),
        what: str = "save record",
    ) -> None:
        """``save(record)`` runs off the GUI thread and returns the saved record; ``changes`` are the
        kinds announced on ``bus`` once it has."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.errors = errors
        self._build = build
        self._save = save
        self._bus = bus
        self._changes = tuple(changes)
        self._what = what
        self.saved: Any = None
        layout = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(form)
        layout.addWidget(scroll)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        if not self.buttons.isEnabled():
            return  # a save is on its way (Save is disabled meanwhile; a shortcut would still get here)
        try:
            record = self._build()
        except InvalidInput as exc:
            self.errors.show_problems(exc.problems)
            return
        self.submit(record)

    def submit(self, record: Any) -> None:
        """Save ``record``; Save waits (disabled) until the database worker reports back."""
        save = self._save
        self.buttons.setEnabled(False)
        change(
            self,
            lambda: save(record),
            self._saved,
            what=self._what,
            bus=self._bus,
            changes=self._changes,
            form=self.errors,
            after=lambda: self.buttons.setEnabled(True),
        )

    def _saved(self, saved: Any) -> None:
        self.saved = saved
        super().accept()
