"""The first-run assistant: who uses kettrack, whether to encrypt the database (a SQLite file only),
then the first patient, provider or clinic and insurance plan. Every page after the first may be
skipped; a page the user filled must validate. Each page saves on the database worker
(kettrack.ui.operations) and moves on once its save has reported back."""

from __future__ import annotations

from collections.abc import Callable
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
from kettrack.core.rows import Choice
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ErrorForm, RecordEditor, align_labels, tr
from kettrack.ui.operations import change, query
from kettrack.ui.people import coverage_specs, patient_specs, payer_specs, provider_specs


class SavingPage(QWizardPage):
    """A page whose Next (or Finish) saves first, on the database worker: Next waits for the save to
    report back, and the page moves on by itself once it has (at once when the work runs inline). A
    save that fails says why on the page, which stays."""

    def __init__(self) -> None:
        super().__init__()
        self._passed = False  # saved: the next validatePage lets the wizard move on
        self._saving = False
        self._inline = False
        self._moved = False

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if self._saving:
            return False  # pressed again while saving: the page moves on when that is done
        self._moved, self._inline = False, True
        try:
            moving = self.start_save()
        finally:
            self._inline = False
        return moving or self._moved

    def start_save(self) -> bool:
        """Start what Next saves (with ``write`` and ``read``, ending in ``move_on``); True to move on
        without saving anything."""
        return True

    def write(self, work: Callable[[], Any], on_done: Callable[[Any], object], **options: Any) -> None:
        self._saving = True
        change(self, work, on_done, after=self._finished, **options)

    def read(self, work: Callable[[], Any], on_done: Callable[[Any], object], **options: Any) -> None:
        self._saving = True
        query(self, work, on_done, after=self._finished, **options)

    def _finished(self) -> None:
        self._saving = False  # a next step sets it again

    def move_on(self) -> None:
        """Everything is saved: go to the next page (or finish)."""
        if self._inline:
            self._moved = True  # validatePage says so itself
            return
        wizard = self.wizard()
        if wizard is None or wizard.currentPage() is not self:
            return
        self._passed = True
        if wizard.nextId() == -1:
            wizard.accept()
        else:
            wizard.next()


class RolePage(SavingPage):
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
        self.buttons[UserRole.PATIENT].setChecked(True)
        layout.addStretch(1)
        query(
            self,
            ws.settings.role,
            lambda role: self.buttons[role or UserRole.PATIENT].setChecked(True),
            what="read role",
        )

    def role(self) -> UserRole:
        return next(role for role, button in self.buttons.items() if button.isChecked())

    def start_save(self) -> bool:
        settings, role = self.ws.settings, self.role()
        self.write(
            lambda: settings.set_role(role),
            lambda _saved: self.move_on(),
            what="save role",
            bus=self.bus,
            changes=(changes.SETTINGS,),
        )
        return False


class ProtectPage(SavingPage):
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

    def start_save(self) -> bool:
        if not self.choice.isChecked() or self.ws.db.encrypted:
            return True
        phrase = self.fields.value()
        if phrase is None:
            return False
        from kettrack.ui.encryption import apply_key

        self._saving = True
        apply_key(
            self,
            self.ws,
            phrase,
            remember=self.fields.remember.isChecked(),
            bus=self.bus,
            on_done=lambda _done: self.move_on(),
            handle={(InvalidInput, RuntimeError): self._not_encrypted},
            after=self._finished,
        )
        return False

    def _not_encrypted(self, exc: Exception) -> None:
        self.fields.error.setText(tr("Not encrypted: {0}").format(exc))
        self.fields.error.show()


class RecordPage(SavingPage):
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
        """Start saving the page's records (raises InvalidInput for what the form itself refuses)."""
        raise NotImplementedError

    def errors(self) -> ErrorForm:
        raise NotImplementedError

    def start_save(self) -> bool:
        self.errors().clear_problems()
        if self.is_blank():
            return True
        try:
            self.save()
        except InvalidInput as exc:
            self.errors().show_problems(exc.problems)
        return False

    def upsert(
        self,
        key: str,
        repository: Any,
        record: Any,
        then: Callable[[Any], object],
        *,
        kind: str,
        form: ErrorForm,
    ) -> None:
        """Add the record, or update the one this page added before (after Back, then Next); then
        ``then(saved)``."""
        known = self.saved_ids.get(key)

        def save() -> Any:
            return (
                repository.update(replace(record, id=known)) if known is not None else repository.add(record)
            )

        def saved(result: Any) -> None:
            self.saved_ids[key] = result.id
            then(result)

        self.write(save, saved, what=f"save first {kind}", bus=self.bus, changes=(kind,), form=form)

    bus: ChangeBus


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
        # QWizard.accept() would validate the page too; validate once, here, before marking done. A
        # page still saving calls accept() again once it has.
        if not self.validateCurrentPage():
            return
        change(
            self,
            self.ws.settings.mark_first_run_done,
            lambda _done: QDialog.accept(self),
            what="finish first run",
        )

    def done(self, result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            # Validated (and saved) in accept(): QWizard.done would validate the page again, which
            # saves it again, and on the worker that save would only report back later.
            QDialog.done(self, result)
        else:
            super().done(result)
