"""The fee schedules tab of the Billing section: a provider or clinic picker and that one's fees (what
it charges per code), with the dialog that adds or changes one fee. Reads and writes go through the
store's fee repository on the database worker (kettrack.ui.operations)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kettrack.core.codes import CodeCatalog, code_system
from kettrack.core.line_rules import ContainerType
from kettrack.core.money import format_usd, parse_amount
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import ProviderRecord
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.code_dialogs import code_completer
from kettrack.ui.forms import ErrorForm, RecordDialog, confirm, tr
from kettrack.ui.operations import change, query
from kettrack.ui.tables import Column, RecordTable, RecordTableModel


@dataclass(frozen=True)
class FeeRow:
    """One fee of a provider's schedule as the table shows it."""

    code: str
    description: str
    amount: Decimal
    ndc: str
    container: ContainerType = ContainerType.UNKNOWN


def fee_columns() -> list[Column[FeeRow]]:
    return [
        Column(tr("Code"), lambda r: r.code),
        Column(tr("Description"), lambda r: r.description),
        Column(tr("Charge per unit"), lambda r: format_usd(r.amount), numeric=True),
        Column(tr("NDC"), lambda r: r.ndc),
        Column(tr("Container"), lambda r: r.container.label if r.ndc else ""),
    ]


FeeValues = tuple[str, Decimal, str, ContainerType]


def fee_saver(ws: Workspace, provider_id: int) -> Callable[[FeeValues], FeeValues]:
    """What saves a fee of ``provider_id``'s schedule, on the database worker (no widget in it)."""
    fees = ws.fees

    def save(fee: FeeValues) -> FeeValues:
        code, amount, ndc, container = fee
        fees.set_fee(provider_id, code, amount, ndc, container)
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
        # Medicare Part B wants JW/JZ on drugs from single-dose containers: the pre-flight check asks.
        self.container = QComboBox()
        self.container.setObjectName("fee_container")
        for kind in ContainerType:
            self.container.addItem(tr(kind.label), kind)
        self.form.add_row("container", tr("Container:"), self.container)
        self.code.textChanged.connect(self._describe)
        if fee is not None:
            self.code.setText(fee.code)
            self.code.setEnabled(False)  # another code is another fee: remove this one and add that
            self.amount.setText(str(fee.amount))
            self.ndc.setText(fee.ndc)
            self.container.setCurrentIndex(max(0, self.container.findData(fee.container)))
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

    def _read(self) -> FeeValues:
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
        return code, amount, self.ndc.text(), ContainerType(self.container.currentData())


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
            kinds = ws.fees.containers([provider_id]) if provider_id is not None else {}
            catalog = ws.codes.catalog()
            rows = []
            for code, (amount, ndc) in sorted(fees.items()):
                entry = catalog.get(code)
                kind = kinds.get(ndc, (ContainerType.UNKNOWN, 0))[0]
                rows.append(FeeRow(code, entry.description if entry else "", amount, ndc, kind))
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
