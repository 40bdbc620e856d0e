"""The Billing section: the clinic's usual place of service (kettrack.ui.usual_place), fee schedules
(what each provider or clinic charges per code) and the code list (CPT and HCPCS codes with
kettrack's own descriptions, their validity dates and retirements), plus which ICD-10-CM release is
in use. Every read and write goes through the store's billing repositories on the database worker
(kettrack.ui.operations).

The fee schedules tab is in kettrack.ui.fee_schedules, the code list's model and dialogs in
kettrack.ui.code_table_model and kettrack.ui.code_dialogs; their names are re-exported here."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from kettrack.core.codes import ProcedureCode
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.code_dialogs import RetireDialog, code_completer, code_dialog, code_specs
from kettrack.ui.code_set_notice import WINDOW_HOW
from kettrack.ui.code_table_model import CodeTableModel, code_columns
from kettrack.ui.fee_schedules import FeeDialog, FeeRow, FeeSchedulesTab, fee_columns, fee_saver
from kettrack.ui.form_fields import CheckField, IntField
from kettrack.ui.forms import RecordDialog, tell, tr
from kettrack.ui.operations import query
from kettrack.ui.tables import RecordTable
from kettrack.ui.usual_place import UsualPlaceBox
from kettrack.ui.workers import Workers, shared_workers

__all__ = [
    "BillingView",
    "CheckField",
    "CodeTableModel",
    "CodesTab",
    "FeeDialog",
    "FeeRow",
    "FeeSchedulesTab",
    "IntField",
    "RetireDialog",
    "code_columns",
    "code_completer",
    "code_dialog",
    "code_specs",
    "fee_columns",
    "fee_saver",
]


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

    def _show_icd(self, releases: Icd10Releases) -> None:
        if not shiboken6.isValid(self.icd):
            return  # the section was closed while the releases loaded
        from kettrack.services.code_sets import release_periods

        parts = [
            tr("{0}: {1} to {2}, {3:,} codes").format(
                r.label,
                r.starts.isoformat() if r.starts else "…",
                r.ends.isoformat() if r.ends else "…",
                r.codes,
            )
            for r in release_periods(releases)
        ]
        text = tr("ICD-10-CM releases (each checks the sessions of its own dates): {0}").format(
            "; ".join(parts)
        )
        if warning := releases.coverage_warning(self.ws.today(), tr(WINDOW_HOW)):
            text += "\n⚠ " + warning
        self.icd.setText(text)

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
    """The clinic's usual place of service over tabs for fee schedules and the code list."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None, *, workers: Workers | None = None
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus = ws, bus
        self.fees = FeeSchedulesTab(ws, bus)
        self.codes = CodesTab(ws, bus, workers=workers)
        self.usual_place = UsualPlaceBox(ws, bus)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.fees, tr("Fee schedules"))
        self.tabs.addTab(self.codes, tr("Codes"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.usual_place)
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
