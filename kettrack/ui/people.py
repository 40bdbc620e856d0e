"""The People section: patients, providers and clinics, payers, coverages and treatment history,
each a table with New / Edit / Delete and an edit dialog with inline validation messages. Every read
and write goes through the operation helper (kettrack.ui.operations), off the GUI thread.

The tabs are declared in kettrack.ui.people_sections and their forms in kettrack.ui.people_forms
(their names are re-exported here)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from kettrack.core.problems import InvalidInput, NotFound
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import RecordDialog, confirm, tell, tr
from kettrack.ui.operations import change, query
from kettrack.ui.people_forms import (
    coverage_specs,
    patient_specs,
    payer_specs,
    provider_specs,
    treatment_specs,
)
from kettrack.ui.people_sections import Names, Section, edit_record_dialog, sections
from kettrack.ui.tables import RecordTable, RecordTableModel

__all__ = [
    "Names",
    "PeopleView",
    "RecordTab",
    "Section",
    "coverage_specs",
    "edit_record_dialog",
    "patient_specs",
    "payer_specs",
    "provider_specs",
    "sections",
    "treatment_specs",
]


class RecordTab(QWidget):
    """One People tab: a table of records with New / Edit / Delete."""

    def __init__(self, section: Section, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.bus = bus
        self.model: RecordTableModel[Any] = RecordTableModel(section.columns({}), self)
        self.table = RecordTable(f"people_{section.name}")
        self.table.setModel(self.model)
        self.table.setAccessibleName(section.title.replace("&&", "&"))
        self.table.activated.connect(lambda _index: self.edit_item())
        self.buttons = buttons = QHBoxLayout()
        for text, slot in (
            (tr("New…"), self.new_item),
            (tr("Edit…"), self.edit_item),
            (tr("Delete"), self.delete_item),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        bus.changed.connect(self._on_changed)
        self.refresh()
        self.table.restore_header(section.widths)

    def refresh(self) -> None:
        section = self.section
        query(
            self,
            lambda: (section.repository.list(), section.names()),
            self._show,
            what=f"list {section.name}",
        )

    def _show(self, loaded: tuple[list[Any], Names]) -> None:
        records, names = loaded
        selected = self.table.current_id()
        self.model.columns = self.section.columns(names)
        self.model.set_records(records)
        if selected is not None and (row := self.model.row_of(selected)) >= 0:
            self.table.selectRow(row)

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if kinds & self.section.watches:
            self.refresh()

    def open_dialog(self, record: Any | None) -> RecordDialog:
        return edit_record_dialog(self, self.section, self.bus, record)

    def new_item(self) -> None:
        self.open_dialog(None).open()

    def edit_item(self) -> None:
        record_id = self.table.current_id()
        if record_id is None:
            return
        repository = self.section.repository
        query(
            self,
            lambda: repository.view(record_id),
            lambda record: self.open_dialog(record).open(),
            what=f"open {self.section.kind}",
            handle={NotFound: lambda _missing: self.refresh()},
        )

    def delete_item(self) -> None:
        row = self.table.currentIndex().row()
        record_id = self.table.current_id()
        if record_id is None:
            return
        shown = self.model.data(self.model.index(row, 0))
        if not confirm(self, tr("Delete"), tr("Delete {0} “{1}”?").format(self.section.kind, shown)):
            return
        repository, kind = self.section.repository, self.section.kind
        change(
            self,
            lambda: repository.delete(record_id),
            what=f"delete {kind}",
            bus=self.bus,
            changes=(kind,),
            handle={
                InvalidInput: lambda exc: tell(
                    self, tr("Cannot delete"), "\n".join(p.message for p in exc.problems)
                ),
                NotFound: lambda _gone: self.bus.announce(kind),  # deleted elsewhere: show the list as it is
            },
        )

    def save_state(self) -> None:
        self.table.save_header()

    def focus_find(self) -> None:
        self.table.setFocus()


class PeopleView(QWidget):
    """Tabs of the people-and-plans records."""

    def __init__(self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.pages: dict[str, RecordTab] = {}
        for section in sections(ws):
            page = RecordTab(section, bus)
            self.pages[section.name] = page
            self.tabs.addTab(page, section.title)
        if (payers := self.pages.get("payers")) is not None:
            # A plan's own filing and appeal rules replace the defaults its deadlines start from.
            rules = QPushButton(tr("Rules…"))
            rules.setObjectName("payer_rules_button")
            rules.setToolTip(tr("The plan's filing, appeal and follow-up rules, with their sources"))
            rules.clicked.connect(lambda: self.payer_rules(ws, bus))
            payers.buttons.insertWidget(3, rules)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def payer_rules(self, ws: Workspace, bus: ChangeBus) -> QWidget | None:
        payer_id = self.pages["payers"].table.current_id()
        if payer_id is None:
            tell(self, tr("Rules"), tr("Select a payer first."))
            return None
        from kettrack.ui.rules_dialog import PayerRulesDialog

        dialog = PayerRulesDialog(ws, bus, payer_id, parent=self)
        dialog.open()
        return dialog

    @property
    def current(self) -> RecordTab:
        page = self.tabs.currentWidget()
        assert isinstance(page, RecordTab)
        return page

    def new_item(self) -> None:
        self.current.new_item()

    def edit_item(self) -> None:
        self.current.edit_item()

    def delete_item(self) -> None:
        self.current.delete_item()

    def focus_find(self) -> None:
        self.current.focus_find()

    def save_state(self) -> None:
        for page in self.pages.values():
            page.save_state()
