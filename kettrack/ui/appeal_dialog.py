"""The appeal letter dialog of a claim's window: the letter drafted from the record, to edit, preview
and issue (issuing files the appeal at the plan's next level). The preview and the issue run on the
database worker (kettrack.ui.operations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
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
        self.text = QPlainTextEdit("\n\n".join(self.draft.paragraphs))
        self.text.setObjectName("appeal_text")
        self.form.add_row("text", tr("Letter:"), self.text)
        self.preview_button = QPushButton(tr("Preview…"))
        self.preview_button.clicked.connect(self.preview)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Issue letter and file appeal"))
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
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

    def preview(self) -> QDialog | None:
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

    def _show_preview(self, pdf: bytes) -> QDialog:
        from kettrack.ui.pdf_preview import PdfPreview

        dialog = QDialog(self)
        dialog.setWindowTitle(tr("Appeal letter preview"))
        dialog.resize(760, 900)
        view = PdfPreview()
        view.show_pdf(pdf)
        QVBoxLayout(dialog).addWidget(view)
        dialog.show()
        return dialog

    def issue(self) -> None:
        from kettrack.ui.basics import pydate

        appeals, claim_id = self.ws.appeals, self.claim_id
        paragraphs, filed_on = self.paragraphs(), pydate(self.date.date())
        change(
            self,
            lambda: appeals.issue(claim_id, paragraphs, filed_on=filed_on),
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
