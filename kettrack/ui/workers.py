"""Run slow work that is not the database's (loading the ICD-10-CM index, rendering a PDF) on a
QThreadPool and deliver the result or the failure back on the GUI thread. Workers never touch widgets.
Tests may run synchronously. Database work goes through kettrack.ui.operations, which is built on the
same delivery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


def alive(owner: object) -> bool:
    """False for a Qt object closed and deleted meanwhile (calling it would crash); True otherwise."""
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


class Delivery(QObject):
    """Lives on the GUI thread; signals emitted from the worker thread are queued to it."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None] | None,
        forget: Callable[[Delivery], None],
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_failed = on_failed
        self._forget = forget
        self.succeeded.connect(self._deliver_success)
        self.failed.connect(self._deliver_failure)

    @staticmethod
    def _gone(callback: Callable[..., None] | None) -> bool:
        """Whether the callback belongs to a widget closed and deleted while the work ran."""
        return not alive(getattr(callback, "__self__", None))

    def _take(self) -> tuple[Callable[[Any], None], Callable[[BaseException], None] | None]:
        """The callbacks, once: they are dropped here, so that a failure's traceback (which holds the
        task, and through it this delivery) keeps no widget alive after it was reported."""
        self._forget(self)
        callbacks = self._on_done, self._on_failed
        self._on_done, self._on_failed = _nothing, None
        return callbacks

    @Slot(object)
    def _deliver_success(self, result: object) -> None:
        on_done, _on_failed = self._take()
        if not self._gone(on_done):
            on_done(result)

    @Slot(object)
    def _deliver_failure(self, error: object) -> None:
        _on_done, on_failed = self._take()
        if self._gone(on_failed):
            return
        if on_failed is None:
            assert isinstance(error, BaseException)
            raise error
        on_failed(error)  # type: ignore[arg-type]


def _nothing(_result: object) -> None:
    pass


class Task(QRunnable):
    def __init__(self, work: Callable[[], Any], delivery: Delivery) -> None:
        super().__init__()
        self._work = work
        self._delivery = delivery

    def run(self) -> None:
        try:
            result = self._work()
        except BaseException as exc:  # delivered to the GUI thread, never lost in the pool
            self._emit(self._delivery.failed, exc)
        else:
            self._emit(self._delivery.succeeded, result)

    @staticmethod
    def _emit(signal: Any, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The application quit while the work ran and took the receiver with it: nobody is
            # left to tell, and a traceback at exit would only alarm the user.
            pass


class Workers:
    """Starts callables on a thread pool; ``synchronous=True`` runs them inline (for tests)."""

    def __init__(self, pool: QThreadPool | None = None, *, synchronous: bool = False) -> None:
        self._pool = pool or QThreadPool.globalInstance()
        self._synchronous = synchronous
        # Deliveries are kept alive here until they have reported back.
        self._pending: set[Delivery] = set()

    def run(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        delivery = Delivery(on_done, on_failed, self._pending.discard)
        self._pending.add(delivery)
        task = Task(work, delivery)
        if self._synchronous:
            task.run()
        else:
            self._pool.start(task)

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)


_shared: Workers | None = None


def shared_workers() -> Workers:
    """The app's workers on the global thread pool."""
    global _shared
    if _shared is None:
        _shared = Workers()
    return _shared
