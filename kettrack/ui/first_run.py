"""The first-run assistant: who uses kettrack, whether to encrypt the database (a SQLite file only),
then the first patient, provider or clinic and insurance plan. Every page after the first may be
skipped; a page the user filled must validate. Each page saves on the database worker
(kettrack.ui.operations) and moves on once its save has reported back.

The page machinery is in kettrack.ui.saving_page and the record pages in
kettrack.ui.first_run_records (their names are re-exported here)."""

from __future__ import annotations

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

from kettrack.core.enums import UserRole
from kettrack.core.problems import InvalidInput
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.first_run_records import PatientPage, PlanPage, ProviderPage
from kettrack.ui.forms import tr
from kettrack.ui.operations import change, query
from kettrack.ui.saving_page import RecordPage, SavingPage

__all__ = [
    "FirstRunWizard",
    "PatientPage",
    "PlanPage",
    "ProtectPage",
    "ProviderPage",
    "RecordPage",
    "RolePage",
    "SavingPage",
]


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

        self.begin_saving()
        apply_key(
            self,
            self.ws,
            phrase,
            remember=self.fields.remember.isChecked(),
            bus=self.bus,
            on_done=lambda _done: self.move_on(),
            handle={(InvalidInput, RuntimeError): self._not_encrypted},
            after=self.saving_done,
        )
        return False

    def _not_encrypted(self, exc: Exception) -> None:
        self.fields.error.setText(tr("Not encrypted: {0}").format(exc))
        self.fields.error.show()


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
