"""The People section's tabs as data: for each kind of record (patients, providers and clinics, payers,
coverages, treatment history) its repository, columns, form and defaults (``Section``), and the edit
dialog built from one. Records and the names their columns show are read on the database worker
(kettrack.ui.operations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from PySide6.QtWidgets import QWidget

from kettrack.core.enums import ProviderKind, TreatmentKind
from kettrack.core.records import CoverageRecord, PatientRecord, PayerRecord, ProviderRecord, TreatmentRecord
from kettrack.core.rows import Choice
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import FieldSpec, RecordDialog, RecordEditor, tr
from kettrack.ui.operations import query
from kettrack.ui.people_forms import (
    coverage_specs,
    patient_specs,
    payer_specs,
    provider_specs,
    treatment_specs,
)
from kettrack.ui.tables import Column


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


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
                Column(
                    tr("Spravato REMS"),
                    lambda r: (
                        " ".join((tr("enrolled"), _date(r.rems_enrolled_on))).strip()
                        if r.rems_enrolled
                        else ""
                    ),
                ),
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
