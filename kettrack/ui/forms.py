"""Forms with inline validation: each field gets a red message label under it, and a store
``InvalidInput`` is spread over those labels by ``Problem.field`` (unknown fields go to the top). Edit
dialogs save through the operation helper (kettrack.ui.operations), off the GUI thread.

Written once and used by every edit dialog and by the first-run assistant. A form is declared as a
list of ``FieldSpec``s naming record attributes (dotted for nested ones, like ``address.city``); the
field widgets themselves are in kettrack.ui.form_fields and are re-exported here, with the small
helpers of kettrack.ui.basics, so a dialog imports its form kit from one place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.problems import InvalidInput, Problem
from kettrack.ui.basics import DATE_FORMAT, confirm, pydate, qdate, tell, tr
from kettrack.ui.form_fields import (
    CheckField,
    ChoiceField,
    DecimalField,
    EnumField,
    Field,
    FieldSpec,
    IntField,
    MultilineField,
    OptionalDateField,
    OptionalTimeField,
    ScoreField,
    TextField,
)
from kettrack.ui.operations import change

__all__ = [
    "DATE_FORMAT",
    "ERROR_STYLE",
    "CheckField",
    "ChoiceField",
    "DecimalField",
    "EnumField",
    "ErrorForm",
    "Field",
    "FieldSpec",
    "IntField",
    "MultilineField",
    "OptionalDateField",
    "OptionalTimeField",
    "RecordDialog",
    "RecordEditor",
    "ScoreField",
    "TextField",
    "align_labels",
    "confirm",
    "error_label",
    "pydate",
    "qdate",
    "tell",
    "tr",
]

ERROR_STYLE = "color: #c62828;"


def error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


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
