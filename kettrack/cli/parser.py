"""The command line's parser: the options every command takes (``--db``, ``--demo``, ``--read-only``),
opening the workspace for a command (and closing it after), and the argparse tree, built from each area
module's ``add_commands``.

Without a command the window is wanted, and the parser is built without the subcommands: building them
all costs as much as a tenth of the start-up, so the area modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from kettrack import PROG, __version__, open_window
from kettrack.cli.kit import DEMO_FILENAME, Handler, Runner, database_location, passphrase_for

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

# Every command's name. When none appears among the arguments, the window is wanted and the parser
# is built without the subcommands.
COMMANDS = frozenset(
    {
        "patients",
        "providers",
        "payers",
        "coverages",
        "treatments",
        "infusions",
        "demo",
        "export",
        "import",
        "superbill",
        "superbills",
        "fees",
        "codes",
        "lines",
        "claims",
        "letters",
        "due",
        "calendar",
        "auths",
        "rules",
        "reason-codes",
        "audit",
        "backup",
        "backups",
        "restore",
        "check",
        "encrypt",
        "decrypt",
        "passphrase",
    }
)

# The commands that may make a new database where none exists: those that put records into an empty
# one (and every "... add"). Any other command (lists, shows, due, export, backups list, audit, ...) is
# told there is no database, so a mistyped --db never leaves a new file or folder behind.
_CREATING_COMMANDS = frozenset({"demo_fill", "import_file"})


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (its default prints the whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def database_options(parser: argparse.ArgumentParser, *, here: bool) -> None:
    """``--db`` and ``--demo`` (and after a command, ``--read-only``) on ``parser``."""
    # Also accepted after the subcommand; there they must not reset what was given before it.
    default: Any = None if here else argparse.SUPPRESS
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=default,
        help="the database: a file path or postgresql+psycopg://user@host/dbname "
        "(default: $KETTRACK_DB, else kettrack.sqlite3 in your data folder)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=False if here else argparse.SUPPRESS,
        help=f"use the separate demo database ({DEMO_FILENAME} in the data folder), filled the first time",
    )
    if not here:
        parser.add_argument(
            "--read-only",
            action="store_true",
            default=argparse.SUPPRESS,
            help="read a SQLite database another kettrack has open (nothing can be changed)",
        )


def _creates_database(action: Callable[..., int]) -> bool:
    name = getattr(action, "__name__", "")
    return name in _CREATING_COMMANDS or name.endswith("_add")


def _open_workspace(args: argparse.Namespace, *, create: bool = True) -> Workspace:
    """The workspace on the database the options name; warns (stderr) about a file on a network share
    and says what opening did (old documents moved into the database)."""
    from kettrack.services.opening import network_warning, open_database
    from kettrack.services.workspace import Workspace

    ws = Workspace(
        open_database(
            database_location(args),
            read_only=getattr(args, "read_only", False),
            passphrase=passphrase_for(args),
            create=create,
        )
    )
    path = ws.db.target.sqlite_path
    if path is not None and (warning := network_warning(path)):
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    for notice in ws.notices:  # said once, by the open that did it (old documents moved in)
        print(f"{PROG}: note: {notice}", file=sys.stderr)
    return ws


def with_workspace(action: Handler) -> Runner:
    """``action`` run on a workspace opened for it and closed after, whatever happens."""

    def run(args: argparse.Namespace) -> int:
        ws = _open_workspace(args, create=_creates_database(action))
        try:
            return action(ws, args)
        finally:
            ws.close()

    return run


def run_gui(args: argparse.Namespace) -> int:
    """No command: open the window on the database the options name."""
    return open_window(database_location(args), quit_after_startup=args.quit_after_startup)


def wants_window(argv: Sequence[str]) -> bool:
    """True when ``argv`` names no command (nor asks for help): the window, not a subcommand."""
    return not any(token in COMMANDS or token in ("-h", "--help") for token in argv)


def build_parser(*, window_only: bool = False) -> argparse.ArgumentParser:
    """The whole command line (or, ``window_only``, just the options of a window start)."""
    parser = _Parser(
        prog=PROG,
        description="Log ketamine infusions and follow insurance reimbursement. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    database_options(parser, here=True)
    parser.add_argument(
        "--quit-after-startup",
        action="store_true",
        help="open the window, wait until it shows its data, then quit (for start-up timing)",
    )
    parser.set_defaults(handler=run_gui)
    if window_only:
        return parser
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    from kettrack.cli import (
        audit,
        billing,
        claims,
        deadlines,
        infusions,
        letters,
        records,
        safety,
        superbills,
        transfer,
    )

    # In this order they are listed by --help.
    for area in (
        records,
        infusions,
        transfer,
        superbills,
        billing,
        claims,
        letters,
        deadlines,
        audit,
        safety,
    ):
        area.add_commands(commands, database_options, with_workspace)
    return parser
