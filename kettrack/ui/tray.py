"""Reminders while the app runs: a system-tray notification when a claim deadline or an
authorization becomes due (today or overdue), checked after start-up and then every few hours, so a
day that turns over while the window stays open is noticed. Each item is announced once a day; a
click on the notification opens the window. Where the platform has no tray, the Dashboard is the
reminder and nothing else happens."""

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
    return f"{item.claim_id or ''}/{item.auth_id or ''}/{item.kind.value}/{item.due.isoformat()}"


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
            self.tray.setToolTip(tr("kettrack: claim deadlines"))
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
            views = self.ws.claim_views
            # A check that fails is logged and tried again at the next; the Dashboard says what is due.
            query(self, lambda: views.due(0), self._show, what="check reminders", handle={Exception: _ignore})

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
        title = (
            tr("{0} claim deadlines overdue").format(overdue)
            if overdue
            else tr("{0} claim deadlines due today").format(len(fresh))
        )
        lines = [f"{i.action} ({i.claim_number or tr('authorization')}, {i.payer_name})" for i in fresh[:3]]
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
