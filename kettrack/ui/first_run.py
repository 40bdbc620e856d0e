"""The first-run assistant: who uses kettrack, whether to encrypt the database (a SQLite file only),
then the first patient, provider or clinic and insurance plan. Every page after the first may be
skipped; a page the user filled must validate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from kettrack.core.enums import ProviderKind, UserRole
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import CoverageRecord, PatientRecord, PayerRecord, ProviderRecord
from kettrack.store.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ErrorForm, RecordEditor, align_labels, tr
from kettrack.ui.people import coverage_specs, patient_specs, payer_specs, provider_specs


class RolePage(QWizardPage):
    """Who are you?"""

    def __init__(self, ws: Workspace, bus: ChangeBus) -> None:
        super().__init__()
        self.ws = ws
        self.bus = bus
        self.setTitle(tr("Who are you?"))
        self.setSubTitle(tr("kettrack adapts its wording to who keeps the records."))
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        self.buttons: dict[UserRole, QRadioButton] = {}
        for role in UserRole:
            button = QRadioButton(role.label)
            button.setObjectName(f"role_{role.value}")
            self.group.addButton(button)
            self.buttons[role] = button
            layout.addWidget(button)
        self.buttons[ws.settings.role() or UserRole.PATIENT].setChecked(True)
        layout.addStretch(1)

    def role(self) -> UserRole:
        return next(role for role, button in self.buttons.items() if button.isChecked())

    def validatePage(self) -> bool:
        self.ws.settings.set_role(self.role())
        self.bus.announce(changes.SETTINGS)
        return True


class ProtectPage(QWizardPage):
    """Encrypt the new database? Done at once, while it is still (nearly) empty."""

    def __init__(self, ws: Workspace, bus: ChangeBus) -> None:
        super().__init__()
        from kettrack.ui.encryption import NewPassphrase

        self.ws = ws
        self.bus = bus
        self.setTitle(tr("Protect the records"))
        self.setSubTitle(tr("A lost laptop or a copied file should give nobody the records."))
        explain = QLabel(
            tr(
                "kettrack can encrypt its database with a passphrase. It then asks for the passphrase each "
                "time it starts (or keeps it in this computer's keyring, if you wish). You can change this "
                "later under Tools → Encryption."
            )
        )
        explain.setWordWrap(True)
        self.choice = QCheckBox(tr("Encrypt the database with a passphrase"))
        self.choice.setObjectName("encrypt_database")
        self.fields = NewPassphrase()
        warning = QLabel(
            tr("Forget the passphrase and the records cannot be recovered: keep it somewhere safe.")
        )
        warning.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.choice)
        layout.addWidget(self.fields)
        layout.addWidget(warning)
        layout.addStretch(1)
        self.choice.toggled.connect(self.fields.setEnabled)
        self.fields.setEnabled(False)

    def validatePage(self) -> bool:
        if not self.choice.isChecked() or self.ws.db.encrypted:
            return True
        phrase = self.fields.value()
        if phrase is None:
            return False
        from kettrack.ui.encryption import apply_key

        try:
            apply_key(self.ws, phrase, remember=self.fields.remember.isChecked(), bus=self.bus)
        except (InvalidInput, RuntimeError) as exc:
            self.fields.error.setText(tr("Not encrypted: {0}").format(exc))
            self.fields.error.show()
            return False
        return True


class RecordPage(QWizardPage):
    """A page saving one or more records from forms; an untouched page is skipped."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.saved_ids: dict[str, int] = {}
        self.layout_ = QVBoxLayout(self)

    def is_blank(self) -> bool:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def save(self) -> None:
        raise NotImplementedError

    def errors(self) -> ErrorForm:
        raise NotImplementedError

    def validatePage(self) -> bool:
        self.errors().clear_problems()
        if self.is_blank():
            return True
        try:
            self.save()
        except InvalidInput as exc:
            self.errors().show_problems(exc.problems)
            return False
        return True

    def _upsert(self, key: str, repository: Any, record: Any) -> Any:
        """Add the record, or update the one this page added before (after Back, then Next)."""
        if key in self.saved_ids:
            saved = repository.update(replace(record, id=self.saved_ids[key]))
        else:
            saved = repository.add(record)
        self.saved_ids[key] = saved.id
        return saved


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
        self._upsert("patient", self.ws.patients, self.editor.read(PatientRecord(legal_name="")))
        self.bus.announce(changes.PATIENT)


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
        self._upsert("provider", self.ws.providers, self.editor.read(ProviderRecord(name="")))
        self.bus.announce(changes.PROVIDER)


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

    def validatePage(self) -> bool:
        self.payer.clear_problems()
        self.coverage.clear_problems()
        if self.is_blank():
            return True
        try:
            self.save()
        except InvalidInput as exc:
            if exc.problems:  # empty when save() already spread the problems over both forms
                self.coverage.show_problems(exc.problems)
            return False
        return True

    def save(self) -> None:
        patients = self.ws.patients.choices()
        try:
            payer_record = self.payer.read(PayerRecord(name=""))
            coverage = self.coverage.read(self._blank_coverage())
        except InvalidInput as exc:
            self._spread(exc.problems)
            raise InvalidInput(()) from None
        if not patients:
            raise InvalidInput.single("member_id", tr("Add a patient first (go Back), or skip this page"))
        try:
            payer = self._upsert("payer", self.ws.payers, payer_record)
        except InvalidInput as exc:
            self.payer.show_problems(exc.problems)
            raise InvalidInput(()) from None
        self.bus.announce(changes.PAYER)
        self._upsert(
            "coverage",
            self.ws.coverages,
            replace(coverage, patient_id=patients[0].id, payer_id=payer.id),
        )
        self.bus.announce(changes.COVERAGE)

    def _spread(self, problems: tuple[Problem, ...]) -> None:
        self.payer.show_problems([p for p in problems if p.field in self.payer.fields])
        self.coverage.show_problems([p for p in problems if p.field not in self.payer.fields])


class FirstRunWizard(QWizard):
    """Shown once, before the main window, on a new database."""

    def __init__(self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle(tr("Welcome to kettrack"))
        self.setObjectName("first_run")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.role_page = RolePage(ws, bus)
        self.protect_page = ProtectPage(ws, bus)
        self.patient_page = PatientPage(ws, bus)
        self.provider_page = ProviderPage(ws, bus)
        self.plan_page = PlanPage(ws, bus)
        pages: list[QWizardPage] = [self.role_page, self.protect_page]
        if not ws.db.is_sqlite or ws.db.read_only:
            pages.remove(self.protect_page)  # a server database is protected on the server
        for page in (*pages, self.patient_page, self.provider_page, self.plan_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.CustomButton1, tr("Skip"))
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.customButtonClicked.connect(self._skip)
        self.currentIdChanged.connect(self._update_skip)
        self._update_skip()
        self.resize(640, 560)

    def _update_skip(self) -> None:
        self.button(QWizard.WizardButton.CustomButton1).setVisible(isinstance(self.currentPage(), RecordPage))

    def _skip(self, which: int) -> None:
        page = self.currentPage()
        if isinstance(page, RecordPage):
            page.clear()
            page.errors().clear_problems()
            if self.nextId() == -1:
                self.accept()
            else:
                self.next()

    def accept(self) -> None:
        # QWizard.accept() would validate the page too; validate once, here, before marking done.
        if not self.validateCurrentPage():
            return
        self.ws.settings.mark_first_run_done()
        QDialog.accept(self)
