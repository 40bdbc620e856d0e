"""The service lines of one session: what it is billed as (code, modifiers, diagnosis pointers, units,
charge, drug NDC and quantity), edited in a table and saved as a whole through the store, read and
written on the database worker (kettrack.ui.operations).

The table edits text; the lines are built and parsed only on Save, so a half-typed value never
blocks editing. The store's problems ("lines[2].units") mark their row and are listed above the table.
The lines' item model is in kettrack.ui.service_lines_model (its names are re-exported here).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.billing_checks import NDC_UNITS
from kettrack.core.codes import CodeCatalog
from kettrack.core.problems import InvalidInput, NotFound, Problem
from kettrack.core.records import InfusionRecord
from kettrack.core.service_lines import Proposal, ServiceLine, pointers_for
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ERROR_STYLE, error_label, tr
from kettrack.ui.operations import change, query
from kettrack.ui.service_lines_model import (
    CHARGE,
    CODE,
    DESCRIPTION,
    EDITABLE,
    FIELDS,
    MODIFIERS,
    NDC,
    NDC_UNIT,
    NUMERIC,
    POINTERS,
    PROBLEM_BACKGROUND,
    QUANTITY,
    UNITS,
    LineDraft,
    ServiceLinesModel,
)
from kettrack.ui.tables import RecordTable

__all__ = [
    "CHARGE",
    "CODE",
    "DESCRIPTION",
    "EDITABLE",
    "FIELDS",
    "MODIFIERS",
    "NDC",
    "NDC_UNIT",
    "NUMERIC",
    "POINTERS",
    "PROBLEM_BACKGROUND",
    "QUANTITY",
    "UNITS",
    "LineDraft",
    "ServiceLinesDialog",
    "ServiceLinesModel",
    "UnitDelegate",
]

_Index = QModelIndex | QPersistentModelIndex
_LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")


class UnitDelegate(QStyledItemDelegate):
    """Edits the NDC quantity unit with a list of the allowed units (or none)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName(tr("NDC quantity unit"))
        combo.addItem("", "")
        for unit in NDC_UNITS:
            combo.addItem(unit, unit)
        return combo

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.EditRole)), 0))

    def setModelData(self, editor: QWidget, model: Any, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData() or "", Qt.ItemDataRole.EditRole)


def _field_label(name: str) -> str:
    labels = {
        "code": tr("code"),
        "description": tr("description"),
        "modifiers": tr("modifiers"),
        "pointers": tr("pointers"),
        "units": tr("units"),
        "charge": tr("charge"),
        "ndc": tr("NDC"),
        "ndc_unit": tr("unit"),
        "ndc_quantity": tr("quantity"),
        "place_of_service": tr("place of service"),
        "service_date": tr("date"),
    }
    return labels.get(name, name.replace("_", " "))


class ServiceLinesDialog(QDialog):
    """Edit one session's service lines; Save replaces them all at once."""

    missing_found = Signal()  # the session was deleted before its lines could be read

    def __init__(
        self, ws: Workspace, bus: ChangeBus, infusion_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus, self.infusion_id = ws, bus, infusion_id
        # Filled when the session arrives from the database worker; ``missing`` if it was deleted.
        self.record: InfusionRecord | None = None
        self.patient_name = ""
        self.catalog = CodeCatalog(())
        self.missing = False
        self.setWindowTitle(tr("Billing lines"))

        self.summary = QLabel()
        self.summary.setObjectName("lines_summary")
        self.summary.setWordWrap(True)
        self.warnings = QLabel()
        self.warnings.setObjectName("lines_warnings")
        self.warnings.setWordWrap(True)
        # Amber: worth a look, not an error; lighter on a dark palette so it stays readable.
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.warnings.setStyleSheet(f"color: {'#ffb74d' if dark else '#8a5300'};")
        self.warnings.hide()
        self.problems = error_label()
        self.problems.setObjectName("lines_problems")
        self.problems.setStyleSheet(ERROR_STYLE + " font-weight: bold;")

        self.model = ServiceLinesModel(self._describe, None, self)
        self.table = RecordTable("service_lines")
        self.table.setModel(self.model)
        self.table.setAccessibleName(tr("Service lines"))
        self.table.verticalHeader().show()
        self.table.setEditTriggers(
            RecordTable.EditTrigger.DoubleClicked
            | RecordTable.EditTrigger.EditKeyPressed
            | RecordTable.EditTrigger.AnyKeyPressed
        )
        self.table.setItemDelegateForColumn(NDC_UNIT, UnitDelegate(self.table))
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.restore_header((62, 300, 80, 70, 50, 90, 120, 50, 70))
        # The description takes the spare width, so the table has no empty band on the right.
        self.table.horizontalHeader().setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)

        self.add_button = QPushButton(tr("Add line"))
        self.remove_button = QPushButton(tr("Remove line"))
        self.reset_button = QPushButton(tr("Reset to proposal"))
        self.reset_button.setToolTip(tr("Replace the lines with those proposed from the session and fees"))
        self.add_button.clicked.connect(self.add_line)
        self.remove_button.clicked.connect(self.remove_line)
        self.reset_button.clicked.connect(self.reset_to_proposal)
        row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.reset_button):
            button.setAutoDefault(False)  # Enter saves the lines, it does not add another
            row.addWidget(button)
        row.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.problems)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(980, 420)
        self.saved: list[ServiceLine] | None = None
        self.buttons.setEnabled(False)  # until the lines are in
        self.load()

    def _describe(self, code: str) -> str:
        entry = self.catalog.get(code) if code.strip() else None
        return entry.description if entry else ""

    def load(self) -> None:
        """The saved lines; when there are none yet, the proposal (not saved until Save)."""
        ws, infusion_id = self.ws, self.infusion_id

        def read() -> tuple[InfusionRecord, str, CodeCatalog, list[ServiceLine], Proposal | None]:
            record = ws.infusions.get(infusion_id)  # NotFound if it was deleted
            name = ws.patients.get(record.patient_id).legal_name
            saved = ws.service_lines.for_infusion(infusion_id)
            return (
                record,
                name,
                ws.codes.catalog(),
                saved,
                None if saved else ws.service_lines.propose(infusion_id),
            )

        query(self, read, self._loaded, what="open billing lines", handle={NotFound: self._gone})

    def _gone(self, _missing: NotFound) -> None:
        self.missing = True
        self.missing_found.emit()
        self.reject()
        self.deleteLater()

    def _loaded(
        self, loaded: tuple[InfusionRecord, str, CodeCatalog, list[ServiceLine], Proposal | None]
    ) -> None:
        self.record, self.patient_name, self.catalog, saved, proposal = loaded
        self.model.dose = self.record.dose_mg
        self.setWindowTitle(
            tr("Billing lines — {0}, {1}").format(self.patient_name, self.record.service_date.isoformat())
        )
        self.buttons.setEnabled(True)
        if proposal is None:
            self.model.set_lines(saved)
            self._show_warnings(())
            self._set_summary(proposed=False)
        else:
            self._show_proposal(proposal)

    def reset_to_proposal(self) -> None:
        lines, infusion_id = self.ws.service_lines, self.infusion_id
        query(self, lambda: lines.propose(infusion_id), self._show_proposal, what="propose billing lines")

    def _show_proposal(self, proposal: Proposal) -> None:
        self.model.set_lines(proposal.lines)
        self._show_warnings(proposal.warnings)
        self._set_summary(proposed=True)
        self._show_problems([])

    def _set_summary(self, *, proposed: bool) -> None:
        r = self.record
        if r is None:
            return
        diagnoses = "  ".join(
            f"{letter} {code}" for letter, code in zip("ABCDEFGHIJKL", r.diagnoses, strict=False)
        )
        state = (
            tr("Proposed from the session and the fee schedule: not saved yet.")
            if proposed
            else tr("Saved lines.")
        )
        self.summary.setText(
            tr("{0} · {1} · {2} {3} · diagnoses: {4}\n{5}").format(
                self.patient_name,
                r.service_date.isoformat(),
                r.drug.label,
                r.route.label,
                diagnoses or tr("none"),
                state,
            )
        )

    def _show_warnings(self, warnings: Any) -> None:
        self.warnings.setText("\n".join(f"• {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))

    def _show_problems(self, problems: list[Problem]) -> None:
        by_row: dict[int, list[str]] = {}
        messages: list[str] = []
        for problem in problems:
            match = _LINE_FIELD.fullmatch(problem.field)
            if match is None:
                messages.append(problem.message[:1].upper() + problem.message[1:])
                continue
            number, name = int(match.group(1)), match.group(2)
            text = problem.message
            if text[:1].islower():  # phrased after the field ("is empty ..."): lead with its name
                text = f"{_field_label(name)} {text}"
            by_row.setdefault(number - 1, []).append(text)
            messages.append(tr("Line {0}, {1}: {2}").format(number, _field_label(name), text))
        self.model.set_problems(by_row)
        self.problems.setText("\n".join(messages))
        self.problems.setVisible(bool(messages))

    def add_line(self) -> None:
        r = self.record
        if r is None:
            return  # not loaded yet
        line = ServiceLine(
            service_date=r.service_date,
            place_of_service=r.place_of_service,
            code="",
            description="",
            units=1,
            charge=Decimal("0.00"),
            pointers=pointers_for(len(r.diagnoses)),
            infusion_id=self.infusion_id,
        )
        row = self.model.add(line)
        self.table.selectRow(row)
        self.table.edit(self.model.index(row, CODE))

    def remove_line(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.model.remove(index.row())
            self._show_problems([])

    def accept(self) -> None:
        try:
            lines = self.model.lines()
        except InvalidInput as exc:
            self._show_problems(list(exc.problems))
            return
        service_lines, infusion_id = self.ws.service_lines, self.infusion_id
        self.buttons.setEnabled(False)
        change(
            self,
            lambda: service_lines.replace_lines(infusion_id, lines),
            self._saved,
            what="save billing lines",
            bus=self.bus,
            changes=(changes.BILLING,),
            handle={InvalidInput: lambda exc: self._show_problems(list(exc.problems))},
            after=lambda: self.buttons.setEnabled(True),
        )

    def _saved(self, saved: list[ServiceLine]) -> None:
        self.saved = saved
        super().accept()
