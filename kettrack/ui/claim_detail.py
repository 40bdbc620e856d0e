"""One claim in its own window: who and what it bills, its money, what the latest EOB or denial
says and the next step it leads to (the denial triage), its deadlines with the rule and source each
comes from, its timeline of events with their files, its appeal letters, a button for each thing
that can happen next (only those the claim's state allows), and a Letters menu that starts a letter
of medical necessity, a prior authorization request or an external review request for the claim in
the letter editor (kettrack.ui.letter_editor). The claim is read, and every event written, on the
database worker (kettrack.ui.operations). The appeal letter dialog is in kettrack.ui.appeal_dialog
(re-exported here)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.claim_states import ALLOWED, ClaimState, EventKind
from kettrack.core.claims import ClaimDetail
from kettrack.core.letter_kinds import LetterKind
from kettrack.core.money import format_usd
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.ui import changes
from kettrack.ui.appeal_dialog import AppealDialog
from kettrack.ui.basics import tell, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_event_dialog import EventDialog
from kettrack.ui.claim_letters import LETTERS, LettersButton
from kettrack.ui.operations import change, query

if TYPE_CHECKING:
    from kettrack.core.appeal import AppealDraft
    from kettrack.core.letter_draft import LetterDraftView
    from kettrack.services.workspace import Workspace

__all__ = ["ACTIONS", "LETTERS", "AppealDialog", "ClaimWindow", "possible"]

# States in which the latest notice's triage is the next step (after it, an appeal or a close is).
AWAITING_STEP = frozenset({ClaimState.DENIED, ClaimState.PARTIALLY_PAID, ClaimState.PAID})

# The buttons, in the order a claim lives through them, and the event each records.
ACTIONS: tuple[tuple[str, EventKind], ...] = (
    ("Submitted…", EventKind.SUBMITTED),
    ("Acknowledged…", EventKind.ACKNOWLEDGED),
    ("Info requested…", EventKind.INFO_REQUESTED),
    ("Info sent…", EventKind.INFO_SENT),
    ("EOB / payment…", EventKind.PAID),
    ("Denial…", EventKind.DENIED),
    ("Appeal…", EventKind.APPEAL_FILED),
    ("Decision…", EventKind.APPEAL_UPHELD),
    ("External review…", EventKind.EXTERNAL_REVIEW_FILED),
    ("Close…", EventKind.CLOSED),
    ("Note…", EventKind.NOTE),
)


def possible(detail: ClaimDetail, kind: EventKind) -> bool:
    allowed = ALLOWED[detail.status.state]
    if kind is EventKind.NOTE:
        return True
    if kind is EventKind.PAID:
        return EventKind.PAID in allowed or EventKind.PARTIALLY_PAID in allowed
    if kind is EventKind.APPEAL_UPHELD:
        return EventKind.APPEAL_UPHELD in allowed
    if kind is EventKind.EXTERNAL_REVIEW_FILED:
        return (
            kind in allowed and detail.status.outcome is not None and detail.status.outcome.value == "upheld"
        )
    return kind in allowed


class ClaimWindow(QDialog):
    """A claim's whole story and what can happen next."""

    def __init__(
        self,
        ws: Workspace,
        bus: ChangeBus,
        claim_id: int,
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus, self.claim_id = ws, bus, claim_id
        self.setObjectName("claim_window")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(980, 720)
        self.detail: ClaimDetail | None = None

        self.header = QLabel()
        self.header.setObjectName("claim_header")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header.setWordWrap(True)
        self.money = QLabel()
        self.money.setObjectName("claim_money")
        # What the latest EOB or denial says and the next step it leads to (the denial triage).
        self.triage = QLabel()
        self.triage.setObjectName("claim_triage")
        self.triage.setWordWrap(True)
        self.triage.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.triage.hide()
        self.deadlines = QListWidget()
        self.deadlines.setObjectName("claim_deadlines")
        self.deadlines.setWordWrap(True)
        self.rules_button = QPushButton(tr("Payer rules…"))
        self.rules_button.clicked.connect(self.edit_rules)
        self.timeline = QTableWidget(0, 5)
        self.timeline.setObjectName("claim_timeline")
        self.timeline.setHorizontalHeaderLabels(
            [tr("Date"), tr("Event"), tr("Money"), tr("Note"), tr("Files")]
        )
        self.timeline.verticalHeader().hide()
        self.timeline.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.timeline.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.timeline.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((90, 170, 200, 300)):
            self.timeline.setColumnWidth(column, width)
        self.documents = QListWidget()
        self.documents.setObjectName("claim_documents")
        self.documents.itemActivated.connect(self._open_document)
        self.attach_button = QPushButton(tr("Attach file…"))
        self.attach_button.clicked.connect(self.attach_file)

        self.buttons: dict[EventKind, QPushButton] = {}
        actions = QGridLayout()
        for number, (text, kind) in enumerate(ACTIONS):
            button = QPushButton(tr(text))
            button.setObjectName(f"action_{kind.value}")
            button.clicked.connect(lambda _checked=False, k=kind: self.record(k))
            self.buttons[kind] = button
            actions.addWidget(button, number // 6, number % 6)
        # Letters drafted from the claim's record: each opens the letter editor (nothing is filed).
        self.letters_button = LettersButton(self.start_letter)
        self.letters_menu, self.letter_actions = (
            self.letters_button.menu_of_letters,
            self.letters_button.actions_by_kind,
        )
        actions.addWidget(self.letters_button, len(ACTIONS) // 6, len(ACTIONS) % 6)

        deadline_box = QGroupBox(tr("Deadlines"))
        column = QVBoxLayout(deadline_box)
        column.addWidget(self.deadlines)
        column.addWidget(self.rules_button, 0, Qt.AlignmentFlag.AlignLeft)
        documents_box = QGroupBox(tr("Files and letters (double-click to open)"))
        column = QVBoxLayout(documents_box)
        column.addWidget(self.documents)
        column.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignLeft)
        lower = QSplitter()
        lower.addWidget(deadline_box)
        lower.addWidget(documents_box)
        timeline_box = QGroupBox(tr("Timeline"))
        QVBoxLayout(timeline_box).addWidget(self.timeline)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.money)
        layout.addWidget(self.triage)
        layout.addLayout(actions)
        lower.setSizes([560, 400])
        layout.addWidget(timeline_box, 3)
        layout.addWidget(lower, 2)
        close = QHBoxLayout()
        close.addStretch(1)
        done = QPushButton(tr("Close"))
        done.clicked.connect(self.close)
        close.addWidget(done)
        layout.addLayout(close)
        for button in (*self.buttons.values(), self.rules_button, self.attach_button, self.letters_button):
            button.setEnabled(False)  # until the claim is in
        bus.changed.connect(self._on_changed)
        self.refresh()

    def refresh(self) -> None:
        views, claim_id = self.ws.claim_views, self.claim_id
        query(
            self,
            lambda: views.get(claim_id),
            self._show,
            what="open claim",
            handle={NotFound: lambda _gone: self.close()},
        )

    def _show(self, detail: ClaimDetail) -> None:
        self.detail = detail
        self.rules_button.setEnabled(True)
        self.attach_button.setEnabled(True)
        self.letters_button.setEnabled(True)
        row = detail.row
        self.setWindowTitle(tr("Claim {0}").format(row.number))
        number = f" · {tr('payer claim number')} {row.payer_claim_number}" if row.payer_claim_number else ""
        self.header.setText(
            f"<b>{row.number}</b> · {row.patient_name} · {row.payer_name} ({row.rank.label.lower()}, "
            f"{tr('member')} {detail.member_id}){number}<br><b>{row.status_text}</b> · "
            + tr("filed by {0}, sent by {1}").format(detail.filer.label.lower(), detail.method.label.lower())
        )
        money = detail.money
        self.money.setText(
            tr("Billed {0} · Allowed {1} · Paid {2} · Patient's share {3} · Outstanding {4}").format(
                format_usd(money.billed),
                format_usd(money.allowed) if money.allowed is not None else "–",
                format_usd(money.paid),
                format_usd(money.patient_responsibility),
                format_usd(row.outstanding),
            )
        )
        self._show_triage(detail)
        self.deadlines.clear()
        today = self.ws.today()
        for deadline in detail.deadlines:
            late = tr(" (overdue)") if deadline.due < today else ""
            item = QListWidgetItem(
                f"{deadline.due.isoformat()}{late}: {deadline.action}\n    {deadline.explain()}"
            )
            if deadline.due < today:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.deadlines.addItem(item)
        if not detail.deadlines:
            self.deadlines.addItem(tr("No open deadline."))
        self.rules_button.setText(
            tr("Payer rules…") if detail.rules_confirmed else tr("Confirm the plan's rules…")
        )
        self.timeline.setRowCount(len(detail.events))
        for r, event in enumerate(detail.events):
            money_text = []
            if event.amounts.paid is not None and event.kind is not EventKind.DENIED:
                money_text.append(tr("paid {0}").format(format_usd(event.amounts.paid)))
            if event.amounts.allowed is not None:
                money_text.append(tr("allowed {0}").format(format_usd(event.amounts.allowed)))
            money_text += [
                f"{a.group.value}-{a.reason} {format_usd(a.amount)} {a.remarks}".strip()
                for a in event.adjustments
            ]
            what = event.describe() + (
                f" ({tr('received')} {event.received_on.isoformat()})" if event.received_on else ""
            )
            cells = (
                event.on.isoformat(),
                what,
                "; ".join(money_text),
                event.note,
                ", ".join(a.original_name for a in event.attachments),
            )
            for c, text in enumerate(cells):
                self.timeline.setItem(r, c, QTableWidgetItem(text))
        self.timeline.resizeRowsToContents()
        self.documents.clear()
        for attachment in detail.attachments:
            item = QListWidgetItem(f"{attachment.original_name} ({attachment.added_at:%Y-%m-%d})")
            item.setData(Qt.ItemDataRole.UserRole, ("attachment", attachment.id))
            self.documents.addItem(item)
        for letter in detail.letters:
            item = QListWidgetItem(
                tr("Appeal letter {0} ({1})").format(letter.number, letter.level.replace("_", " "))
            )
            item.setData(Qt.ItemDataRole.UserRole, ("letter", letter.id))
            self.documents.addItem(item)
        for kind, button in self.buttons.items():
            button.setEnabled(possible(detail, kind))
        # An external review follows a final internal appeal that was upheld (the service says so too).
        self.letter_actions[LetterKind.EXTERNAL_REVIEW].setEnabled(
            possible(detail, EventKind.EXTERNAL_REVIEW_FILED)
        )

    def _show_triage(self, detail: ClaimDetail) -> None:
        """The notice in plain words and what to do about it; each code's words as the tooltip."""
        reading = detail.triage
        if reading is None:
            self.triage.hide()
            return
        text = f"<b>{tr('What the plan said:')}</b> {escape(reading.explanation)}"
        if detail.status.state in AWAITING_STEP:  # once appealed or closed, the deadlines say what is next
            text += f"<br><b>{tr('Next step:')}</b> {escape(reading.next_step)}"
        self.triage.setText(text)
        self.triage.setToolTip(
            "\n".join(f"{r.code}: {r.meaning}" for r in reading.readings) or tr("No codes on the notice")
        )
        self.triage.show()

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if changes.CLAIM in kinds or changes.PAYER in kinds:
            self.refresh()

    def record(self, kind: EventKind) -> QDialog | None:
        """Open the dialog that records ``kind``; returns it once open (at once when the database work
        runs inline; an appeal's letter is drafted from the record first)."""
        assert self.detail is not None
        if kind is EventKind.APPEAL_FILED:
            appeals, claim_id = self.ws.appeals, self.claim_id
            drafted = query(
                self,
                lambda: appeals.draft(claim_id),
                self._open_appeal,
                what="draft appeal letter",
                handle={InvalidInput: lambda exc: tell(self, tr("No appeal possible"), str(exc))},
            )
            return drafted.returned  # type: ignore[no-any-return]
        if kind is EventKind.PAID and EventKind.PAID not in ALLOWED[self.detail.status.state]:
            kind = EventKind.PARTIALLY_PAID
        dialog = EventDialog(
            self.ws, self.bus, self.claim_id, kind, expected_events=len(self.detail.events), parent=self
        )
        dialog.open()
        return dialog

    def start_letter(self, kind: LetterKind) -> QDialog | None:
        """Draft a letter of ``kind`` about this claim (stored, nothing filed) and open it in the letter
        editor; returns the editor once open (at once when the database work runs inline)."""
        from kettrack.services.letter_drafts import LetterService

        letters, claim_id = LetterService(self.ws.appeals), self.claim_id
        started = change(
            self,
            lambda: letters.start(kind, claim_id=claim_id),
            self._open_letter,
            what=f"draft {kind.value} letter",
            bus=self.bus,
            changes=(changes.CLAIM,),
            handle={InvalidInput: lambda exc: tell(self, tr("No letter drafted"), str(exc))},
        )
        return started.returned  # type: ignore[no-any-return]

    def _open_letter(self, draft: LetterDraftView) -> QDialog:
        from kettrack.ui.letter_editor import LetterEditor

        editor = LetterEditor(self.ws, self.bus, draft, self)
        editor.show()
        return editor

    def _open_appeal(self, draft: AppealDraft) -> QDialog:
        dialog = AppealDialog(self.ws, self.bus, self.claim_id, draft, parent=self)
        dialog.open()
        return dialog

    def edit_rules(self) -> QDialog:
        from kettrack.ui.rules_dialog import PayerRulesDialog

        assert self.detail is not None
        dialog = PayerRulesDialog(self.ws, self.bus, self.detail.row.payer_id, parent=self)
        dialog.open()
        return dialog

    def attach_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        name, _ = QFileDialog.getOpenFileName(
            self, tr("Attach a file"), "", tr("Documents (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)")
        )
        if not name:
            return
        claims, claim_id = self.ws.claims, self.claim_id
        change(
            self,
            lambda: claims.attach(claim_id, Path(name)),
            what="attach file to claim",
            bus=self.bus,
            changes=(changes.CLAIM,),
            handle={(InvalidInput, OSError): lambda exc: tell(self, tr("File not attached"), str(exc))},
        )

    def _open_document(self, item: QListWidgetItem) -> None:
        from kettrack.ui.pdf_preview import open_in_viewer, viewer_copy

        kind, record_id = item.data(Qt.ItemDataRole.UserRole)
        letter_name = item.text().split(" (")[0] + ".pdf"
        claims, appeals = self.ws.claims, self.ws.appeals

        def copy() -> Path:
            # The owner-only copy for the viewer is written here too, off the GUI thread.
            if kind == "attachment":
                name, content = claims.attachment_content(record_id)
            else:
                name, content = letter_name, appeals.letter_pdf(record_id)
            return viewer_copy(content, name)

        query(
            self,
            copy,
            open_in_viewer,
            what=f"open claim {kind}",
            handle={(InvalidInput, NotFound): lambda exc: tell(self, tr("File not opened"), str(exc))},
        )
