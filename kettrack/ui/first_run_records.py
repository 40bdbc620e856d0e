"""The first-run assistant's record pages: the first patient, the first provider or clinic, and the
insurance plan (a payer and the patient's coverage with it). Each may be skipped; a filled one must
validate, and saves on the database worker before the assistant moves on."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QLabel

from kettrack.core.enums import ProviderKind
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import CoverageRecord, PatientRecord, PayerRecord, ProviderRecord
from kettrack.core.rows import Choice
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ErrorForm, RecordEditor, align_labels, tr
from kettrack.ui.people_forms import coverage_specs, patient_specs, payer_specs, provider_specs
from kettrack.ui.saving_page import RecordPage


class PatientPage(RecordPage):
    def __init__(self, ws: Workspace, bus: ChangeBus) -> None:
        super().__init__(
            tr("The first patient"), tr("The person who receives the infusions. Skip to add later.")
        )
        self.ws, self.bus = ws, bus
        self.editor = RecordEditor(patient_specs(ws, full=False))
        self.editor.load(PatientRecord(legal_name=""))
        self.layout_.addWidget(self.editor)

    def errors(self) -> ErrorForm:
        return self.editor

    def is_blank(self) -> bool:
        return self.editor.is_blank()

    def clear(self) -> None:
        self.editor.load(PatientRecord(legal_name=""))

    def save(self) -> None:
        record = self.editor.read(PatientRecord(legal_name=""))
        self.upsert(
            "patient",
            self.ws.patients,
            record,
            lambda _saved: self.move_on(),
            kind=changes.PATIENT,
            form=self.editor,
        )


class ProviderPage(RecordPage):
    def __init__(self, ws: Workspace, bus: ChangeBus) -> None:
        super().__init__(
            tr("Provider or clinic"),
            tr("Who gives the infusions: a clinician or the clinic. Skip to add later."),
        )
        self.ws, self.bus = ws, bus
        self.editor = RecordEditor(provider_specs(ws, full=False))
        self.editor.load(ProviderRecord(name="", kind=ProviderKind.ORGANIZATION))
        self.layout_.addWidget(self.editor)

    def errors(self) -> ErrorForm:
        return self.editor

    def is_blank(self) -> bool:
        return self.editor.is_blank()

    def clear(self) -> None:
        self.editor.load(ProviderRecord(name="", kind=ProviderKind.ORGANIZATION))

    def save(self) -> None:
        record = self.editor.read(ProviderRecord(name=""))
        self.upsert(
            "provider",
            self.ws.providers,
            record,
            lambda _saved: self.move_on(),
            kind=changes.PROVIDER,
            form=self.editor,
        )


class PlanPage(RecordPage):
    """The payer and the first patient's coverage with it."""

    def __init__(self, ws: Workspace, bus: ChangeBus) -> None:
        super().__init__(
            tr("Insurance plan"), tr("The patient's insurance, as on the card. Skip to add later.")
        )
        self.ws, self.bus = ws, bus
        self.payer = RecordEditor(payer_specs(ws, full=False), stretch=False)
        self.coverage = RecordEditor(coverage_specs(ws, with_people=False), stretch=False)
        align_labels(self.payer, self.coverage)
        # One error surface for the page: coverage problems go under coverage fields, payer ones under
        # the payer's (the two forms have different field names except "name", which only the payer has).
        self.payer.load(PayerRecord(name=""))
        self.coverage.load(self._blank_coverage())
        self.layout_.addWidget(QLabel(tr("<b>Payer</b>")))
        self.layout_.addWidget(self.payer)
        self.layout_.addWidget(QLabel(tr("<b>Coverage</b>")))
        self.layout_.addWidget(self.coverage)
        self.layout_.addStretch(1)

    @staticmethod
    def _blank_coverage() -> CoverageRecord:
        return CoverageRecord(patient_id=0, payer_id=0, member_id="")

    def errors(self) -> ErrorForm:
        return self.coverage

    def is_blank(self) -> bool:
        return self.payer.is_blank() and self.coverage.is_blank()

    def clear(self) -> None:
        self.payer.load(PayerRecord(name=""))
        self.coverage.load(self._blank_coverage())

    def start_save(self) -> bool:
        self.payer.clear_problems()
        self.coverage.clear_problems()
        if self.is_blank():
            return True
        try:
            payer_record = self.payer.read(PayerRecord(name=""))
            coverage = self.coverage.read(self._blank_coverage())
        except InvalidInput as exc:
            self._spread(exc.problems)
            return False
        # The patient first, then the payer, then the coverage with both: each step once the one
        # before has reported back, each step's problems under its own form.
        self.read(
            self.ws.patients.choices,
            lambda patients: self._save_payer(patients, payer_record, coverage),
            what="list patients",
        )
        return False

    def _save_payer(
        self, patients: list[Choice], payer_record: PayerRecord, coverage: CoverageRecord
    ) -> None:
        if not patients:
            self.coverage.show_problems(
                [Problem("member_id", tr("Add a patient first (go Back), or skip this page"))]
            )
            return
        patient_id = patients[0].id
        self.upsert(
            "payer",
            self.ws.payers,
            payer_record,
            lambda payer: self._save_coverage(replace(coverage, patient_id=patient_id, payer_id=payer.id)),
            kind=changes.PAYER,
            form=self.payer,
        )

    def _save_coverage(self, coverage: CoverageRecord) -> None:
        self.upsert(
            "coverage",
            self.ws.coverages,
            coverage,
            lambda _saved: self.move_on(),
            kind=changes.COVERAGE,
            form=self.coverage,
        )

    def _spread(self, problems: tuple[Problem, ...]) -> None:
        self.payer.show_problems([p for p in problems if p.field in self.payer.fields])
        self.coverage.show_problems([p for p in problems if p.field not in self.payer.fields])
