"""The first-run assistant end to end: role, patient, a skipped provider page, payer and coverage."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from kettrack.core.enums import CoverageRank, UserRole
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.first_run import FirstRunWizard


def test_first_run_end_to_end(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    assert not workspace.settings.first_run_done()
    wizard = FirstRunWizard(workspace, bus)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)

    clinic = wizard.role_page.buttons[UserRole.CLINIC]
    # On the indicator: a radio button only takes clicks on its circle and its text, not its full width.
    qtbot.mouseClick(clinic, Qt.MouseButton.LeftButton, pos=QPoint(8, clinic.height() // 2))
    assert wizard.role_page.role() is UserRole.CLINIC
    wizard.next()
    assert wizard.currentPage() is wizard.protect_page  # not ticked: the database stays plain
    wizard.next()
    assert wizard.currentPage() is wizard.patient_page and not workspace.db.encrypted

    # A filled page that does not validate blocks Next and says why, under the field.
    editor = wizard.patient_page.editor
    qtbot.keyClicks(editor.fields["legal_name"].widget, "   ")
    editor.fields["date_of_birth"].set(__import__("datetime").date(2030, 1, 1))
    wizard.next()
    assert wizard.currentPage() is wizard.patient_page
    assert "in the future" in editor.error_for("date_of_birth").text()
    editor.fields["date_of_birth"].set(None)
    qtbot.keyClicks(editor.fields["legal_name"].widget, "Ada Quill")
    wizard.next()
    assert wizard.currentPage() is wizard.provider_page

    # Skip the provider page even though something was typed: it is cleared, nothing is saved.
    qtbot.keyClicks(wizard.provider_page.editor.fields["name"].widget, "half typed")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CustomButton1), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.plan_page

    plan = wizard.plan_page
    qtbot.keyClicks(plan.payer.fields["name"].widget, "Blue Plan")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert "Member ID is required" in plan.coverage.error_for("member_id").text()
    assert wizard.isVisible() and not workspace.settings.first_run_done()
    qtbot.keyClicks(plan.coverage.fields["member_id"].widget, "XYZ123")
    qtbot.keyClicks(plan.coverage.fields["group_number"].widget, "G-7")
    plan.coverage.fields["rank"].set(CoverageRank.SECONDARY)
    wizard.button(QWizard.WizardButton.FinishButton).click()

    assert not plan.coverage.top_errors.text() and not plan.payer.top_errors.text()
    assert not plan.coverage.error_for("member_id").text(), plan.coverage.error_for("member_id").text()
    assert not wizard.isVisible()
    assert workspace.settings.role() is UserRole.CLINIC
    assert workspace.settings.first_run_done()
    assert [p.legal_name for p in workspace.patients.list()] == ["Ada Quill"]
    assert workspace.providers.count() == 0
    assert [p.name for p in workspace.payers.list()] == ["Blue Plan"]  # once, though Finish was pressed twice
    (coverage,) = workspace.coverages.list()
    assert (coverage.member_id, coverage.group_number, coverage.rank) == (
        "XYZ123",
        "G-7",
        CoverageRank.SECONDARY,
    )
    assert coverage.patient_id == workspace.patients.list()[0].id


def test_skip_everything(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    wizard = FirstRunWizard(workspace, bus)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    wizard.next()
    skip = wizard.button(QWizard.WizardButton.CustomButton1)
    for _ in range(3):
        qtbot.mouseClick(skip, Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()
    assert workspace.settings.first_run_done() and workspace.settings.role() is UserRole.PATIENT
    assert workspace.patients.count() == 0
