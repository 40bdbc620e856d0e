"""The audit log in the window: who did what to which record, when and from which machine, newest
first, filtered by action; *Verify* checks every entry's hash link and seal and the chain against the
heads anchored outside the database, and says what it found (the same verdict as ``audit verify``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kettrack.ui.basics import tr
from kettrack.ui.operations import query
from kettrack.ui.tables import Column, RecordTable, RecordTableModel

if TYPE_CHECKING:
    from kettrack.core.audit import AuditEntry
    from kettrack.services.audit import AuditVerdict
    from kettrack.services.workspace import Workspace

SHOWN = 2000  # the newest entries; the command line lists and verifies all of them


def columns() -> list[Column[Any]]:
    return [
        Column(tr("#"), lambda e: str(e.sequence), numeric=True),
        Column(tr("When"), lambda e: e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
        Column(tr("Who"), lambda e: e.actor),
        Column(tr("Machine"), lambda e: e.machine),
        Column(tr("What"), lambda e: e.action),
        Column(tr("Record"), lambda e: f"{e.record_kind} {e.record_id or ''}".strip()),
        Column(tr("Details"), lambda e: e.details),
    ]


class AuditDialog(QDialog):
    def __init__(self, ws: Workspace, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from kettrack.services.audit import ACTIONS, AuditLog

        self.log = AuditLog(ws.db)
        self.setObjectName("audit_dialog")
        self.setWindowTitle(tr("Audit log"))
        self.resize(1000, 600)
        self.action = QComboBox()
        self.action.addItem(tr("All actions"), None)
        for action in ACTIONS:
            self.action.addItem(action.replace("_", " "), action)
        self.action.currentIndexChanged.connect(lambda _i: self.refresh())
        self.verify_button = QPushButton(tr("Verify"))
        self.verify_button.setToolTip(
            tr("Check every entry's link and seal, and the log against the copies of its end kept elsewhere")
        )
        self.verify_button.clicked.connect(self.verify)
        self.verdict = QLabel()
        self.verdict.setObjectName("audit_result")
        self.verdict.setWordWrap(True)
        self.model: RecordTableModel[AuditEntry] = RecordTableModel(columns(), self)
        self.table = RecordTable("audit_log")
        self.table.setModel(self.model)
        self.table.restore_header((60, 150, 120, 110, 80, 110))
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Show:")))
        top.addWidget(self.action)
        top.addStretch(1)
        top.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.verdict)
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        log, action = self.log, self.action.currentData()
        query(
            self,
            lambda: log.entries(action=action, limit=SHOWN),
            self.model.set_records,
            what="read audit log",
        )

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.verdict.setText(tr("Checking every entry…"))
        # A log that cannot be read is said in the dialog (the failure's type; the log file has it too).
        query(
            self, self.log.report, self._verified, what="verify audit log", handle={Exception: self._failed}
        )

    def _verified(self, verdict: AuditVerdict) -> None:
        self.verify_button.setEnabled(True)
        # The lines are the command's (kettrack audit verify), so the window and a script agree.
        shown = verdict.lines()
        if len(shown) > 16:
            shown = [*shown[:15], tr("… and more: kettrack audit verify lists them all")]
        self.verdict.setText("\n".join(shown))
        self.verdict.setStyleSheet("" if verdict.ok else "color: #b71c1c;")

    def _failed(self, error: BaseException) -> None:
        self.verify_button.setEnabled(True)
        self.verdict.setText(tr("The audit log could not be read: {0}").format(type(error).__name__))

    def done(self, result: int) -> None:
        self.table.save_header()
        super().done(result)
