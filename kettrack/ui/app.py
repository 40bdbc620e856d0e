"""Start the window: open the database, show the first-run assistant on a new one, then the main
window. Errors opening the database become a clear message box and exit status 2, never a traceback.

``--quit-after-startup`` (for start-up timing) shows the window, waits until the Infusions view has
shown its data, prints ``startup_ms=<int>`` and exits 0.
"""

from __future__ import annotations

import sys
import time

_IMPORTED_AT = time.perf_counter()

EXIT_CANNOT_OPEN = 2


def _open_errors() -> tuple[type[BaseException], ...]:
    from kettrack.store.database import DatabaseUnavailable
    from kettrack.store.location import BadDatabaseTarget
    from kettrack.store.migrate import MigrationFailed, NotADatabase, SchemaTooNew

    return (SchemaTooNew, NotADatabase, MigrationFailed, DatabaseUnavailable, BadDatabaseTarget)


def run(location: str | None, *, quit_after_startup: bool = False, started_at: float | None = None) -> int:
    """Run the window on the database at ``location`` (None: the default); returns the exit status."""
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from kettrack.ui.settings import APPLICATION, ORGANIZATION

    started = started_at if started_at is not None else _IMPORTED_AT
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)

    from kettrack.store.workspace import Workspace

    try:
        ws = Workspace.open(location)
    except _open_errors() as exc:
        # The message names the file and what is wrong with it; it holds no patient data.
        print(f"kettrack: {exc}", file=sys.stderr)
        if not quit_after_startup:
            QMessageBox.critical(
                None,
                QCoreApplication.translate("kettrack", "kettrack cannot open the database"),
                str(exc),
            )
        return EXIT_CANNOT_OPEN

    from kettrack.ui.changes import ChangeBus
    from kettrack.ui.main_window import MainWindow

    try:
        bus = ChangeBus()
        if not quit_after_startup and not ws.settings.first_run_done():
            from kettrack.ui.first_run import FirstRunWizard

            wizard = FirstRunWizard(ws, bus)
            if not wizard.exec():
                return 0
        window = MainWindow(ws, bus)
        window.show()
        if quit_after_startup:
            # The first view queried its rows while being built; once the event loop has painted the
            # window, the data is on screen.
            def report() -> None:
                window.infusions.table.viewport().repaint()
                print(f"startup_ms={round((time.perf_counter() - started) * 1000)}", flush=True)
                window.close()
                app.quit()

            QTimer.singleShot(0, report)
        return int(app.exec())
    finally:
        ws.close()
