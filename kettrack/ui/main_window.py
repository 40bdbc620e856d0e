"""The main window: a navigation list on the left, the chosen view on the right, menus whose Edit
actions act on the current view, and the database location in the status bar. It only wires views
together and passes dependencies in; the views do the work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6 import QtCore
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from kettrack import __version__
from kettrack.ui import settings
from kettrack.ui.changes import ChangeBus
from kettrack.ui.infusions import InfusionsView

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QKeySequence

    from kettrack.services.startup import Snapshot
    from kettrack.services.workspace import Workspace


# Rows of the navigation list: what to do now first, then the records in the order they arise.
DASHBOARD, INFUSIONS, PEOPLE, SUPERBILLS, CLAIMS, BILLING = range(6)


class View(Protocol):
    """What the Edit menu asks of a view."""

    def new_item(self) -> None: ...
    def edit_item(self) -> None: ...
    def delete_item(self) -> None: ...
    def focus_find(self) -> None: ...
    def save_state(self) -> None: ...


class MainWindow(QMainWindow):
    """Navigation on the left, one view at a time on the right."""

    def __init__(self, ws: Workspace | None, bus: ChangeBus, *, preview: Snapshot | None = None) -> None:
        """With ``ws`` None the window shows the start-up ``preview`` and waits for ``attach``."""
        super().__init__()
        self.ws = ws
        self.bus = bus
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("kettrack"))
        self.resize(1180, 720)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName(self.tr("Sections"))
        self.nav.setFixedWidth(150)
        self.stack = QStackedWidget()
        self.infusions = InfusionsView(ws, bus, preview=preview)
        self.views: list[QWidget] = [self.infusions]
        # Built the first time they are shown: not on the start-up path (Superbills brings in ReportLab).
        self._dashboard: QWidget | None = None
        self._people: QWidget | None = None
        self._superbills: QWidget | None = None
        self._claims: QWidget | None = None
        self._billing: QWidget | None = None
        self.nav.addItem(self.tr("Dashboard"))
        self.nav.addItem(self.tr("Infusions"))
        self.nav.addItem(self.tr("People"))
        self.nav.addItem(self.tr("Superbills"))
        self.nav.addItem(self.tr("Claims"))
        self.nav.addItem(self.tr("Billing"))
        self.stack.addWidget(self.infusions)
        self._moved = False  # the person picked a section: start-up no longer chooses one for them
        self.nav.currentRowChanged.connect(self._user_moved)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.location = QLabel(self.tr("Opening the database…"))
        self.location.setObjectName("database_location")
        self.statusBar().addWidget(self.location, 1)
        from kettrack.ui.code_set_notice import CodeSetNotice

        self.code_set_notice = CodeSetNotice(bus, self)
        self.statusBar().addPermanentWidget(self.code_set_notice)

        self._build_menus()
        self._restore()
        self.reminders: QObject | None = None
        if ws is not None:
            self._fill_menus()
            self._show_location(ws)
            self.show_section(DASHBOARD)
            self._start_reminders(ws)
        else:
            # The start-up preview shows the newest sessions at once; the dashboard follows on attach.
            # Meanwhile show_section opens no other section (the list's items are not greyed out:
            # that names Qt's enums, which the first paint avoids; see kettrack.ui.tables), and the
            # menus get their actions on attach (closed menus look the same; the window takes no
            # input while the workspace opens).
            self.show_section(INFUSIONS)

    def attach(self, ws: Workspace) -> None:
        """The workspace has opened: hand it to the views and enable what waited for it."""
        self.ws = ws
        self.infusions.attach(ws)
        self._fill_menus()
        self._show_location(ws)
        # The section picked while the database opened (if any) shows now; else the dashboard.
        self.show_section(self.nav.currentRow() if self._moved else DASHBOARD)
        self._start_reminders(ws)

    def _start_reminders(self, ws: Workspace) -> None:
        """Tray notifications of what becomes due, first shortly after the window is up; and the
        automatic lock after the idle time (when a PIN is set)."""
        from kettrack.ui.auto_lock import AutoLock
        from kettrack.ui.tray import Reminders

        self.auto_lock = AutoLock(ws, self)

        reminders = Reminders(ws, self)
        self.reminders = reminders
        QTimer.singleShot(3000, reminders.check)

    def _show_location(self, ws: Workspace) -> None:
        self.code_set_notice.attach(ws)
        info = ws.db.info()  # what the open database is (kept in memory: no query)
        where = self.tr("Shared database: {0}") if info.is_shared else self.tr("Database: {0}")
        text = where.format(info.location)
        if getattr(ws.db, "encrypted", False):
            text += self.tr(" (encrypted)")
        if getattr(ws.db, "read_only", False):
            text += self.tr(" (read-only: nothing can be changed here)")
            for action in (self.new_action, self.edit_action, self.delete_action, self.encryption_action):
                action.setEnabled(False)
        # Said once, at the open that did it (old documents moved in).
        notices = "".join(" · " + notice for notice in getattr(ws, "notices", ()))
        self.location.setText(text + notices)
        self.location.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        path = ws.db.target.sqlite_path
        if path is not None:
            from kettrack.services.database_file import network_warning
            from kettrack.ui.operations import query

            # Which file system holds the file: a network share can hang, so asked off the GUI thread.
            query(
                self,
                lambda: network_warning(path),
                lambda warning: self._warn_network(text, warning, notices),
                what="check database folder",
            )

    def _warn_network(self, text: str, warning: str | None, notices: str) -> None:
        if warning:
            self.location.setText(text + " ⚠ " + warning + notices)
            self.location.setStyleSheet("color: #b71c1c;")

    # --- sections ---

    @property
    def dashboard(self) -> QWidget:
        if self._dashboard is None:
            assert self.ws is not None, "the Dashboard opens once the database is open"
            from kettrack.ui.dashboard_view import DashboardView

            view = DashboardView(self.ws, self.bus)
            view.open_claim.connect(self.open_claim)
            self._dashboard = view
            self.views.append(view)
            self.stack.addWidget(view)
        return self._dashboard

    @property
    def claims(self) -> QWidget:
        if self._claims is None:
            assert self.ws is not None, "Claims opens once the database is open"
            from kettrack.ui.claims_view import ClaimsView

            self._claims = ClaimsView(self.ws, self.bus)
            self.views.append(self._claims)
            self.stack.addWidget(self._claims)
        return self._claims

    def open_claim(self, claim_id: int) -> QWidget:
        """A claim's own window (from the dashboard, a reminder or the Claims list)."""
        return self.claims.open_claim(claim_id)  # type: ignore[attr-defined, no-any-return]

    @property
    def people(self) -> QWidget:
        if self._people is None:
            assert self.ws is not None, "People opens once the database is open"
            from kettrack.ui.people import PeopleView

            self._people = PeopleView(self.ws, self.bus)
            self.views.append(self._people)
            self.stack.addWidget(self._people)
        return self._people

    @property
    def superbills(self) -> QWidget:
        if self._superbills is None:
            assert self.ws is not None, "Superbills opens once the database is open"
            from kettrack.ui.superbills import SuperbillsView

            self._superbills = SuperbillsView(self.ws, self.bus)
            self.views.append(self._superbills)
            self.stack.addWidget(self._superbills)
        return self._superbills

    @property
    def billing(self) -> QWidget:
        if self._billing is None:
            assert self.ws is not None, "Billing opens once the database is open"
            from kettrack.ui.billing import BillingView

            self._billing = BillingView(self.ws, self.bus)
            self.views.append(self._billing)
            self.stack.addWidget(self._billing)
        return self._billing

    def show_section(self, row: int) -> None:
        sections = {
            DASHBOARD: lambda: self.dashboard,
            INFUSIONS: lambda: self.infusions,
            PEOPLE: lambda: self.people,
            SUPERBILLS: lambda: self.superbills,
            CLAIMS: lambda: self.claims,
            BILLING: lambda: self.billing,
        }
        if row not in sections or (self.ws is None and row != INFUSIONS):
            return
        self.stack.setCurrentWidget(sections[row]())
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)

    def _user_moved(self, row: int) -> None:
        self._moved = True
        self.show_section(row)

    def current_view(self) -> View:
        view = self.stack.currentWidget()
        return view  # type: ignore[return-value]

    # --- menus ---

    def _action(self, text: str, shortcut: QKeySequence.StandardKey | None, slot: object) -> QAction:
        from PySide6.QtGui import QAction

        action = QAction(text, self)
        if shortcut is not None:
            # Every key the platform binds to it (setShortcut(QKeySequence(...)) would keep only the
            # first, and resolving that constructor names Qt's enums before the first paint).
            action.setShortcuts(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = (
            bar.addMenu(self.tr("&File")),
            bar.addMenu(self.tr("&Edit")),
            bar.addMenu(self.tr("&Tools")),
            bar.addMenu(self.tr("&Help")),
        )

    def _fill_menus(self) -> None:
        """The menus' actions (once)."""
        if hasattr(self, "quit_action"):
            return
        from PySide6.QtGui import QKeySequence  # after the first paint, as its enums are built then

        file_menu, edit, tools, help_menu = self._menus
        self.quit_action = self._action(self.tr("&Quit"), QKeySequence.StandardKey.Quit, self.close)
        file_menu.addAction(self.quit_action)

        self.new_action = self._action(
            self.tr("&New…"), QKeySequence.StandardKey.New, lambda: self.current_view().new_item()
        )
        self.edit_action = self._action(
            self.tr("&Edit…"), QKeySequence.StandardKey.Open, lambda: self.current_view().edit_item()
        )
        self.delete_action = self._action(
            self.tr("&Delete"), QKeySequence.StandardKey.Delete, lambda: self.current_view().delete_item()
        )
        self.find_action = self._action(
            self.tr("&Find"), QKeySequence.StandardKey.Find, lambda: self.current_view().focus_find()
        )
        for action in (self.new_action, self.edit_action, self.delete_action, self.find_action):
            edit.addAction(action)

        self.backups_action = self._action(self.tr("&Backups and check…"), None, self.show_backups)
        self.audit_action = self._action(self.tr("&Audit log…"), None, self.show_audit_log)
        self.lock_action = self._action(self.tr("&Lock now"), None, self.lock_now)
        self.pin_action = self._action(self.tr("Lock &PIN and idle time…"), None, self.set_lock_pin)
        self.encryption_action = self._action(self.tr("&Encryption…"), None, self.show_encryption)
        for action in (
            self.backups_action,
            self.audit_action,
            self.lock_action,
            self.pin_action,
            self.encryption_action,
        ):
            tools.addAction(action)

        help_menu.addAction(self._action(self.tr("&About kettrack"), None, self.about))

    def show_backups(self) -> QWidget | None:
        if self.ws is None:
            return None
        from kettrack.ui.backups_dialog import BackupsDialog

        dialog = BackupsDialog(self.ws, parent=self)
        dialog.open()
        return dialog

    def show_encryption(self) -> QWidget | None:
        if self.ws is None:
            return None
        from kettrack.ui.encryption import EncryptionDialog

        ws = self.ws
        dialog = EncryptionDialog(ws, self.bus, parent=self)
        dialog.finished.connect(lambda _result: self._show_location(ws))
        dialog.open()
        return dialog

    def lock_now(self) -> None:
        lock = getattr(self, "auto_lock", None)
        if lock is None or not lock.enabled:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.information(
                self, self.tr("Lock"), self.tr("Set a PIN first (Tools → Lock PIN), or encrypt the database.")
            )
            return
        lock.lock()

    def set_lock_pin(self) -> QWidget | None:
        """Ask for a PIN and idle time; the dialog says next to the field what is wrong with a PIN."""
        from kettrack.ui.auto_lock import PinDialog

        lock = getattr(self, "auto_lock", None)
        if lock is None:
            return None
        dialog = PinDialog(self)
        dialog.accepted.connect(lambda: lock.set_pin(dialog.pin.text(), dialog.minutes.value()))
        dialog.open()
        return dialog

    def show_audit_log(self) -> QWidget | None:
        if self.ws is None:
            return None
        from kettrack.ui.audit_view import AuditDialog

        dialog = AuditDialog(self.ws, parent=self)
        dialog.open()
        return dialog

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(
            self,
            self.tr("About kettrack"),
            self.tr("kettrack {0}\nLogs ketamine infusions and the paperwork to get them reimbursed.").format(
                __version__
            ),
        )

    # --- window state ---

    def _restore(self) -> None:
        geometry = settings.load(settings.WindowState.MAIN_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = settings.load(settings.WindowState.MAIN_STATE)
        if not state.isEmpty():
            self.restoreState(state)

    def save_state(self) -> None:
        settings.save(settings.WindowState.MAIN_GEOMETRY, self.saveGeometry())
        settings.save(settings.WindowState.MAIN_STATE, self.saveState())
        for view in self.views:
            view.save_state()  # type: ignore[attr-defined]

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
