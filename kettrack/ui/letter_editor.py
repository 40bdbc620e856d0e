"""The letter editor: a stored letter draft's parts, each editable under its title, the advice about
it in a separate panel (never part of the letter), the confirmation that the payer gave no claim
number, and Save, Preview (a PDF marked DRAFT) and Issue. Every read and write runs on the database
worker (kettrack.ui.operations); issuing an appeal files it on its claim.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.bill_problems import BillProblem
from kettrack.core.letter_text import LetterBlock
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_event_dialog import event_date_edit
from kettrack.ui.forms import ErrorForm
from kettrack.ui.operations import change, query

if TYPE_CHECKING:
    from kettrack.core.letter_draft import IssuedLetter, LetterDraftView
    from kettrack.services.letter_drafts import LetterService
    from kettrack.services.workspace import Workspace


class LetterEditor(QDialog):
    """A letter draft to edit, preview and issue; the advice beside it is never printed."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, draft: LetterDraftView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        from kettrack.services.letter_drafts import LetterService

        self.ws, self.bus, self.draft = ws, bus, draft
        self.letters: LetterService = LetterService(ws.appeals)
        self.issued: IssuedLetter | None = None
        self.setObjectName("letter_editor")
        self.setWindowTitle(f"{draft.kind.label}: {draft.about}".rstrip(": "))
        self.resize(860, 760)

        self.advice = QLabel("\n".join(f"• {line}" for line in draft.advice) or tr("Nothing missing."))
        self.advice.setObjectName("letter_advice")
        self.advice.setWordWrap(True)
        advice_box = QGroupBox(tr("Advice (for you: not part of the letter)"))
        advice_layout = QVBoxLayout(advice_box)
        advice_layout.addWidget(self.advice)
        # What the advice names that a record holds (a payer's appeals address...): its form, one click away.
        from kettrack.ui.record_forms import PEOPLE_RECORDS

        self.fix_buttons: list[QPushButton] = []
        self.fix_dialog: QWidget | None = None
        for gap in draft.gaps:
            if gap.record in PEOPLE_RECORDS and gap.record_id is not None:
                button = QPushButton(tr("Fix: {0}…").format(gap.message))
                button.setObjectName(f"fix_{gap.record.value}_{gap.field}")
                button.clicked.connect(lambda _=False, g=gap: self.open_gap(g))
                advice_layout.addWidget(button)
                self.fix_buttons.append(button)

        self.form = ErrorForm(self, stretch=False)
        self.date = event_date_edit(ws)
        self.form.add_row("date", tr("Sent on:"), self.date, "letter", "claim", "level", "event")
        self.no_number = QCheckBox(tr("The payer gave this claim no claim number"))
        self.no_number.setObjectName("no_claim_number")
        self.no_number.setChecked(draft.no_claim_number)
        self.no_number.setVisible(draft.kind.about_a_claim)
        self.form.add_row("payer_claim_number", tr("Claim number:"), self.no_number)
        if draft.kind.about_a_claim:
            self.no_number.setText(
                tr("{0} (the payer's number)").format(draft.payer_claim_number)
                if draft.payer_claim_number
                else tr("None recorded: tick to confirm the payer gave none")
            )
        self.edits: list[tuple[LetterBlock, QPlainTextEdit]] = []
        parts = QWidget()
        column = QVBoxLayout(parts)
        for n, block in enumerate(draft.blocks):
            if block.title:
                heading = QLabel(f"<b>{block.title}</b>")
                column.addWidget(heading)
            edit = QPlainTextEdit(block.text)
            edit.setObjectName(f"letter_part_{n}")
            edit.setAccessibleName(block.title or tr("Part {0}").format(n + 1))
            edit.setMinimumHeight(70)
            column.addWidget(edit)
            self.edits.append((block, edit))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(parts)
        self.form.add_row("text", tr("Letter:"), scroll)

        self.save_button = QPushButton(tr("Save draft"))
        self.save_button.clicked.connect(self.save)
        self.preview_button = QPushButton(tr("Preview…"))
        self.preview_button.clicked.connect(self.preview)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close)
        self.issue_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.issue_button.setText(
            tr("Issue and file the appeal") if draft.kind.about_a_claim else tr("Issue letter")
        )
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.issue)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(advice_box)
        layout.addWidget(self.form, 1)
        layout.addWidget(buttons)

    def blocks(self) -> list[LetterBlock]:
        """The parts as edited now."""
        return [LetterBlock(block.key, block.title, edit.toPlainText()) for block, edit in self.edits]

    def _confirmed(self) -> bool | None:
        return self.no_number.isChecked() if self.draft.kind.about_a_claim else None

    def open_gap(self, gap: BillProblem) -> None:
        """Open the form of the record that holds what the advice says is missing."""
        from kettrack.ui.record_forms import open_people_record

        assert gap.record_id is not None

        def show(dialog: QWidget) -> None:
            self.fix_dialog = dialog
            dialog.show()

        open_people_record(self, self.ws, self.bus, gap.record, gap.record_id, show)

    def save(self) -> None:
        letters, draft_id, blocks, confirmed = self.letters, self.draft.id, self.blocks(), self._confirmed()
        change(
            self,
            lambda: letters.save(draft_id, blocks, no_claim_number=confirmed),
            self._saved,
            what="save letter draft",
            bus=self.bus,
            changes=(changes.CLAIM,),
            form=self.form,
        )

    def _saved(self, draft: LetterDraftView) -> None:
        self.draft = draft
        self.form.clear_problems()

    def preview(self) -> QWidget | None:
        """The letter as it would print, marked DRAFT (returned at once when database work is inline)."""
        letters, draft_id, blocks = self.letters, self.draft.id, self.blocks()
        shown = query(
            self,
            lambda: letters.preview_pdf(draft_id, blocks),
            self._show_preview,
            what="preview letter",
            form=self.form,
        )
        return shown.returned  # type: ignore[no-any-return]

    def _show_preview(self, pdf: bytes) -> QWidget:
        from kettrack.ui.pdf_preview import preview_dialog

        return preview_dialog(self, tr("Letter preview"), pdf)

    def issue(self) -> None:
        from kettrack.ui.basics import pydate

        letters, draft_id, blocks = self.letters, self.draft.id, self.blocks()
        issued_on, confirmed = pydate(self.date.date()), self._confirmed()
        change(
            self,
            lambda: letters.issue(draft_id, issued_on=issued_on, blocks=blocks, no_claim_number=confirmed),
            self._issued,
            what="issue letter",
            bus=self.bus,
            changes=(changes.CLAIM,),
            form=self.form,
        )

    def _issued(self, issued: IssuedLetter) -> None:
        self.issued = issued
        self.accept()


def start_letter_editor(
    owner: QWidget, ws: Workspace, bus: ChangeBus, start: object, *, what: str = "draft letter"
) -> None:
    """Draft a letter with ``start`` (a callable returning a LetterDraftView, run on the database
    worker) and open the editor on it."""

    def opened(draft: LetterDraftView) -> None:
        LetterEditor(ws, bus, draft, owner).show()

    change(owner, start, opened, what=what, bus=bus, changes=(changes.CLAIM,))  # type: ignore[arg-type]
