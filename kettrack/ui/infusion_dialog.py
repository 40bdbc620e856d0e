"""The add/edit dialog for one infusion session, with an ICD-10-CM picker that completes as you
type (the code index loads off the GUI thread) and a small payments table. Problems from the store
or from parsing the dialog's own fields show in red under the field they concern.

The picker and the payments table are in kettrack.ui.diagnosis_picker and kettrack.ui.payments_editor
(their names are re-exported here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from kettrack.core.enums import PLACES_OF_SERVICE, Drug, Route
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.line_rules import DEFAULT_PLACE
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import InfusionRecord
from kettrack.core.validation import MAX_DOSE_MG, MAX_WEIGHT_KG, check_infusion
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.diagnosis_picker import SEPARATOR, DiagnosisPicker
from kettrack.ui.forms import (
    ChoiceField,
    DecimalField,
    EnumField,
    ErrorForm,
    MultilineField,
    OptionalDateField,
    OptionalTimeField,
    RecordDialog,
    ScoreField,
    confirm,
    tr,
)
from kettrack.ui.operations import query
from kettrack.ui.payments_editor import (
    PAY_AMOUNT,
    PAY_DATE,
    PAY_METHOD,
    PAY_REFERENCE,
    MethodDelegate,
    PaymentsEditor,
)
from kettrack.ui.workers import Workers, shared_workers

__all__ = [
    "PAY_AMOUNT",
    "PAY_DATE",
    "PAY_METHOD",
    "PAY_REFERENCE",
    "SEPARATOR",
    "DiagnosisPicker",
    "InfusionDialog",
    "MethodDelegate",
    "PaymentsEditor",
    "session_saver",
]


def session_saver(ws: Workspace) -> Callable[[InfusionRecord], InfusionRecord]:
    """What saves a session (adds a new one, updates one on file), on the database worker."""
    infusions = ws.infusions
    return lambda record: infusions.update(record) if record.id is not None else infusions.add(record)


class InfusionDialog(RecordDialog):
    """Add or edit one session."""

    def __init__(
        self,
        ws: Workspace,
        bus: ChangeBus,
        record: InfusionRecord | None = None,
        *,
        parent: QWidget | None = None,
        patient_id: int | None = None,
        workers: Workers | None = None,
    ) -> None:
        self.ws = ws
        self.bus = bus
        self.original = record
        form = ErrorForm()
        self.form = form
        left, right = form.add_form(), form.add_form()
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(16)
        columns.addLayout(right, 1)
        form.outer.insertLayout(1, columns)

        from kettrack.core.enums import ProviderKind

        self.patient = ChoiceField(ws.patients.choices)
        self.provider = ChoiceField(
            lambda: ws.providers.choices(ProviderKind.INDIVIDUAL), none_label=tr("(none)")
        )
        self.clinic = ChoiceField(
            lambda: ws.providers.choices(ProviderKind.ORGANIZATION), none_label=tr("(none)")
        )
        self.service_date = OptionalDateField(ws.today, required=True)
        self.start_time = OptionalTimeField()
        self.end_time = OptionalTimeField()
        self.place = QComboBox()
        self.place.setEditable(True)
        for code, words in PLACES_OF_SERVICE.items():
            self.place.addItem(f"{code}{SEPARATOR}{words}", code)
        # Never telehealth (02/10) by default: the usual place, 11 until the setting is read.
        self._set_place(DEFAULT_PLACE)
        self.drug = EnumField(Drug)
        self.route = EnumField(Route)
        self.dose = DecimalField("dose_mg", maximum=MAX_DOSE_MG)
        self.weight = DecimalField("weight_kg", maximum=MAX_WEIGHT_KG)
        self.per_kg = QLabel()
        self.per_kg.setObjectName("mg_per_kg")
        weight_row = QWidget()
        weight_layout = QHBoxLayout(weight_row)
        weight_layout.setContentsMargins(0, 0, 0, 0)
        weight_layout.addWidget(self.weight.widget)
        weight_layout.addWidget(self.per_kg, 1)
        self.diagnoses = DiagnosisPicker()
        self.scores = {
            name: ScoreField(top)
            for name, top in (
                ("phq9_before", 27),
                ("phq9_after", 27),
                ("gad7_before", 21),
                ("gad7_after", 21),
                ("pain_before", 10),
                ("pain_after", 10),
            )
        }
        self.side_effects = MultilineField()
        self.notes = MultilineField()
        self.payments = PaymentsEditor(ws.today())

        rows: list[tuple[Any, str, str, QWidget]] = [
            (left, "patient_id", tr("Patient:"), self.patient.widget),
            (left, "provider_id", tr("Rendering provider:"), self.provider.widget),
            (left, "clinic_id", tr("Clinic:"), self.clinic.widget),
            (left, "service_date", tr("Date of service:"), self.service_date.widget),
            (left, "start_time", tr("Start time:"), self.start_time.widget),
            (left, "end_time", tr("End time:"), self.end_time.widget),
            (left, "place_of_service", tr("Place of service:"), self.place),
            (left, "drug", tr("Drug:"), self.drug.widget),
            (left, "route", tr("Route:"), self.route.widget),
            (left, "dose_mg", tr("Dose (mg):"), self.dose.widget),
            (left, "weight_kg", tr("Weight (kg):"), weight_row),
        ]
        labels = {"phq9": "PHQ-9", "gad7": "GAD-7", "pain": tr("Pain")}
        for name, field in self.scores.items():
            scale, when = name.split("_")
            text = tr("{0} before:") if when == "before" else tr("{0} after:")
            rows.append((right, name, text.format(labels[scale]), field.widget))
        rows += [
            (right, "side_effects", tr("Side effects:"), self.side_effects.widget),
            (right, "notes", tr("Notes:"), self.notes.widget),
        ]
        for layout, name, label, widget in rows:
            widget.setObjectName(name)
            form.add_row(name, label, widget, form=layout)
        self.weight.edit.setAccessibleName(tr("Weight (kg)"))
        form.add_row("diagnoses", tr("Diagnoses (ICD-10-CM):"), self.diagnoses)
        form.add_row("payments", tr("Payments:"), self.payments)
        from kettrack.ui.rems_dialog import RemsWarning  # esketamine for a patient not enrolled in the REMS

        self.rems_warning = RemsWarning(ws, self.patient, self.drug, self.service_date)
        form.outer.insertWidget(1, self.rems_warning)

        title = tr("Edit session") if record is not None else tr("New session")
        super().__init__(
            title,
            form,
            form,
            self.build_record,
            session_saver(ws),
            parent,
            bus=bus,
            changes=(changes.INFUSION,),
            what="save session",
        )
        self.setObjectName("infusion_dialog")
        self.resize(980, 680)
        self.dose.edit.textChanged.connect(self._show_per_kg)
        self.weight.edit.textChanged.connect(self._show_per_kg)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, activated=self.accept)

        if record is not None:
            self.load(record)
        else:
            if patient_id is not None:
                self.patient.set(patient_id)
            query(self, ws.fees.usual_place, self._usual_place_read, what="read the usual place of service")
        self._show_per_kg()

        # Codes are completed and checked against the release in force on the date of service.
        self.diagnoses.set_service_date(self.service_date.get())
        self.service_date.edit.dateChanged.connect(
            lambda _: self.diagnoses.set_service_date(self.service_date.get())
        )
        if ws.icd10_loaded:
            self.diagnoses.set_index(ws.icd10())
        else:
            (workers or shared_workers()).run(ws.icd10, self._index_ready, self.diagnoses.index_failed)

    def _index_ready(self, icd: Icd10Releases) -> None:
        # The dialog may have been closed while the index loaded.
        try:
            self.diagnoses.set_index(icd)
        except RuntimeError:
            pass

    def _show_per_kg(self) -> None:
        try:
            dose = Decimal(self.dose.edit.text().strip())
            weight = Decimal(self.weight.edit.text().strip())
            self.per_kg.setText(tr("= {0} mg/kg").format(f"{(dose / weight).quantize(Decimal('0.001'))}"))
        except (InvalidOperation, ZeroDivisionError, ArithmeticError):
            self.per_kg.setText("")

    def load(self, record: InfusionRecord) -> None:
        self.patient.set(record.patient_id)
        self.provider.set(record.provider_id)
        self.clinic.set(record.clinic_id)
        self.service_date.set(record.service_date)
        self.start_time.set(record.start_time)
        self.end_time.set(record.end_time)
        index = self.place.findData(record.place_of_service)
        if index >= 0:
            self.place.setCurrentIndex(index)
        else:
            self.place.setEditText(record.place_of_service)
        self.drug.set(record.drug)
        self.route.set(record.route)
        self.dose.set(record.dose_mg)
        self.weight.set(record.weight_kg)
        self.diagnoses.set_chosen(record.diagnoses)
        for name, field in self.scores.items():
            field.set(getattr(record, name))
        self.side_effects.set(record.side_effects)
        self.notes.set(record.notes)
        self.payments.set_payments(record.payments)

    def _set_place(self, code: str) -> None:
        index = self.place.findData(code)
        if index >= 0:
            self.place.setCurrentIndex(index)
        else:
            self.place.setEditText(code)

    def _usual_place_read(self, code: str) -> None:
        if self._place() == DEFAULT_PLACE:  # unless the person already chose one
            self._set_place(code)

    def _place(self) -> str:
        text = self.place.currentText()
        data = self.place.currentData()
        if data is not None and text == self.place.itemText(self.place.currentIndex()):
            return str(data)
        return text.split(SEPARATOR)[0].strip()

    def build_record(self) -> InfusionRecord:
        problems: list[Problem] = []

        def attempt(read: Any) -> Any:
            try:
                return read()
            except InvalidInput as exc:
                problems.extend(exc.problems)
                return None

        patient_id = self.patient.get()
        if patient_id is None:
            problems.append(Problem("patient_id", tr("Choose a patient (add one under People first)")))
        # A code typed but not yet added counts: people expect what they see to be saved.
        self.diagnoses.add_entry()
        dose = attempt(self.dose.get)
        weight = attempt(self.weight.get)
        payments = attempt(self.payments.payments)
        record = InfusionRecord(
            patient_id=int(patient_id or 0),
            service_date=self.service_date.get() or self.ws.today(),
            drug=self.drug.get(),
            route=self.route.get(),
            provider_id=self.provider.get(),
            clinic_id=self.clinic.get(),
            start_time=self.start_time.get(),
            end_time=self.end_time.get(),
            place_of_service=self._place(),
            dose_mg=dose,
            weight_kg=weight,
            diagnoses=tuple(self.diagnoses.chosen()),
            side_effects=self.side_effects.get(),
            notes=self.notes.get(),
            payments=payments or (),
            **{name: field.get() for name, field in self.scores.items()},
        )
        if self.original is not None:
            record = replace(record, id=self.original.id)
        if problems:
            # Check the rest too, so one Save shows every problem, not the dialog's own ones first.
            icd = self.ws.icd10() if self.ws.icd10_loaded else None
            reported = {p.field.split(".")[0] for p in problems}
            try:
                check_infusion(record, today=self.ws.today(), icd=icd)
            except InvalidInput as exc:
                problems += [p for p in exc.problems if p.field.split(".")[0] not in reported]
            raise InvalidInput(problems)
        return record

    def submit(self, record: InfusionRecord) -> None:
        """A new session like one already on file is saved only if the person says so."""
        if record.id is not None:
            super().submit(record)
            return
        infusions = self.ws.infusions
        self.buttons.setEnabled(False)
        query(
            self,
            lambda: infusions.possible_duplicates(record),
            lambda duplicates: self._save_unless_duplicate(record, bool(duplicates)),
            what="look for duplicate sessions",
            form=self.form,
            after=lambda: self.buttons.setEnabled(True),
        )

    def _save_unless_duplicate(self, record: InfusionRecord, duplicate: bool) -> None:
        if duplicate:
            question = tr(
                "A session for this patient on this date with this drug already exists. Save anyway?"
            )
            if not confirm(self, tr("Possible duplicate"), question):
                return
        super().submit(record)
