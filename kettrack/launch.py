"""The ``kettrack`` command's first stop.

A plain start of the window (no arguments, or only ``--db`` and ``--quit-after-startup``) goes straight
to the GUI; everything else (subcommands, ``--demo``, ``--help``, anything unusual) goes to the command
line in :mod:`kettrack.cli`, which parses it with argparse. The window's start-up time is measured from
the package's first line (``kettrack.STARTED``), and the command line's package alone costs more than ten
milliseconds to import, so this module imports nothing but ``sys`` and the package itself, which holds
the command's name and opens the window for both ways in (so the command line need not import this
module back).
"""

from __future__ import annotations

import sys

# STARTED stays importable from here: it is what the window is given as its start.
from kettrack import STARTED, open_window

__all__ = ["STARTED", "main", "open_window", "window_options"]

_QUIT = "--quit-after-startup"


def window_options(argv: list[str]) -> tuple[str | None, bool] | None:
    """``(db, quit_after_startup)`` when ``argv`` asks for nothing but the window, else None (the
    command line then decides, with its own messages for anything wrong)."""
    db: str | None = None
    quit_after_startup = False
    rest = list(argv)
    while rest:
        token = rest.pop(0)
        if token == _QUIT and not quit_after_startup:
            quit_after_startup = True
        elif token == "--db" and db is None and rest and rest[0].strip() and not rest[0].startswith("-"):
            db = rest.pop(0)
        elif token.startswith("--db=") and db is None and token[5:].strip():
            db = token[5:]
        else:
            return None
    return db, quit_after_startup


def main(argv: list[str] | None = None) -> int:
    """The ``kettrack`` command; returns the exit code."""
    arguments = sys.argv[1:] if argv is None else argv
    window = window_options(arguments)
    if window is None:
        from kettrack.cli import main as command_line

        return command_line(arguments)
    try:
        return open_window(window[0], quit_after_startup=window[1])
    except (KeyboardInterrupt, Exception) as exc:
        from kettrack.cli import failure

        return failure(exc)
