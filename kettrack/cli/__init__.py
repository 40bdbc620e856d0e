"""The command line. ``kettrack`` alone opens the window; subcommands list and add records, issue
superbills, follow claims, fill a database with the demo set, export or import everything as one JSON
file, and keep the database safe (backups, checks, encryption, the audit log).

Every write goes through the same services (and so the same validation) as the window. Bad input of
any kind ends with one line on stderr (``kettrack: error: ...``) and exit code 2, having written
nothing; anything unexpected with one line and exit code 1 (a traceback only with KETTRACK_DEBUG=1).

The package: :mod:`~kettrack.cli.kit` (what every command module uses), :mod:`~kettrack.cli.parser`
(the argparse tree and opening the workspace), and one module per area: ``records``, ``infusions``,
``transfer``, ``superbills``, ``billing``, ``claims`` with ``claim_events``, ``deadlines``, ``audit``
and ``safety``. A plain start of the window never imports this package (kettrack.launch goes straight
to the GUI). Still, it imports only the standard library at the top: the database layer (SQLAlchemy)
is imported inside the subcommands, and the GUI through importlib (``kettrack.open_window``), so neither
the headless subcommands load Qt nor the static import graph ties the command line to it.
"""

from __future__ import annotations

import sys

from kettrack.cli.kit import failure
from kettrack.cli.parser import build_parser, wants_window

__all__ = ["failure", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 2 bad input, 1 anything else)."""
    arguments = sys.argv[1:] if argv is None else argv
    parser = build_parser(window_only=wants_window(arguments))
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.handler(args))
    except (KeyboardInterrupt, Exception) as exc:
        return failure(exc)
