"""Start the window: open the database, show the first-run assistant on a new one, then the main
window. Errors opening the database become a clear message box and exit status 2, never a traceback.

``--quit-after-startup`` (for start-up timing) shows the window, prints ``startup_ms=<int>`` once the
Infusions view shows its data, ``ready_ms=<int>`` once the window takes input (its GUI thread handles
events: the database opens on the database worker meanwhile) and ``open_ms=<int>`` once the workspace
is open for editing, and exits 0.
"""

from __future__ import annotations

import sys
import time
from typing import Any

_IMPORTED_AT = time.perf_counter()

# What the first paint needs besides Qt, imported before PySide6 on purpose. Once loaded, PySide6's
# import hook reads the whole source of every module imported after it (inspect.getsource, to find
# uses of its __feature__ switches); importing these first measured 13M fewer instructions (callgrind),
# a few milliseconds.
import kettrack.core.money  # noqa: E402
import kettrack.core.rows  # noqa: E402
import kettrack.services.database_file  # noqa: E402 - kettrack.store.encryption and .location
import kettrack.services.startup  # noqa: E402, F401 - kettrack.store.snapshot

EXIT_CANNOT_OPEN = 2


def _open_errors() -> tuple[type[BaseException], ...]:
    from kettrack.services.opening import OPEN_ERRORS

    return OPEN_ERRORS


# A screenful even on a tall screen; every row is a few Qt items to build before the first paint.
PREVIEW_ROWS = 60


def _report(line: str) -> None:
    """Print a timing line; a closed pipe (``| head -1``) must not keep the window from quitting."""
    try:
        print(line, flush=True)
    except OSError:
        pass


def _refuse(exc: BaseException, *, quietly: bool) -> int:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    # The message names the file and what is wrong with it; it holds no patient data.
    print(f"kettrack: {exc}", file=sys.stderr)
    if not quietly:
        QMessageBox.critical(
            None, QCoreApplication.translate("kettrack", "kettrack cannot open the database"), str(exc)
        )
    return EXIT_CANNOT_OPEN


def _preview(location: str | None, *, setup_needed_ok: bool) -> Any:
    """The first rows of a SQLite database already at the current schema, read without SQLAlchemy."""
    from kettrack.services.database_file import BadDatabaseTarget, looks_encrypted, resolve
    from kettrack.services.startup import read

    try:
        target = resolve(location)
    except BadDatabaseTarget:
        return None  # the full open below reports it
    if target.sqlite_path is None or looks_encrypted(target.sqlite_path):
        return None  # an encrypted file shows nothing before its passphrase is given
    snap = read(target.sqlite_path, PREVIEW_ROWS)
    if snap is None or not (snap.setup_done or setup_needed_ok):
        return None
    return snap


def _open(location: str | None, *, quietly: bool) -> Any:
    """The database, or None when the person declined; another kettrack holding the file is named
    and the person may open it read-only instead (never offered when ``quietly``, for benchmarks)."""
    from kettrack.services.opening import DatabaseLocked
    from kettrack.ui.encryption import open_database

    try:
        return open_database(location, ask=not quietly)
    except DatabaseLocked as exc:
        if quietly or not _read_only_instead(exc):
            raise
    return open_database(location, read_only=True)


def _read_only_instead(exc: BaseException) -> bool:
    from PySide6.QtWidgets import QMessageBox

    from kettrack.ui.basics import tr

    box = QMessageBox(QMessageBox.Icon.Warning, tr("The database is in use"), str(exc))
    box.setObjectName("database_in_use")
    box.setInformativeText(
        tr("You can open it read-only: everything can be seen and printed, nothing can be changed.")
    )
    read_only = box.addButton(tr("Open read-only"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    return box.clickedButton() is read_only


def _start_log() -> None:
    """The rotating log file (kettrack.ui.logs); a folder that cannot be made must not stop the window."""
    import logging

    from kettrack import __version__
    from kettrack.ui import logs

    try:
        logs.start()
    except OSError as exc:
        print(f"kettrack: no log file ({exc.strerror or type(exc).__name__})", file=sys.stderr)
        return
    logging.getLogger("kettrack.window").info("kettrack %s: the window starts", __version__)


def _backup_later(ws: Any) -> None:
    """The start-up backup, when the data changed since the last one: off the GUI thread, a few
    seconds after the window is up (start-up timing never waits for it)."""
    from PySide6.QtCore import QTimer

    from kettrack.ui.workers import shared_workers

    path = ws.db.target.sqlite_path
    if path is None or ws.db.read_only:
        return  # a read-only window backs nothing up: the kettrack that writes the file does

    def work() -> object:
        from kettrack.services.audit import AuditLog
        from kettrack.services.backups import KEEP_KEYS, backup_if_changed, policy_of
        from kettrack.services.viewer_copies import sweep_stale

        sweep_stale()  # document copies an earlier, killed kettrack left for the viewer

        policy = policy_of({key: ws.settings.get(key) for key in KEEP_KEYS})
        made = backup_if_changed(path, policy, ws.db.passphrase)
        if made is not None:
            AuditLog(ws.db).record_now("backup", details=f"at start-up: {made.name}")
        return made

    # A failed start-up backup must not stop the person; "Backups and check" shows the reason.
    QTimer.singleShot(4000, lambda: shared_workers().run(work, lambda _made: None, lambda _error: None))


class _PauseMeter:
    """For start-up timing: the longest time the GUI thread went without handling its events (a 5 ms
    timer that notes how late each tick comes) while the database opened on the worker."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = 0.0
        self._timer: Any = None

    def start(self) -> None:
        from PySide6.QtCore import QTimer

        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def stop(self) -> int:
        if self._timer is not None:
            self._timer.stop()
        return round(self.longest * 1000)


def run(location: str | None, *, quit_after_startup: bool = False, started_at: float | None = None) -> int:
    """Run the window on the database at ``location`` (None: the default); returns the exit status.

    A SQLite database already at the current schema shows its newest sessions at once (read with
    sqlite3 alone) while the workspace opens right after the first paint; anything else opens the
    workspace first.
    """
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from kettrack.ui.settings import APPLICATION, ORGANIZATION

    started = started_at if started_at is not None else _IMPORTED_AT
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    from kettrack.ui import errors

    # An unexpected error anywhere shows "Something went wrong" (no patient data), never a traceback.
    errors.install()

    from kettrack.ui.changes import ChangeBus
    from kettrack.ui.main_window import MainWindow

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    bus = ChangeBus()
    opened: list[Any] = []
    pauses = _PauseMeter()
    preview = _preview(location, setup_needed_ok=quit_after_startup)
    if preview is not None:
        window = MainWindow(None, bus, preview=preview)

        def open_workspace(read_only: bool = False) -> None:
            """Open the database on the database worker: the window keeps taking input (scrolling,
            picking a section) while SQLAlchemy loads and the file is opened, and the views attach when
            it is ready. Only a plain SQLite file at the current schema gets here (see _preview), so no
            passphrase needs asking on the GUI thread; a file held by another kettrack is offered
            read-only in a message box, on the GUI thread, when the worker says so."""
            if quit_after_startup and not read_only:
                _report(f"startup_ms={elapsed()}")
                # The first event the GUI thread handles after the first paint: it takes input again.
                QTimer.singleShot(0, lambda: _report(f"ready_ms={elapsed()}"))
                pauses.start()
            if not read_only:
                _start_log()  # after the first paint: the rows never wait for it
            from kettrack.ui.operations import query

            def work() -> Any:
                from kettrack.services.opening import open_database
                from kettrack.services.workspace import Workspace

                db = open_database(location, read_only=read_only)
                try:
                    return Workspace(db)
                except BaseException:
                    db.close()
                    raise

            def opened_here(ws: Any) -> None:
                opened.append(ws)
                window.attach(ws)
                _backup_later(ws)
                if quit_after_startup:
                    window.infusions.table.viewport().repaint()
                    _report(f"pause_ms={pauses.stop()}")
                    _report(f"open_ms={elapsed()}")
                    window.close()
                    app.quit()

            def refused(exc: BaseException) -> None:
                # Imported only now (the worker has loaded SQLAlchemy by then): naming the open errors
                # up front would import the database layer on the GUI thread and hold it up.
                from kettrack.services.opening import DatabaseLocked

                if not isinstance(exc, _open_errors()):
                    sys.excepthook(type(exc), exc, exc.__traceback__)  # the global handler
                    return
                if isinstance(exc, DatabaseLocked) and not quit_after_startup and _read_only_instead(exc):
                    open_workspace(read_only=True)
                    return
                window.hide()
                app.exit(_refuse(exc, quietly=quit_after_startup))

            query(window, work, opened_here, what="open the database", handle={BaseException: refused})

        # Right after the table's first paint: its rows are on screen, then the workspace opens.
        window.infusions.table.after_first_paint(open_workspace)
        window.show()
        try:
            return int(app.exec())
        finally:
            for ws in opened:
                ws.close()

    from kettrack.services.workspace import Workspace

    _start_log()
    try:
        db = _open(location, quietly=quit_after_startup)
    except _open_errors() as exc:
        return _refuse(exc, quietly=quit_after_startup)
    if db is None:
        return EXIT_CANNOT_OPEN  # the passphrase was not given: nothing was opened
    ws = Workspace(db)
    try:
        if not quit_after_startup and not db.read_only and not ws.settings.first_run_done():
            from kettrack.ui.first_run import FirstRunWizard

            wizard = FirstRunWizard(ws, bus)
            if not wizard.exec():
                return 0
        window = MainWindow(ws, bus)
        window.show()
        _backup_later(ws)
        if quit_after_startup:
            # The first view queried its rows while being built; once the event loop has painted the
            # window, the data is on screen.
            def report() -> None:
                window.infusions.table.viewport().repaint()
                _report(f"startup_ms={elapsed()}")
                _report(f"ready_ms={elapsed()}")
                _report("pause_ms=0")
                _report(f"open_ms={elapsed()}")
                window.close()
                app.quit()

            QTimer.singleShot(0, report)
        return int(app.exec())
    finally:
        ws.close()
