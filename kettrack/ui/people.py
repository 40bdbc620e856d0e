"""The People section: patients, providers and clinics, payers, coverages and treatment history,
each a table with New / Edit / Delete and an edit dialog with inline validation messages. Every read
and write goes through the operation helper (kettrack.ui.operations), off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from kettrack.core.enums import (
    CoverageRank,
    Network,
    PayerKind,
    ProviderKind,
    Relationship,
    Sex,
    TreatmentKind,
    TreatmentOutcome,
)
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.records import CoverageRecord, PatientRecord, PayerRecord, ProviderRecord, TreatmentRecord
from kettrack.core.rows import Choice
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import (
    ChoiceField,
    EnumField,
    FieldSpec,
    MultilineField,
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


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _address_specs() -> list[FieldSpec]:
    return [
        FieldSpec("address.line1", tr("Address:"), TextField),
        FieldSpec("address.line2", tr("Address line 2:"), TextField),
        FieldSpec("address.city", tr("City:"), TextField),
        FieldSpec("address.state", tr("State:"), lambda: TextField("NY")),
        FieldSpec("address.postal_code", tr("ZIP code:"), TextField),
    ]


def patient_specs(ws: Workspace, *, full: bool = True) -> list[FieldSpec]:
    specs = [
        FieldSpec("legal_name", tr("Legal name:"), lambda: TextField(tr("exactly as on the insurance card"))),
        FieldSpec("date_of_birth", tr("Date of birth:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("sex", tr("Sex:"), lambda: EnumField(Sex)),
    ]
    if full:
        specs += [*_address_specs(), FieldSpec("phone", tr("Phone:"), TextField)]
        specs.append(FieldSpec("email", tr("E-mail:"), TextField))
    return specs


def provider_specs(ws: Workspace, *, full: bool = True) -> list[FieldSpec]:
    specs = [
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(ProviderKind)),
        FieldSpec("name", tr("Name:"), TextField),
        FieldSpec("credentials", tr("Credentials:"), lambda: TextField("MD, DO, CRNA ...")),
        FieldSpec("npi", tr("NPI:"), lambda: TextField(tr("10 digits"))),
        FieldSpec("tin", tr("TIN / EIN:"), lambda: TextField("12-3456789")),
        FieldSpec("taxonomy", tr("Taxonomy:"), lambda: TextField("2084P0800X")),
    ]
    if full:
        specs += [
            FieldSpec("license_number", tr("License number:"), TextField),
            FieldSpec("license_state", tr("License state:"), TextField),
            FieldSpec(
                "clinic_id",
                tr("Clinic:"),
                lambda: ChoiceField(
                    lambda: ws.providers.choices(ProviderKind.ORGANIZATION), none_label=tr("(none)")
                ),
            ),
            *_address_specs(),
            FieldSpec("phone", tr("Phone:"), TextField),
        ]
    return specs


def payer_specs(ws: Workspace, *, full: bool = True) -> list[FieldSpec]:
    specs = [
        FieldSpec("name", tr("Payer name:"), TextField),
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(PayerKind)),
    ]
    if full:
        specs += [
            FieldSpec("payer_code", tr("Payer ID:"), TextField),
            FieldSpec("phone", tr("Phone:"), TextField),
            FieldSpec("claims_address", tr("Claims address:"), MultilineField),
            FieldSpec("appeals_address", tr("Appeals address:"), MultilineField),
        ]
    return specs


def coverage_specs(ws: Workspace, *, with_people: bool = True) -> list[FieldSpec]:
    specs: list[FieldSpec] = []
    if with_people:
        specs += [
            FieldSpec("patient_id", tr("Patient:"), lambda: ChoiceField(ws.patients.choices)),
            FieldSpec("payer_id", tr("Payer:"), lambda: ChoiceField(ws.payers.choices)),
        ]
    specs += [
        FieldSpec("member_id", tr("Member ID:"), TextField),
        FieldSpec("group_number", tr("Group number:"), TextField),
        FieldSpec("relationship", tr("Patient is the policyholder's:"), lambda: EnumField(Relationship)),
        FieldSpec("policyholder_name", tr("Policyholder name:"), TextField),
        FieldSpec("policyholder_dob", tr("Policyholder birth date:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("rank", tr("Rank:"), lambda: EnumField(CoverageRank)),
    ]
    if with_people:
        specs += [
            FieldSpec("effective_from", tr("Effective from:"), lambda: OptionalDateField(ws.today)),
            FieldSpec("effective_to", tr("Effective to:"), lambda: OptionalDateField(ws.today)),
            FieldSpec("network", tr("Network:"), lambda: EnumField(Network)),
        ]
    return specs


def treatment_specs(ws: Workspace) -> list[FieldSpec]:
    return [
        FieldSpec("patient_id", tr("Patient:"), lambda: ChoiceField(ws.patients.choices)),
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(TreatmentKind)),
        FieldSpec("name", tr("Treatment:"), lambda: TextField(tr("e.g. sertraline, CBT"))),
        FieldSpec("details", tr("Details:"), MultilineField),
        FieldSpec("started_on", tr("Started:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("ended_on", tr("Ended:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("outcome", tr("Outcome:"), lambda: EnumField(TreatmentOutcome)),
        FieldSpec("notes", tr("Notes:"), MultilineField),
    ]


# The names a tab's columns show besides its own records' (a coverage's patient and payer), read with
# the records off the GUI thread: kind -> {id: name}.
Names = dict[str, dict[int, str]]


def _names(**choices: Callable[[], Sequence[Choice]]) -> Callable[[], Names]:
    return lambda: {kind: {c.id: c.label for c in read()} for kind, read in choices.items()}


def _no_names() -> Names:
    return {}


@dataclass
class Section:
    """One tab: which repository, which record kind, how to show and edit its records."""

    name: str
    title: str
    kind: str
    repository: Any
    columns: Callable[[Names], list[Column[Any]]]
    specs: Callable[[], list[FieldSpec]]
    blank: Callable[[], Any]
    # Kinds whose change can alter what this tab shows (names of patients, payers...).
    watches: frozenset[str]
    widths: tuple[int, ...] = ()
    # Read on the database worker with the records: the names the columns need.
    names: Callable[[], Names] = _no_names
    # A new record's values that come from the database (the first patient), read on the worker.
    defaults: Callable[[Any], Any] | None = None


def sections(ws: Workspace) -> list[Section]:
    def provider_columns(names: Names) -> list[Column[Any]]:
        clinics = names.get("clinics", {})
        return [
            Column(tr("Name"), lambda r: r.display_name),
            Column(tr("Kind"), lambda r: r.kind.label),
            Column(tr("NPI"), lambda r: r.npi),
            Column(tr("TIN"), lambda r: r.tin),
            Column(tr("Clinic"), lambda r: clinics.get(r.clinic_id, "") if r.clinic_id is not None else ""),
            Column(tr("Phone"), lambda r: r.phone),
        ]

    def coverage_columns(names: Names) -> list[Column[Any]]:
        patients, payers = names.get("patients", {}), names.get("payers", {})
        return [
            Column(tr("Patient"), lambda r: patients.get(r.patient_id, "")),
            Column(tr("Payer"), lambda r: payers.get(r.payer_id, "")),
            Column(tr("Member ID"), lambda r: r.member_id),
            Column(tr("Group"), lambda r: r.group_number),
            Column(tr("Rank"), lambda r: r.rank.label),
            Column(tr("Relationship"), lambda r: r.relationship.label),
            Column(
                tr("Effective"),
                lambda r: " – ".join(filter(None, (_date(r.effective_from), _date(r.effective_to)))),
            ),
        ]

    def treatment_columns(names: Names) -> list[Column[Any]]:
        patients = names.get("patients", {})
        return [
            Column(tr("Patient"), lambda r: patients.get(r.patient_id, "")),
            Column(tr("Kind"), lambda r: r.kind.label),
            Column(tr("Treatment"), lambda r: r.name),
            Column(tr("Started"), lambda r: _date(r.started_on)),
            Column(tr("Ended"), lambda r: _date(r.ended_on)),
            Column(tr("Outcome"), lambda r: r.outcome.label),
        ]

    def first_id(choices: Sequence[Choice]) -> int:
        return choices[0].id if choices else 0

    def coverage_defaults(blank: CoverageRecord) -> CoverageRecord:
        return replace(
            blank, patient_id=first_id(ws.patients.choices()), payer_id=first_id(ws.payers.choices())
        )

    def treatment_defaults(blank: TreatmentRecord) -> TreatmentRecord:
        return replace(blank, patient_id=first_id(ws.patients.choices()))

    return [
        Section(
            "patients",
            tr("Patients"),
            changes.PATIENT,
            ws.patients,
            lambda _names: [
                Column(tr("Legal name"), lambda r: r.legal_name),
                Column(tr("Date of birth"), lambda r: _date(r.date_of_birth)),
                Column(tr("Sex"), lambda r: r.sex.label),
                Column(tr("Phone"), lambda r: r.phone),
                Column(tr("E-mail"), lambda r: r.email),
                Column(tr("Address"), lambda r: r.address.one_line()),
            ],
            lambda: patient_specs(ws),
            lambda: PatientRecord(legal_name=""),
            frozenset({changes.PATIENT}),
            (220, 110, 80, 130, 200),
        ),
        Section(
            "providers",
            tr("Providers && clinics"),
            changes.PROVIDER,
            ws.providers,
            provider_columns,
            lambda: provider_specs(ws),
            lambda: ProviderRecord(name=""),
            frozenset({changes.PROVIDER}),
            (230, 100, 110, 100, 250),
            names=_names(clinics=lambda: ws.providers.choices(ProviderKind.ORGANIZATION)),
        ),
        Section(
            "payers",
            tr("Payers"),
            changes.PAYER,
            ws.payers,
            lambda _names: [
                Column(tr("Name"), lambda r: r.name),
                Column(tr("Kind"), lambda r: r.kind.label),
                Column(tr("Payer ID"), lambda r: r.payer_code),
                Column(tr("Phone"), lambda r: r.phone),
            ],
            lambda: payer_specs(ws),
            lambda: PayerRecord(name=""),
            frozenset({changes.PAYER}),
            (240, 180, 110),
        ),
        Section(
            "coverages",
            tr("Coverages"),
            changes.COVERAGE,
            ws.coverages,
            coverage_columns,
            lambda: coverage_specs(ws),
            lambda: CoverageRecord(patient_id=0, payer_id=0, member_id=""),
            frozenset({changes.COVERAGE, changes.PATIENT, changes.PAYER}),
            (180, 180, 120, 100, 90, 100),
            names=_names(patients=ws.patients.choices, payers=ws.payers.choices),
            defaults=coverage_defaults,
        ),
        Section(
            "treatments",
            tr("Treatment history"),
            changes.TREATMENT,
            ws.treatments,
            treatment_columns,
            lambda: treatment_specs(ws),
            lambda: TreatmentRecord(patient_id=0, kind=TreatmentKind.MEDICATION, name=""),
            frozenset({changes.TREATMENT, changes.PATIENT}),
            (180, 110, 180, 100, 100),
            names=_names(patients=ws.patients.choices),
            defaults=treatment_defaults,
        ),
    ]


def edit_record_dialog(
    parent: QWidget | None, section: Section, bus: ChangeBus, record: Any | None = None
) -> RecordDialog:
    """The edit dialog for one record of a section (a new one when ``record`` is None)."""
    editor = RecordEditor(section.specs())
    base = [record if record is not None else section.blank()]
    editor.load(base[0])
    repository = section.repository

    def save(new: Any) -> Any:
        return repository.update(new) if record is not None else repository.add(new)

    title = tr("Edit {0}") if record is not None else tr("New {0}")
    dialog = RecordDialog(
        title.format(section.kind),
        editor,
        editor,
        lambda: editor.read(base[0]),
        save,
        parent,
        bus=bus,
        changes=(section.kind,),
        what=f"save {section.kind}",
    )
    dialog.resize(520, min(720, editor.sizeHint().height() + 90))
    if record is None and section.defaults is not None:
        blank, defaults = base[0], section.defaults

        def preselect(filled: Any) -> None:
            base[0] = filled
            editor.load(filled)

        query(dialog, lambda: defaults(blank), preselect, what=f"preselect new {section.kind}")
    return dialog


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
