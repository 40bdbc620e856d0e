"""The Billing section: fee schedules (what each provider or clinic charges per code) and the code
list (CPT and HCPCS codes with kettrack's own descriptions, their validity dates and retirements),
plus which ICD-10-CM release is in use. Every read and write goes through the store's billing
repositories on the database worker (kettrack.ui.operations)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.codes import CodeCatalog, CodeKind, ProcedureCode, code_system
from kettrack.core.icd10 import Icd10Index
from kettrack.core.money import format_usd, parse_amount
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import ProviderRecord
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import (
    EnumField,
    ErrorForm,
    Field,
    FieldSpec,
    OptionalDateField,
    RecordDialog,
    RecordEditor,
    TextField,
    confirm,
    tell,
    tr,
)
from kettrack.ui.operations import change, query
from kettrack.ui.tables import Column, RecordTable, RecordTableModel
from kettrack.ui.workers import Workers, shared_workers

_Index = QModelIndex | QPersistentModelIndex


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def code_completer(catalog: CodeCatalog, parent: QWidget) -> QCompleter:
    """Completes a code as it is typed, from the codes in the list (case does not matter)."""
    completer = QCompleter([c.code for c in catalog], parent)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return completer


# --- fee schedules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeRow:
    """One fee of a provider's schedule as the table shows it."""

    code: str
    description: str
    amount: Decimal
    ndc: str


def fee_columns() -> list[Column[FeeRow]]:
    return [
        Column(tr("Code"), lambda r: r.code),
        Column(tr("Description"), lambda r: r.description),
        Column(tr("Charge per unit"), lambda r: format_usd(r.amount), numeric=True),
        Column(tr("NDC"), lambda r: r.ndc),
    ]


def fee_saver(
    ws: Workspace, provider_id: int
) -> Callable[[tuple[str, Decimal, str]], tuple[str, Decimal, str]]:
    """What saves a fee of ``provider_id``'s schedule, on the database worker (no widget in it)."""
    fees = ws.fees

    def save(fee: tuple[str, Decimal, str]) -> tuple[str, Decimal, str]:
        code, amount, ndc = fee
        fees.set_fee(provider_id, code, amount, ndc)
        return fee

    return save


class FeeDialog(RecordDialog):
    """Add or change one fee: code (completed from the code list), amount per unit, usual NDC."""

    def __init__(
        self,
        ws: Workspace,
        bus: ChangeBus,
        provider_id: int,
        fee: FeeRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self.ws, self.bus, self.provider_id = ws, bus, provider_id
        self.catalog: CodeCatalog | None = None  # read off the GUI thread; the code is checked once it is in
        self.form = ErrorForm()
        self.code = QLineEdit()
        self.code.setObjectName("fee_code")
        self.code.setPlaceholderText("96365")
        self.description = QLabel()
        self.description.setObjectName("fee_code_description")
        self.description.setWordWrap(True)
        self.amount = QLineEdit()
        self.amount.setObjectName("fee_amount")
        self.amount.setPlaceholderText("450.00")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount.setMaximumWidth(140)
        self.ndc = QLineEdit()
        self.ndc.setObjectName("fee_ndc")
        self.ndc.setPlaceholderText(tr("only for drug codes, e.g. 0409-2053-05"))
        self.form.add_row("code", tr("Code:"), self.code)
        self.form.layout_.addRow("", self.description)
        self.form.add_row("amount", tr("Charge per unit:"), self.amount)
        self.form.add_row("ndc", tr("NDC:"), self.ndc)
        self.code.textChanged.connect(self._describe)
        if fee is not None:
            self.code.setText(fee.code)
            self.code.setEnabled(False)  # another code is another fee: remove this one and add that
            self.amount.setText(str(fee.amount))
            self.ndc.setText(fee.ndc)
        title = tr("Edit fee {0}").format(fee.code) if fee else tr("Add fee")
        super().__init__(
            title,
            self.form,
            self.form,
            self._read,
            fee_saver(ws, provider_id),
            parent,
            bus=bus,
            changes=(changes.BILLING,),
            what="save fee",
        )
        self.resize(460, 260)
        query(self, ws.codes.catalog, self._catalog_ready, what="read code list")

    def _catalog_ready(self, catalog: CodeCatalog) -> None:
        self.catalog = catalog
        self.code.setCompleter(code_completer(catalog, self.code))
        self._describe(self.code.text())

    def _describe(self, text: str) -> None:
        entry = self.catalog.get(text) if text.strip() and self.catalog is not None else None
        self.description.setText(entry.description if entry else "")

    def _read(self) -> tuple[str, Decimal, str]:
        problems: list[Problem] = []
        code = self.code.text().strip().upper()
        if code_system(code) is None:
            problems.append(Problem("code", tr("Enter a CPT or HCPCS code, like 96365 or J3490")))
        elif self.catalog is None:
            problems.append(Problem("code", tr("The code list is still loading: try again in a moment")))
        elif code not in self.catalog:
            missing = tr("{0} is not in the code list: add it under Codes first").format(code)
            problems.append(Problem("code", missing))
        amount = Decimal(0)
        try:
            amount = parse_amount(self.amount.text(), "amount")
        except InvalidInput as exc:
            problems.extend(exc.problems)
        if problems:
            raise InvalidInput(problems)
        return code, amount, self.ndc.text()


class FeeSchedulesTab(QWidget):
    """A provider or clinic picker and that one's fees, with Add / Edit / Remove."""

    def __init__(self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.bus = ws, bus
        self.provider = QComboBox()
        self.provider.setObjectName("fee_provider")
        self.provider.setAccessibleName(tr("Provider or clinic"))
        self.provider.setMinimumContentsLength(28)
        self.provider.currentIndexChanged.connect(lambda _i: self.refresh())
        note = QLabel(tr("A session is priced from its rendering provider's fees, else from its clinic's."))
        note.setObjectName("fee_note")
        note.setWordWrap(True)
        self.empty_note = QLabel(tr("Add a provider or clinic under People first."))
        self.empty_note.hide()

        self.model: RecordTableModel[FeeRow] = RecordTableModel(fee_columns(), self)
        self.table = RecordTable("billing_fees")
        self.table.setModel(self.model)
        self.table.setAccessibleName(tr("Fees"))
        self.table.activated.connect(lambda _index: self.edit_item())

        picker = QHBoxLayout()
        picker.addWidget(QLabel(tr("Fees of:")))
        picker.addWidget(self.provider)
        picker.addStretch(1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(tr("Add…"))
        self.edit_button = QPushButton(tr("Edit…"))
        self.remove_button = QPushButton(tr("Remove"))
        for button, slot in (
            (self.add_button, self.new_item),
            (self.edit_button, self.edit_item),
            (self.remove_button, self.delete_item),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(note)
        layout.addWidget(self.empty_note)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.load_providers()
        self.table.restore_header((80, 560, 110))

    def load_providers(self) -> None:
        query(self, self.ws.providers.list, self._show_providers, what="list providers")

    def _show_providers(self, records: list[ProviderRecord]) -> None:
        current = self.provider.currentData()
        self.provider.blockSignals(True)
        self.provider.clear()
        for record in records:
            if record.id is not None:
                self.provider.addItem(f"{record.display_name} ({record.kind.label})", record.id)
        index = self.provider.findData(current)
        self.provider.setCurrentIndex(max(index, 0))
        self.provider.blockSignals(False)
        has_any = self.provider.count() > 0
        self.empty_note.setVisible(not has_any)
        for button in (self.add_button, self.edit_button, self.remove_button):
            button.setEnabled(has_any)
        self.refresh()

    def provider_id(self) -> int | None:
        value = self.provider.currentData()
        return int(value) if value is not None else None

    def select_provider(self, provider_id: int) -> None:
        self.provider.setCurrentIndex(self.provider.findData(provider_id))

    def refresh(self) -> None:
        provider_id, ws = self.provider_id(), self.ws

        def read() -> list[FeeRow]:
            fees = ws.fees.for_provider(provider_id) if provider_id is not None else {}
            catalog = ws.codes.catalog()
            rows = []
            for code, (amount, ndc) in sorted(fees.items()):
                entry = catalog.get(code)
                rows.append(FeeRow(code, entry.description if entry else "", amount, ndc))
            return rows

        query(self, read, self.model.set_records, what="list fees")

    def current_fee(self) -> FeeRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.records[index.row()]

    def open_dialog(self, fee: FeeRow | None) -> FeeDialog | None:
        provider_id = self.provider_id()
        if provider_id is None:
            return None
        dialog = FeeDialog(self.ws, self.bus, provider_id, fee, self)
        dialog.open()
        return dialog

    def new_item(self) -> None:
        self.open_dialog(None)

    def edit_item(self) -> None:
        fee = self.current_fee()
        if fee is not None:
            self.open_dialog(fee)

    def delete_item(self) -> None:
        fee, provider_id = self.current_fee(), self.provider_id()
        if fee is None or provider_id is None:
            return
        if not confirm(
            self,
            tr("Remove fee"),
            tr("Remove the fee for {0} from {1}'s schedule?").format(fee.code, self.provider.currentText()),
        ):
            return
        fees, code = self.ws.fees, fee.code
        change(
            self,
            lambda: fees.remove(provider_id, code),
            what="remove fee",
            bus=self.bus,
            changes=(changes.BILLING,),
        )


# --- codes -----------------------------------------------------------------------------------------


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


def code_specs(ws: Workspace) -> list[FieldSpec]:
    return [
        FieldSpec("code", tr("Code:"), lambda: TextField("96365, J3490")),
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(CodeKind)),
        FieldSpec("description", tr("Description:"), lambda: TextField(tr("in your own plain words"))),
        FieldSpec("default_units", tr("Default units:"), lambda: IntField(1, 999)),
        FieldSpec("effective_from", tr("Valid from:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("effective_to", tr("Valid to:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("replaced_by", tr("Replaced by:"), TextField),
        FieldSpec("add_on", tr("Add-on:"), lambda: CheckField(tr("billed only with a primary code"))),
    ]


def code_dialog(
    ws: Workspace, bus: ChangeBus, entry: ProcedureCode | None, parent: QWidget | None = None
) -> RecordDialog:
    """Add a code, or change one's description, units or dates (the code itself stays)."""
    editor = RecordEditor(code_specs(ws))
    base = entry or ProcedureCode("", CodeKind.ADMINISTRATION, "")
    editor.load(base)
    if entry is not None:
        editor.fields["code"].widget.setEnabled(False)
    copyright_note = QLabel(
        tr(
            "CPT descriptors are copyrighted by the AMA, so kettrack describes every code in its own "
            "words: write what the code is for, not the official text."
        )
    )
    copyright_note.setWordWrap(True)
    copyright_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    editor.outer.insertWidget(0, copyright_note)

    title = tr("Edit code {0}").format(entry.code) if entry else tr("Add code")
    dialog = RecordDialog(
        title,
        editor,
        editor,
        lambda: editor.read(base),
        ws.codes.save,
        parent,
        bus=bus,
        changes=(changes.BILLING,),
        what="save code",
    )
    dialog.resize(540, 390)
    return dialog


class RetireDialog(RecordDialog):
    """Retire a code: its last valid day of service and the code that replaces it."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, entry: ProcedureCode, parent: QWidget | None = None
    ) -> None:
        self.ws, self.bus, self.entry = ws, bus, entry
        self.form = ErrorForm()
        intro = QLabel(
            tr("{0} will not be proposed for sessions after its last valid day.").format(entry.code)
        )
        intro.setWordWrap(True)
        self.form.outer.insertWidget(0, intro)
        self.last_day = OptionalDateField(ws.today, required=True)
        self.last_day.set(entry.effective_to or ws.today())
        self.last_day.edit.setObjectName("retire_last_day")
        self.replacement = QLineEdit(entry.replaced_by)
        self.replacement.setObjectName("retire_replaced_by")
        query(
            self.replacement,
            ws.codes.catalog,
            lambda catalog: self.replacement.setCompleter(code_completer(catalog, self.replacement)),
            what="read code list",
        )
        self.replacement.setPlaceholderText(tr("optional"))
        self.form.add_row("effective_to", tr("Last valid day:"), self.last_day.widget, "code")
        self.last_day.edit.setAccessibleName(tr("Last valid day"))
        self.form.add_row("replaced_by", tr("Replaced by:"), self.replacement)
        title = tr("Retire {0}").format(entry.code)
        codes, code = ws.codes, entry.code  # the save runs on the database worker: no widget in it
        super().__init__(
            title,
            self.form,
            self.form,
            self._read,
            lambda retirement: codes.retire(code, *retirement),
            parent,
            bus=bus,
            changes=(changes.BILLING,),
            what="retire code",
        )
        self.buttons.button(self.buttons.StandardButton.Save).setText(tr("Retire"))
        self.resize(420, 220)

    def _read(self) -> tuple[date, str]:
        last_day = self.last_day.get()
        assert last_day is not None  # the field is required
        return last_day, self.replacement.text().strip()


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


class CodesTab(QWidget):
    """The code list with Add / Edit / Retire, and the ICD-10-CM release in use."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None, *, workers: Workers | None = None
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus = ws, bus
        note = QLabel(
            tr(
                "CPT descriptors are copyrighted, so kettrack describes each code in its own words. "
                "Greyed codes are retired: they are not proposed for sessions after their last day."
            )
        )
        note.setWordWrap(True)
        self.icd = QLabel(tr("ICD-10-CM code set: loading…"))
        self.icd.setObjectName("icd_version")
        self.icd.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = CodeTableModel(ws.today, self)
        self.table = RecordTable("billing_codes")
        self.table.setModel(self.model)
        self.table.setAccessibleName(tr("Procedure codes"))
        self.table.activated.connect(lambda _index: self.edit_item())
        buttons = QHBoxLayout()
        self.add_button = QPushButton(tr("Add…"))
        self.edit_button = QPushButton(tr("Edit…"))
        self.retire_button = QPushButton(tr("Retire…"))
        for button, slot in (
            (self.add_button, self.new_item),
            (self.edit_button, self.edit_item),
            (self.retire_button, self.retire_item),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        layout.addWidget(self.icd)
        self.refresh()
        self.table.restore_header((70, 105, 440, 50, 90, 90))
        # The index can take seconds to load the first time: never on the GUI thread.
        (workers or shared_workers()).run(ws.icd10, self._show_icd, self._icd_failed)

    def _show_icd(self, index: Icd10Index) -> None:
        if not shiboken6.isValid(self.icd):
            return  # the section was closed while the index loaded
        text = tr("ICD-10-CM code set in use: {0}, {1:,} billable diagnosis codes")
        self.icd.setText(text.format(index.version, len(index)))

    def _icd_failed(self, error: BaseException) -> None:
        if not shiboken6.isValid(self.icd):
            return
        self.icd.setText(tr("The ICD-10-CM code set could not be loaded: {0}").format(error))

    def refresh(self) -> None:
        codes = self.ws.codes
        query(self, lambda: list(codes.catalog()), self._show_codes, what="list codes")

    def _show_codes(self, codes: list[ProcedureCode]) -> None:
        current = self.current_code()
        self.model.set_records(codes)
        if current is not None:
            self.select_code(current.code)

    def select_code(self, code: str) -> None:
        row = next((i for i, c in enumerate(self.model.records) if c.code == code), -1)
        if row >= 0:
            self.table.selectRow(row)

    def current_code(self) -> ProcedureCode | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.records[index.row()]

    def new_item(self) -> RecordDialog:
        dialog = code_dialog(self.ws, self.bus, None, self)
        dialog.open()
        return dialog

    def edit_item(self) -> RecordDialog | None:
        entry = self.current_code()
        if entry is None:
            return None
        dialog = code_dialog(self.ws, self.bus, entry, self)
        dialog.open()
        return dialog

    def retire_item(self) -> RetireDialog | None:
        entry = self.current_code()
        if entry is None:
            tell(self, tr("Retire code"), tr("Select the code to retire first."))
            return None
        dialog = RetireDialog(self.ws, self.bus, entry, self)
        dialog.open()
        return dialog

    def delete_item(self) -> None:
        # Codes are retired, never deleted: old sessions and issued superbills still name them.
        self.retire_item()


class BillingView(QWidget):
    """Tabs for fee schedules and the code list."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None, *, workers: Workers | None = None
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus = ws, bus
        self.fees = FeeSchedulesTab(ws, bus)
        self.codes = CodesTab(ws, bus, workers=workers)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.fees, tr("Fee schedules"))
        self.tabs.addTab(self.codes, tr("Codes"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        bus.changed.connect(self._on_changed)

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if changes.PROVIDER in kinds:
            self.fees.load_providers()
        if changes.BILLING in kinds:
            self.fees.refresh()
            self.codes.refresh()

    @property
    def current(self) -> FeeSchedulesTab | CodesTab:
        page = self.tabs.currentWidget()
        assert isinstance(page, FeeSchedulesTab | CodesTab)
        return page

    def new_item(self) -> None:
        self.current.new_item()

    def edit_item(self) -> None:
        self.current.edit_item()

    def delete_item(self) -> None:
        self.current.delete_item()

    def focus_find(self) -> None:
        self.current.table.setFocus()

    def save_state(self) -> None:
        self.fees.table.save_header()
        self.codes.table.save_header()
