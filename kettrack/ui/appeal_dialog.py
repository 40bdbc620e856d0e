"""The appeal letter dialog of a claim's window: the letter drafted from the record, to edit, preview
and issue (issuing files the appeal at the plan's next level). The preview and the issue run on the
database worker (kettrack.ui.operations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.problems import NotFound, Problem
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_event_dialog import event_date_edit
from kettrack.ui.forms import ErrorForm
from kettrack.ui.operations import change, query

if TYPE_CHECKING:
    from kettrack.core.appeal import AppealDraft
    from kettrack.core.claims import LetterInfo
    from kettrack.services.workspace import Workspace


class AppealDialog(QDialog):
    """The appeal letter drafted from the record: edit it, preview it, then issue it (which files the
    appeal at the plan's next level)."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, claim_id: int, draft: AppealDraft, parent: QWidget | None = None
    ) -> None:
        """``draft`` is ``ws.appeals.draft(claim_id)``, read off the GUI thread (ClaimWindow.record)."""
        super().__init__(parent)
        self.ws, self.bus, self.claim_id = ws, bus, claim_id
        self.letter = None
        self.setObjectName("appeal_dialog")
        self.draft = draft
        self.setWindowTitle(tr("{0}: appeal letter").format(self.draft.level_name))
        self.resize(820, 720)
        deadline = self.draft.deadline
        about = QLabel(
            tr("{0} to {1}.").format(self.draft.level_name, self.draft.case.payer_name)
            + (
                " " + tr("File by {0} ({1}).").format(deadline.due.isoformat(), deadline.explain())
                if deadline
                else ""
            )
        )
        about.setWordWrap(True)
        self.form = ErrorForm(self, stretch=False)
        self.date = event_date_edit(ws)
        self.form.add_row("date", tr("Sent on:"), self.date, "event", "level", "claim")
        self.no_number = QCheckBox(
            tr("{0} (the payer's number)").format(draft.case.claim_number)
            if draft.case.claim_number
            else tr("None recorded: tick to confirm the payer gave none")
        )
        self.no_number.setObjectName("no_claim_number")
        self.no_number.setEnabled(not draft.case.claim_number)
        self.form.add_row("payer_claim_number", tr("Claim number:"), self.no_number)
        self.text = QPlainTextEdit("\n\n".join(self.draft.paragraphs))
        self.text.setObjectName("appeal_text")
        self.form.add_row("text", tr("Letter:"), self.text)
        self.preview_button = QPushButton(tr("Preview…"))
        self.preview_button.clicked.connect(self.preview)
        # The letter editor keeps a draft (nothing filed), with its parts and the advice apart.
        self.editor_button = QPushButton(tr("Keep as a draft and edit…"))
        self.editor_button.setObjectName("open_letter_editor")
        self.editor_button.clicked.connect(self.open_editor)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Issue letter and file appeal"))
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.editor_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.issue)
        buttons.rejected.connect(self.reject)
        enclosures = QLabel(tr("Enclosures: {0}").format("; ".join(self.draft.case.enclosures)))
        enclosures.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.form, 1)
        layout.addWidget(enclosures)
        layout.addWidget(buttons)

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.toPlainText().split("\n\n") if p.strip()]

    def preview(self) -> QWidget | None:
        """The letter as it would print; returns the preview once it shows (at once when the database
        work runs inline)."""
        appeals, claim_id, paragraphs = self.ws.appeals, self.claim_id, self.paragraphs()
        shown = query(
            self,
            lambda: appeals.preview_pdf(claim_id, paragraphs),
            self._show_preview,
            what="preview appeal letter",
            form=self.form,
        )
        return shown.returned  # type: ignore[no-any-return]

    def _show_preview(self, pdf: bytes) -> QWidget:
        from kettrack.ui.pdf_preview import preview_dialog

        return preview_dialog(self, tr("Appeal letter preview"), pdf)

    def open_editor(self) -> None:
        """Store the draft (files nothing) and open it in the letter editor instead of this dialog."""
        from kettrack.core.letter_kinds import LetterKind
        from kettrack.services.letter_drafts import LetterService
        from kettrack.ui.letter_editor import start_letter_editor

        letters, claim_id = LetterService(self.ws.appeals), self.claim_id
        start_letter_editor(
            self.parentWidget() or self,
            self.ws,
            self.bus,
            lambda: letters.start(LetterKind.APPEAL, claim_id=claim_id),
        )
        self.reject()

    def issue(self) -> None:
        from kettrack.ui.basics import pydate

        appeals, claim_id = self.ws.appeals, self.claim_id
        paragraphs, filed_on = self.paragraphs(), pydate(self.date.date())
        confirmed = self.no_number.isChecked()
        change(
            self,
            lambda: appeals.issue(claim_id, paragraphs, filed_on=filed_on, no_claim_number=confirmed),
            self._issued,
            what="issue appeal letter",
            bus=self.bus,
            changes=(changes.CLAIM,),
            form=self.form,
            handle={NotFound: lambda exc: self.form.show_problems([Problem("claim", str(exc))])},
        )

    def _issued(self, letter: LetterInfo) -> None:
        self.letter = letter
        self.accept()
