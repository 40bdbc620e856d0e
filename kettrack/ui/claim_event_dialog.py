"""The dialog that records one event on a claim, showing the fields each kind needs (a submission's
method and number, an EOB's amounts and adjustment codes, a denial's codes, a decision's outcome, a
close's reason), with files to attach. Problems show next to their field; nothing is written until
everything is right. The event is recorded on the database worker (kettrack.ui.operations)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.claim_states import CloseReason, EventKind
from kettrack.core.claims import EobAmounts, GroupCode, NewEvent, SubmitMethod
from kettrack.core.money import parse_amount
from kettrack.core.problems import InvalidInput, NotFound, Problem
from kettrack.ui import changes
from kettrack.ui.basics import DATE_FORMAT, pydate, qdate, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.eob_adjustments import AdjustmentRows
from kettrack.ui.forms import ErrorForm, MultilineField
from kettrack.ui.operations import change

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

DECISIONS = (EventKind.PAID, EventKind.PARTIALLY_PAID, EventKind.DENIED)
EVENT_TITLES = {
    EventKind.SUBMITTED: "Record submission",
    EventKind.ACKNOWLEDGED: "Payer acknowledged the claim",
    EventKind.INFO_REQUESTED: "Payer asked for information",
    EventKind.INFO_SENT: "Information sent",
    EventKind.PAID: "Record an EOB",
    EventKind.PARTIALLY_PAID: "Record an EOB",
    EventKind.DENIED: "Record a denial",
    EventKind.APPEAL_OVERTURNED: "Record the appeal decision",
    EventKind.APPEAL_UPHELD: "Record the appeal decision",
    EventKind.EXTERNAL_REVIEW_FILED: "Record an external review request",
    EventKind.CLOSED: "Close the claim",
    EventKind.NOTE: "Add a note",
}


def event_date_edit(ws: Workspace) -> QDateEdit:
    """The date an event happened: today or earlier (a claim's events and letters are dated so)."""
    edit = QDateEdit(qdate(ws.today()))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setMaximumDate(qdate(ws.today()))
    return edit


class EventDialog(QDialog):
    """Record one event on a claim; the fields follow the kind of event."""

    def __init__(
        self,
        ws: Workspace,
        bus: ChangeBus,
        claim_id: int,
        kind: EventKind,
        *,
        expected_events: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws, self.bus, self.claim_id, self.kind = ws, bus, claim_id, kind
        self.expected_events = expected_events
        self.event_id: int | None = None
        self.files: list[Path] = []
        self.setObjectName("claim_event_dialog")
        self.setWindowTitle(tr(EVENT_TITLES.get(kind, kind.label)))
        self.form = ErrorForm(self)
        self.date = event_date_edit(ws)
        self.form.add_row(
            "date",
            tr("Date:") if kind is not EventKind.DENIED else tr("Date on the notice:"),
            self.date,
            "event",
        )
        self.received = QDateEdit(qdate(ws.today()))
        self.received.setCalendarPopup(True)
        self.received.setDisplayFormat(DATE_FORMAT)
        self.received_known = QRadioButton(tr("Arrived on:"))
        self.amounts: dict[str, QLineEdit] = {}
        self.adjustments: AdjustmentRows | None = None
        self.method: QComboBox | None = None
        self.number: QLineEdit | None = None
        self.outcome_overturned: QRadioButton | None = None
        self.paid_in_full: QRadioButton | None = None
        self.from_amounts: QRadioButton | None = None
        self.reason: QComboBox | None = None

        if kind is EventKind.SUBMITTED:
            self.method = QComboBox()
            for method in SubmitMethod:
                self.method.addItem(method.label, method.value)
            self.form.add_row("method", tr("Sent by:"), self.method)
        if kind in (EventKind.SUBMITTED, EventKind.ACKNOWLEDGED):
            self.number = QLineEdit()
            self.number.setPlaceholderText(tr("the number the payer gave the claim, if any"))
            self.form.add_row("payer_claim_number", tr("Payer's claim number:"), self.number)
        if kind in (
            *DECISIONS,
            EventKind.INFO_REQUESTED,
            EventKind.APPEAL_UPHELD,
            EventKind.APPEAL_OVERTURNED,
        ):
            received_row = QWidget()
            row = QHBoxLayout(received_row)
            row.setContentsMargins(0, 0, 0, 0)
            self.received_unknown = QRadioButton(tr("not recorded"))
            self.received_unknown.setChecked(True)
            self.received.setEnabled(False)
            self.received_known.toggled.connect(self.received.setEnabled)
            row.addWidget(self.received_unknown)
            row.addWidget(self.received_known)
            row.addWidget(self.received)
            row.addStretch(1)
            self.form.add_row(
                "received_on",
                tr("Letter received:"),
                received_row,
            ).setToolTip(tr("Appeal deadlines count from the day the notice arrived"))
        if kind in (EventKind.PAID, EventKind.PARTIALLY_PAID):
            choice = QWidget()
            row = QHBoxLayout(choice)
            row.setContentsMargins(0, 0, 0, 0)
            # Decided from the amounts unless the person says (the same rule as the command line:
            # kettrack.core.eob_outcome, applied by the claims service).
            self.from_amounts = QRadioButton(tr("From the amounts"))
            self.from_amounts.setObjectName("outcome_from_amounts")
            self.from_amounts.setToolTip(
                tr("In full when payment, write-offs (CO) and the patient's share cover what was open")
            )
            self.paid_in_full = QRadioButton(tr("Paid in full"))
            self.partly_paid = QRadioButton(tr("Partially paid"))
            self.from_amounts.setChecked(True)
            row.addWidget(self.from_amounts)
            row.addWidget(self.paid_in_full)
            row.addWidget(self.partly_paid)
            row.addStretch(1)
            self.form.add_row("kind", tr("Outcome:"), choice)
        if kind in DECISIONS:
            names = (
                ("allowed", "paid", "deductible", "coinsurance", "copay")
                if kind is not EventKind.DENIED
                else ("allowed",)
            )
            for name in names:
                edit = QLineEdit()
                edit.setAlignment(Qt.AlignmentFlag.AlignRight)
                edit.setMaximumWidth(140)
                edit.setObjectName(f"amount_{name}")
                self.amounts[name] = edit
                self.form.add_row(name, tr(name.capitalize() + ":"), edit)
            self.adjustments = AdjustmentRows(ws)
            # One empty line, no reason code guessed: the code decides the next step (the denial
            # triage), so it is the one on the notice or none.
            self.adjustments.add_row(GroupCode.CO)
            self.form.add_row("adjustments", tr("Adjustments:"), self.adjustments)
        if kind in (EventKind.APPEAL_OVERTURNED, EventKind.APPEAL_UPHELD):
            choice = QWidget()
            row = QHBoxLayout(choice)
            row.setContentsMargins(0, 0, 0, 0)
            self.outcome_overturned = QRadioButton(tr("Overturned: the denial was reversed"))
            upheld = QRadioButton(tr("Upheld: the denial stands"))
            (self.outcome_overturned if kind is EventKind.APPEAL_OVERTURNED else upheld).setChecked(True)
            row.addWidget(self.outcome_overturned)
            row.addWidget(upheld)
            self.form.add_row("outcome", tr("Decision:"), choice)
        if kind is EventKind.CLOSED:
            self.reason = QComboBox()
            for reason in CloseReason:
                if reason is not CloseReason.REPLACED:
                    self.reason.addItem(reason.label, reason.value)
            self.form.add_row("close_reason", tr("Why:"), self.reason)
        self.note = MultilineField()
        self.form.add_row("note", tr("Note:"), self.note.widget)
        files = QWidget()
        column = QVBoxLayout(files)
        column.setContentsMargins(0, 0, 0, 0)
        self.file_list = QListWidget()
        self.file_list.setMaximumHeight(60)
        add = QPushButton(tr("Attach a file…"))
        add.clicked.connect(self._pick_file)
        column.addWidget(self.file_list)
        column.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
        self.form.add_row("file", tr("Files (EOB, letter):"), files, "attachment")

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def attach_file(self, path: Path) -> None:
        self.files.append(path)
        self.file_list.addItem(path.name)

    def _pick_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, tr("Attach a file"), "", tr("Documents (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)")
        )
        if name:
            self.attach_file(Path(name))

    def stated_outcome(self) -> EventKind | None:
        """Paid in full or partly paid when the person said so; None: decided from the amounts."""
        if self.paid_in_full is None or self.from_amounts is None or self.from_amounts.isChecked():
            return None
        return EventKind.PAID if self.paid_in_full.isChecked() else EventKind.PARTIALLY_PAID

    def build_event(self) -> NewEvent:
        problems: list[Problem] = []
        kind = self.kind
        if self.outcome_overturned is not None:
            kind = (
                EventKind.APPEAL_OVERTURNED
                if self.outcome_overturned.isChecked()
                else EventKind.APPEAL_UPHELD
            )
        values: dict[str, Decimal | None] = {}
        for name, edit in self.amounts.items():
            text = edit.text().strip()
            if not text:
                values[name] = None
                continue
            try:
                values[name] = parse_amount(text, name)
            except InvalidInput as exc:
                problems.extend(exc.problems)
        adjustments = self.adjustments.values(problems) if self.adjustments is not None else ()
        if problems:
            raise InvalidInput(problems)
        received = pydate(self.received.date()) if self.received_known.isChecked() else None
        return NewEvent(
            kind,
            pydate(self.date.date()),
            note=self.note.get(),
            received_on=received,
            close_reason=CloseReason(self.reason.currentData()) if self.reason is not None else None,
            payer_claim_number=self.number.text().strip() if self.number is not None else "",
            method=SubmitMethod(self.method.currentData()) if self.method is not None else None,
            amounts=EobAmounts(**values) if values else EobAmounts(),
            adjustments=adjustments,
        )

    def save(self) -> None:
        try:
            event = self.build_event()
        except InvalidInput as exc:
            self.form.show_problems(exc.problems)
            return
        claims, claim_id, expected = self.ws.claims, self.claim_id, self.expected_events
        attachments = [(p, "") for p in self.files]
        stated = self.stated_outcome()
        change(
            self,
            lambda: claims.record(
                claim_id,
                claims.with_outcome(claim_id, event, stated=stated),
                expected_events=expected,
                attachments=attachments,
            ),
            self._recorded,
            what=f"record claim event {event.kind.value}",
            bus=self.bus,
            changes=(changes.CLAIM,),
            form=self.form,
            handle={
                NotFound: lambda exc: self.form.show_problems([Problem("event", str(exc))]),
                OSError: lambda exc: self.form.show_problems([Problem("file", exc.strerror or str(exc))]),
            },
        )

    def _recorded(self, event_id: int) -> None:
        self.event_id = event_id
        self.accept()


def record_event_dialog(
    ws: Workspace, bus: ChangeBus, claim_id: int, kind: EventKind, **kwargs: Any
) -> EventDialog:
    return EventDialog(ws, bus, claim_id, kind, **kwargs)
