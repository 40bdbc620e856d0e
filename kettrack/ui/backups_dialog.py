"""Backups in the window: the list (when, why, size, what each holds), Back up now, Restore (the
current database is kept aside as a backup first; kettrack then closes, to start again on the
restored file), and Check database with its findings in words. All of it runs on the database worker
(kettrack.ui.operations): off the GUI thread, and never beside another query of the same file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kettrack.ui.basics import confirm, tell, tr
from kettrack.ui.operations import change, query
from kettrack.ui.tables import Column, RecordTable, RecordTableModel

if TYPE_CHECKING:
    from kettrack.services.backups import BackupInfo
    from kettrack.services.workspace import Workspace


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
        quit_app: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.quit_app = quit_app or QApplication.quit
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
            from kettrack.services.backups import PG_DUMP_ADVICE

            self.status.setText(tr("This is a shared database: ") + PG_DUMP_ADVICE)
            self.backup_button.setEnabled(False)
            self.restore_button.setEnabled(False)
        self.refresh()

    def refresh(self) -> None:
        from kettrack.services.backups import list_backups

        path, passphrase = self.path, self.ws.db.passphrase
        query(
            self,
            lambda: list_backups(path, passphrase) if path else [],
            self.model.set_records,
            what="list backups",
        )

    def current(self) -> BackupInfo | None:
        row = self.table.currentIndex().row()
        return self.model.records[row] if 0 <= row < len(self.model.records) else None

    def back_up(self) -> None:
        from kettrack.services.audit import AuditLog
        from kettrack.services.backups import KEEP_KEYS, back_up, policy_of

        assert self.path is not None
        path, ws = self.path, self.ws

        def work() -> Path:
            policy = policy_of({key: ws.settings.get(key) for key in KEEP_KEYS})
            made = back_up(path, reason="manual", policy=policy, passphrase=ws.db.passphrase)
            AuditLog(ws.db).record_now("backup", details=made.name)
            return made

        self.backup_button.setEnabled(False)
        self.status.setText(tr("Backing up…"))
        change(self, work, self._backed_up, what="back up", handle={Exception: self._failed})

    def _backed_up(self, path: Path) -> None:
        self.backup_button.setEnabled(True)
        self.status.setText(tr("Backup written and verified: {0}").format(path.name))
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.backup_button.setEnabled(self.path is not None)
        self.check_button.setEnabled(True)
        self.status.setText(tr("That did not work: {0}").format(error))

    def check(self) -> None:
        from kettrack.services.check import check_database

        location = self.path or self.ws.db.target.url
        passphrase = self.ws.db.passphrase
        self.check_button.setEnabled(False)
        self.status.setText(tr("Checking the database…"))
        query(
            self,
            lambda: check_database(location, passphrase),
            self._checked,
            what="check database",
            handle={Exception: self._failed},
        )

    def _checked(self, report: Any) -> None:
        self.check_button.setEnabled(True)
        self.status.setText("\n".join(report.lines()))
        self.status.setStyleSheet("" if report.ok else "color: #b71c1c;")

    def restore(self) -> bool:
        """Go back to the chosen backup after asking; True once restored (at once when the database
        work runs inline)."""
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
        from kettrack.services.audit import AuditLog
        from kettrack.services.backups import restore
        from kettrack.services.opening import open_database

        path, ws = self.path, self.ws
        passphrase = ws.db.passphrase

        def work() -> Path:
            # On the database worker: no query of this window runs while the file is replaced.
            ws.close()  # the file is replaced under no open connection
            restore(path, backup.path, passphrase)
            db = open_database(path, passphrase=passphrase)
            try:
                AuditLog(db).record_now("restore", details=f"from {backup.path.name}")
            finally:
                db.close()
            return backup.path

        restored = change(
            self,
            work,
            self._restored,
            what="restore backup",
            handle={InvalidInput: lambda exc: tell(self, tr("Not restored"), str(exc))},
        )
        return restored.succeeded

    def _restored(self, backup: Path) -> None:
        self.restored = backup
        tell(self, tr("Restored"), tr("The backup is restored. kettrack closes now; start it again."))
        self.quit_app()
