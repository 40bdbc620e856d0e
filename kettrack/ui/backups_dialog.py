"""Backups in the window: the list (when, why, size, what each holds), Back up now, Restore (the
current database is kept aside as a backup first; kettrack then closes, to start again on the
restored file), and Check database with its findings in words. Slow work runs off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kettrack.ui.basics import confirm, tell, tr
from kettrack.ui.tables import Column, RecordTable, RecordTableModel
from kettrack.ui.workers import Workers, shared_workers

if TYPE_CHECKING:
    from kettrack.store.backups import BackupInfo
    from kettrack.store.workspace import Workspace


def columns() -> list[Column[Any]]:
    def count(value: int | None) -> str:
        return "" if value is None else f"{value:,}"

    return [
        Column(tr("Taken"), lambda b: f"{b.taken_at.astimezone():%Y-%m-%d %H:%M}"),
        Column(tr("Why"), lambda b: b.reason.replace("-", " ")),
        Column(tr("Size"), lambda b: f"{b.size / 1048576:.1f} MB", numeric=True),
        Column(tr("Patients"), lambda b: count(b.patients), numeric=True),
        Column(tr("Sessions"), lambda b: count(b.sessions), numeric=True),
        Column(tr("Claims"), lambda b: count(b.claims), numeric=True),
        Column(tr("Documents"), lambda b: f"{b.documents:,}" if b.documents else ""),
    ]


class BackupsDialog(QDialog):
    def __init__(
        self,
        ws: Workspace,
        *,
        workers: Workers | None = None,
        quit_app: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.quit_app = quit_app or QApplication.quit
        self.workers = workers or shared_workers()
        self.restored: Path | None = None
        self.setObjectName("backups_dialog")
        self.setWindowTitle(tr("Backups"))
        self.resize(820, 460)
        self.path = ws.db.target.sqlite_path
        self.status = QLabel()
        self.status.setObjectName("backups_status")
        self.status.setWordWrap(True)
        self.model: RecordTableModel[BackupInfo] = RecordTableModel(columns(), self)
        self.table = RecordTable("backups")
        self.table.setModel(self.model)
        self.table.restore_header((140, 110, 80, 80, 80, 80))
        self.backup_button = QPushButton(tr("Back up now"))
        self.restore_button = QPushButton(tr("Restore…"))
        self.check_button = QPushButton(tr("Check database"))
        self.backup_button.clicked.connect(self.back_up)
        self.restore_button.clicked.connect(self.restore)
        self.check_button.clicked.connect(self.check)
        buttons = QHBoxLayout()
        for button in (self.backup_button, self.restore_button, self.check_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        if self.path is None:
            from kettrack.store.backups import PG_DUMP_ADVICE

            self.status.setText(tr("This is a shared database: ") + PG_DUMP_ADVICE)
            self.backup_button.setEnabled(False)
            self.restore_button.setEnabled(False)
        self.refresh()

    def refresh(self) -> None:
        from kettrack.store.backups import list_backups

        self.model.set_records(list_backups(self.path, self.ws.db.passphrase) if self.path else [])

    def current(self) -> BackupInfo | None:
        row = self.table.currentIndex().row()
        return self.model.records[row] if 0 <= row < len(self.model.records) else None

    def back_up(self) -> None:
        from kettrack.store.audit import AuditLog
        from kettrack.store.backups import KEEP_KEYS, back_up, policy_of

        assert self.path is not None
        path = self.path
        policy = policy_of({key: self.ws.settings.get(key) for key in KEEP_KEYS})

        def work() -> Path:
            made = back_up(path, reason="manual", policy=policy, passphrase=self.ws.db.passphrase)
            AuditLog(self.ws.db).record_now("backup", details=made.name)
            return made

        self.backup_button.setEnabled(False)
        self.status.setText(tr("Backing up…"))
        self.workers.run(work, self._backed_up, self._failed)

    def _backed_up(self, path: Path) -> None:
        self.backup_button.setEnabled(True)
        self.status.setText(tr("Backup written and verified: {0}").format(path.name))
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.backup_button.setEnabled(self.path is not None)
        self.check_button.setEnabled(True)
        self.status.setText(tr("That did not work: {0}").format(error))

    def check(self) -> None:
        from kettrack.store.check import check_database

        location = self.path or self.ws.db.target.url
        passphrase = self.ws.db.passphrase
        self.check_button.setEnabled(False)
        self.status.setText(tr("Checking the database…"))
        self.workers.run(lambda: check_database(location, passphrase), self._checked, self._failed)

    def _checked(self, report: Any) -> None:
        self.check_button.setEnabled(True)
        self.status.setText("\n".join(report.lines()))
        self.status.setStyleSheet("" if report.ok else "color: #b71c1c;")

    def restore(self) -> bool:
        backup = self.current()
        if backup is None or self.path is None:
            tell(self, tr("Restore"), tr("Choose the backup to go back to."))
            return False
        question = tr(
            "Go back to the backup of {0}? Everything recorded since then is replaced; the database as it "
            "is now is kept aside as a backup first. kettrack closes afterwards: start it again."
        ).format(backup.describe())
        if not confirm(self, tr("Restore a backup"), question):
            return False
        from kettrack.core.problems import InvalidInput
        from kettrack.store.audit import AuditLog
        from kettrack.store.backups import restore
        from kettrack.store.database import Database

        passphrase = self.ws.db.passphrase
        self.ws.close()  # the file is replaced under no open connection
        try:
            restore(self.path, backup.path, passphrase)
        except InvalidInput as exc:
            tell(self, tr("Not restored"), str(exc))
            return False
        db = Database.open(self.path, passphrase=passphrase)
        try:
            AuditLog(db).record_now("restore", details=f"from {backup.path.name}")
        finally:
            db.close()
        self.restored = backup.path
        tell(self, tr("Restored"), tr("The backup is restored. kettrack closes now; start it again."))
        self.quit_app()
        return True
