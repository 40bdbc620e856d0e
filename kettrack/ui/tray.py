"""Reminders while the app runs: a system-tray notification when a claim deadline, an authorization or
a Spravato REMS Patient Monitoring Form becomes due (today or overdue), checked after start-up and then
every few hours, so a day that turns over while the window stays open is noticed. Each item is
announced once a day; a click on the notification opens the window. Where the platform has no tray,
the Dashboard is the reminder and nothing else happens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon, QWidget

from kettrack.ui.basics import tr
from kettrack.ui.operations import query

if TYPE_CHECKING:
    from kettrack.core.claims import DueItem
    from kettrack.services.workspace import Workspace

CHECK_EVERY_MS = 3 * 60 * 60 * 1000  # a few times a day: deadlines move by whole days


def _key(item: DueItem) -> str:
    return (
        f"{item.claim_id or ''}/{item.auth_id or ''}/{item.session_id or ''}/{item.kind.value}/"
        f"{item.due.isoformat()}"
    )


def _due_today(ws: Workspace) -> list[DueItem]:
    """What is due today or overdue: the claims' and authorizations' steps and the REMS forms."""
    # Imported here, on the database worker: the services' queries load SQLAlchemy, which the
    # window's start does not wait for.
    from kettrack.services import rems

    return rems.due(ws, 0)


def _where(item: DueItem) -> str:
    """Which record an item is about, after its action."""
    if item.session_id is not None:
        return f"{tr('Spravato REMS')}, {item.patient_name}"
    return f"{item.claim_number or tr('authorization')}, {item.payer_name}"


def _title(items: list[DueItem], overdue: int) -> str:
    forms = sum(1 for i in items if i.session_id is not None)
    if not forms:
        what = tr("claim deadlines")
    elif forms == len(items):
        what = tr("REMS forms")
    else:
        what = tr("deadlines")
    if overdue:
        return tr("{0} {1} overdue").format(overdue, what)
    return tr("{0} {1} due today").format(len(items), what)


def _ignore(_error: BaseException) -> None:
    pass


class Reminders(QObject):
    """Announces what became due; ``check()`` reads on the database worker and returns through ``_show``."""

    def __init__(
        self,
        ws: Workspace,
        window: QWidget,
        *,
        notify: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(window)
        self.ws = ws
        self.window = window
        self.announced: dict[str, date] = {}
        self.tray: QSystemTrayIcon | None = None
        if notify is None and QSystemTrayIcon.isSystemTrayAvailable():
            icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip(tr("kettrack: claim deadlines and REMS forms"))
            self.tray.messageClicked.connect(self._raise_window)
            self.tray.activated.connect(lambda _reason: self._raise_window())
            self.tray.show()
        self.notify = notify or self._tray_message
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    @property
    def active(self) -> bool:
        return self.tray is not None or self.notify != self._tray_message

    def check(self) -> None:
        if self.active:
            ws = self.ws
            # A check that fails is logged and tried again at the next; the Dashboard says what is due.
            query(
                self, lambda: _due_today(ws), self._show, what="check reminders", handle={Exception: _ignore}
            )

    def pending(self, items: list[DueItem]) -> list[DueItem]:
        """The items not yet announced today (and remember them as announced)."""
        today = self.ws.today()
        fresh = [i for i in items if self.announced.get(_key(i)) != today]
        for item in fresh:
            self.announced[_key(item)] = today
        return fresh

    def _show(self, items: list[DueItem]) -> None:
        fresh = self.pending(items)
        if not fresh:
            return
        today = self.ws.today()
        overdue = sum(1 for i in fresh if i.due < today)
        title = _title(fresh, overdue)
        lines = [f"{i.action} ({_where(i)})" for i in fresh[:3]]
        if len(fresh) > 3:
            lines.append(tr("…and {0} more: see the Dashboard").format(len(fresh) - 3))
        self.notify(title, "\n".join(lines))

    def _tray_message(self, title: str, text: str) -> None:
        if self.tray is not None:
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)

    def _raise_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
