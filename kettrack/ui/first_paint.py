"""Run something once a widget has been painted for the first time (its content is on screen)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

# Should a platform never paint (a window that stays hidden), go ahead anyway after this long.
FALLBACK_MS = 2000


class AfterFirstPaint(QObject):
    """Calls ``then`` once, just after ``widget`` handles its first paint event."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then = then
        self._fired = False
        widget.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and not self._fired:
            # The filter runs before the paint; a zero timer runs once the paint is done.
            QTimer.singleShot(0, self._fire)
        return False

    def _fire(self) -> None:
        if not self._fired:
            self._fired = True
            self._then()
