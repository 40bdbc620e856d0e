"""The one way the window reaches the database (Anki's ``QueryOp`` and ``CollectionOp``): ``query`` for a
read, ``change`` for a write.

The work runs on ONE database worker (a QThreadPool of one thread: database work is serialized, one
operation after the other in the order asked, and never on the GUI thread); its result comes back on
the GUI thread to ``on_done``, unless ``owner`` (the widget that asked) was closed and deleted
meanwhile. A change announces the kinds of record it touched on the app's ChangeBus itself, once it
has succeeded (even if its owner is gone: the other views must still hear of it).

Failures are said in words by default:

- ``handle`` first: ``{NotFound: ..., (InvalidInput, OSError): ...}``, the first type that matches;
- an ``InvalidInput``'s problems next to their fields when a ``form`` is given (``ErrorForm``), else in
  a message box that names each field;
- a write the database refused because it is open read-only: a message box saying so;
- anything else goes to the global handler for unexpected errors (kettrack.ui.errors).

Every operation is logged by what it is (``what``: a fixed phrase such as "save infusion", never data),
its kind and duration, and on failure the exception's type only.

Both functions return the ``Operation``; when the work ran inline (tests switch the worker to a
``SynchronousPool``, Picard's FakeThreadPool) it is already done, so a method can hand back what its
callback made ("the dialog it opened") to a test that clicked and looks at once.

PDF rendering and loading the code index are not database work: they keep kettrack.ui.workers and the
global pool, and may run in parallel with this worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool
from PySide6.QtWidgets import QWidget

from kettrack.core.problems import InvalidInput, Problem
from kettrack.ui.basics import tell, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.workers import Delivery, Task, alive

log = logging.getLogger("kettrack.operations")

T = TypeVar("T")

Handlers = Mapping[type[BaseException] | tuple[type[BaseException], ...], Callable[[Any], object]]

READ_ONLY_TEXT = "This database is open read-only: nothing can be changed here."


class Pool(Protocol):
    """What the helper asks of its thread pool (QThreadPool, or SynchronousPool in tests)."""

    def start(self, runnable: QRunnable) -> None: ...
    def waitForDone(self, msecs: int = ...) -> bool: ...


class SynchronousPool:
    """Runs each task at once on the calling thread (Picard's FakeThreadPool): for tests, so that a
    click on Save has saved when the click returns."""

    def start(self, runnable: QRunnable) -> None:
        runnable.run()

    def waitForDone(self, msecs: int = -1) -> bool:
        return True


_pool: Pool | None = None
# Deliveries are kept alive here until they have reported back.
_pending: set[Delivery] = set()


def database_pool() -> Pool:
    """The database worker: made on first use, one thread, kept while the app runs."""
    global _pool
    if _pool is None:
        pool = QThreadPool()
        pool.setObjectName("database")
        pool.setMaxThreadCount(1)
        pool.setExpiryTimeout(-1)  # one thread for the app's life: its connection stays warm
        app = QCoreApplication.instance()
        if app is not None:
            # The workspace is closed once the event loop returns: let the last write finish first.
            app.aboutToQuit.connect(pool.waitForDone)
        _pool = pool
    return _pool


def use_pool(pool: Pool | None) -> Pool | None:
    """Put ``pool`` in place of the database worker (None: the real one, made on next use); returns the
    pool that was in place. Tests run the work inline with ``use_pool(SynchronousPool())``."""
    global _pool
    previous, _pool = _pool, pool
    return previous


class Operation(Generic[T]):
    """One query or change; ``done`` once it has reported back."""

    def __init__(self, kind: str, what: str) -> None:
        self.kind = kind
        self.what = what
        self.done = False
        self.result: T | None = None
        # The failure's type only: the exception itself holds its traceback, and with it the frames
        # that started the work (and the widgets in them).
        self.error: type[BaseException] | None = None
        self.returned: Any = None  # what on_done returned (the dialog it opened, say)
        self.seconds = 0.0

    @property
    def succeeded(self) -> bool:
        return self.done and self.error is None


def query(
    owner: QObject | None,
    work: Callable[[], T],
    on_done: Callable[[T], object] | None = None,
    *,
    what: str,
    form: Any = None,
    handle: Handlers | None = None,
    after: Callable[[], object] | None = None,
) -> Operation[T]:
    """Read with ``work()`` on the database worker; ``on_done(result)`` on the GUI thread."""
    return _start("query", owner, work, on_done, what, None, (), form, handle, after)


def change(
    owner: QObject | None,
    work: Callable[[], T],
    on_done: Callable[[T], object] | None = None,
    *,
    what: str,
    bus: ChangeBus | None = None,
    changes: Iterable[str] = (),
    form: Any = None,
    handle: Handlers | None = None,
    after: Callable[[], object] | None = None,
) -> Operation[T]:
    """Write with ``work()`` on the database worker; once it succeeded, announce ``changes`` on ``bus``,
    then ``on_done(result)``. ``after()`` runs first on either outcome (to enable a button again)."""
    kinds = tuple(changes)
    if kinds and bus is None:
        raise ValueError("a change that announces kinds needs the bus to announce them on")
    return _start("change", owner, work, on_done, what, bus, kinds, form, handle, after)


def _start(
    kind: str,
    owner: QObject | None,
    work: Callable[[], T],
    on_done: Callable[[T], object] | None,
    what: str,
    bus: ChangeBus | None,
    kinds: tuple[str, ...],
    form: Any,
    handle: Handlers | None,
    after: Callable[[], object] | None,
) -> Operation[T]:
    operation: Operation[T] = Operation(kind, what)
    elapsed = [0.0]  # written on the worker, read once delivered

    def timed() -> T:
        started = time.perf_counter()
        try:
            return work()
        finally:
            elapsed[0] = time.perf_counter() - started

    def succeeded(result: T) -> None:
        operation.done, operation.result, operation.seconds = True, result, elapsed[0]
        log.info("%s %s: %.0f ms", kind, what, operation.seconds * 1000)
        if kinds and bus is not None and alive(bus):
            bus.announce(*kinds)
        if alive(owner):
            if after is not None:
                after()
            if on_done is not None:
                operation.returned = on_done(result)

    def failed(error: BaseException) -> None:
        operation.done, operation.error, operation.seconds = True, type(error), elapsed[0]
        log.warning(
            "%s %s failed after %.0f ms: %s", kind, what, operation.seconds * 1000, type(error).__name__
        )
        if alive(owner) and after is not None:
            after()
        _explain(error, owner, form, handle)

    delivery = Delivery(succeeded, failed, _pending.discard)
    _pending.add(delivery)
    (_pool or database_pool()).start(Task(timed, delivery))
    return operation


def _explain(error: BaseException, owner: QObject | None, form: Any, handle: Handlers | None) -> None:
    """Say what went wrong: see the module's docstring for the order."""
    here = alive(owner)
    for kinds, handler in (handle or {}).items():
        if isinstance(error, kinds):
            if here:
                handler(error)
            return
    if isinstance(error, InvalidInput):
        if not here:
            return  # the form it concerned is gone, and with it what was typed
        if form is not None and alive(form):
            form.show_problems(error.problems)
        else:
            tell(_window_of(owner), tr("Not saved"), problems_text(error.problems))
        return
    from kettrack.services.read_only import refused_as_read_only

    if refused_as_read_only(error):
        tell(_window_of(owner) if here else None, tr("Read-only"), tr(READ_ONLY_TEXT))
        return
    from kettrack.ui import errors

    errors.report(error)


def _window_of(owner: QObject | None) -> QWidget | None:
    while owner is not None and not isinstance(owner, QWidget):
        owner = owner.parent()
    return owner


def _field_name(field: str) -> str:
    return field.replace("_", " ").replace(".", " ").strip().capitalize()


def problems_text(problems: Iterable[Problem]) -> str:
    """Problems for a message box, each led by the field it concerns ("Member id: is required")."""
    lines = []
    for problem in problems:
        name = _field_name(problem.field)
        lines.append(f"{name}: {problem.message}" if name else problem.message)
    return "\n".join(lines) or tr("What was given is not valid.")
