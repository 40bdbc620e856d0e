"""kettrack: log ketamine infusions, issue superbills, and follow insurance claims to payment.

The package also holds what both ways into the app share: the command's name, the moment start-up
began, and opening the window. ``kettrack.launch`` (the command's first stop) hands everything but a
plain window start to ``kettrack.cli``, and the command line can start the window too (``--demo``); were
these in either module, each would import the other. Here they cost no import of their own: this module
runs first anyway, and ``importlib``, ``sys`` and ``time`` are loaded by Python's own start-up.
"""

from __future__ import annotations

import importlib
import sys
import time

# Start-up is measured from the first line of kettrack that runs (the window reports it).
STARTED = time.perf_counter()

__version__ = "0.1.0"
PROG = "kettrack"


def open_window(location: str | None, *, quit_after_startup: bool) -> int:
    """Run the window; a machine without the Qt libraries gets one line, not a traceback."""
    try:
        # Through importlib: only kettrack.ui may import PySide6, and import-linter checks the graph.
        app = importlib.import_module("kettrack.ui.app")
    except ImportError as exc:
        print(
            f"{PROG}: error: the window cannot start ({exc}); the subcommands still work: {PROG} --help",
            file=sys.stderr,
        )
        return 1
    return int(app.run(location, quit_after_startup=quit_after_startup, started_at=STARTED))
