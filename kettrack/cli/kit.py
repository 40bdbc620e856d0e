"""The command line's kit: what every command module uses, so that each area (records, billing, claims,
safety, ...) only says what its commands do.

- input: :class:`UsageError` for bad input the command line itself detects, :class:`Values` to parse
  option values collecting every problem, :func:`claim_id` for a claim given by id or number;
- output: :func:`table`, :func:`print_list`, :func:`print_json`, :func:`iso` for dates and
  :func:`money` for amounts;
- the database: :func:`database_location` (``--db`` or ``--demo``), :func:`passphrase_for` an
  encrypted one;
- commands: :func:`command_maker` makes a subcommand that opens the workspace first,
  :func:`action_group` a command that groups actions, :func:`enum_choices` lists an option's values;
- errors: :func:`failure` says in one line why a command failed and picks the exit code.

Like the whole command line, it imports only the standard library at the top: the database layer
(SQLAlchemy) is imported inside the functions that need it, so the window's start through the command
line (``--demo``, ``--db`` with ``--quit-after-startup``) does not pay for it first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack import PROG

if TYPE_CHECKING:
    from kettrack.core.problems import Problem
    from kettrack.services.workspace import Workspace

DEMO_FILENAME = "demo.sqlite3"
DEBUG_VARIABLE = "KETTRACK_DEBUG"
# An import can find thousands of problems; the first ones are enough to fix the file's pattern.
MAX_PROBLEM_LINES = 100

# A command's work once its workspace is open; what argparse calls; how a module registers commands.
Handler = Callable[["Workspace", argparse.Namespace], int]
Runner = Callable[[argparse.Namespace], int]
DatabaseOptions = Callable[..., None]
WithWorkspace = Callable[[Handler], Runner]

_CLAIM_NUMBER = re.compile(r"^CL-?0*(\d{1,9})$", re.IGNORECASE)


class UsageError(Exception):
    """Bad input the command line itself detects; shown as one line, exit code 2."""


# --- values from options -----------------------------------------------------------------------


class Values:
    """Parses option values, collecting every problem so one run reports all bad options at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def _try(self, parse: Callable[[], Any]) -> Any:
        from kettrack.core.problems import InvalidInput

        try:
            return parse()
        except InvalidInput as exc:
            self.problems.extend(exc.problems)
            return None

    def add(self, field: str, message: str) -> None:
        from kettrack.core.problems import Problem

        self.problems.append(Problem(field, message))

    def day(self, text: str | None, field: str) -> date | None:
        from kettrack.core.validation import parse_date

        return None if text is None else self._try(lambda: parse_date(text, field))

    def clock(self, text: str | None, field: str) -> Any:
        from kettrack.core.validation import parse_time

        return None if text is None else self._try(lambda: parse_time(text, field))

    def whole(self, text: str | None, field: str, *, what: str = "a whole number") -> int | None:
        if text is None:
            return None
        raw = text.strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            self.add(field, f"{text!r} is not {what}")
            return None
        return int(raw)

    def record_id(self, text: str | None, field: str) -> int | None:
        value = self.whole(text, field, what="an id (a whole number, see the list command)")
        if value == 0:
            self.add(field, "ids start at 1")
            return None
        return value

    def measure(self, text: str | None, field: str, maximum: Decimal) -> Decimal | None:
        from kettrack.core.validation import parse_decimal

        return (
            None if text is None else self._try(lambda: parse_decimal(text, field, places=2, maximum=maximum))
        )

    def amount(self, text: str, field: str) -> Decimal | None:
        from kettrack.core.money import parse_amount

        amount: Decimal | None = self._try(lambda: parse_amount(text, field))
        return amount

    def choice(self, kind: Any, text: str | None, field: str, default: Any) -> Any:
        if text is None:
            return default
        try:
            return kind.parse(text)
        except ValueError as exc:
            self.add(field, str(exc))
            return default

    def done(self) -> None:
        from kettrack.core.problems import InvalidInput

        if self.problems:
            raise InvalidInput(self.problems)


def claim_id(text: str) -> int:
    """A claim given as its id (12) or its number (CL-000012)."""
    raw = text.strip()
    match = _CLAIM_NUMBER.match(raw)
    if match:
        return int(match.group(1))
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 9 and int(raw) > 0:
        return int(raw)
    raise UsageError(f"claim: {text!r} is not a claim id or number (like 12 or CL-000012)")


# --- output --------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """An aligned plain-text table; columns listed in ``right`` (numbers) align right."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)])


def print_json(value: object, *, ensure_ascii: bool = False) -> None:
    """``value`` as indented JSON on stdout (names and notes as they are, unless ``ensure_ascii``)."""
    print(json.dumps(value, indent=2, ensure_ascii=ensure_ascii))


def print_list(
    args: argparse.Namespace,
    records: Sequence[Any],
    headers: Sequence[str],
    rows: Callable[[Any], Sequence[object]],
    noun: str,
    right: Sequence[int] = (),
) -> int:
    """A list command's output: the records as JSON with ``--json``, else a table (or "no ...")."""
    if args.json:
        from kettrack.services.transfer import encode_record

        print_json([encode_record(r) for r in records])
    elif not records:
        print(f"no {noun}")
    else:
        print(table(headers, [rows(r) for r in records], right))
    return 0


def iso(value: date | None) -> str:
    """A date as YYYY-MM-DD, or nothing."""
    return value.isoformat() if value else ""


def money(value: Decimal) -> str:
    """An amount as 1,234.50."""
    return f"{value:,.2f}"


# --- the database --------------------------------------------------------------------------------


def demo_location() -> Path:
    """The separate demo database's file, in the data folder."""
    from kettrack.services.location import data_dir

    return data_dir() / DEMO_FILENAME


def _holds_patients(path: Path) -> bool:
    """A quick look with sqlite3 alone, so a filled demo database opens the window without SQLAlchemy."""
    from kettrack.services.location import read_only_uri  # standard library only: no SQLAlchemy yet

    if not path.is_file():
        return False
    try:
        # Never makes -wal or -shm files beside a file the full open below may refuse.
        connection = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            return bool(connection.execute("SELECT EXISTS (SELECT 1 FROM patients)").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return False  # the full open below finds out (and reports) what is wrong


def prepare_demo() -> Path:
    """The separate demo database, filled with the demo set the first time."""
    path = demo_location()
    if _holds_patients(path):
        return path
    from kettrack.services.demo import fill_demo
    from kettrack.services.transfer import record_counts
    from kettrack.services.workspace import Workspace

    ws = Workspace.open(path)
    try:
        with ws.db.reader() as session:
            empty = not any(record_counts(session).values())
        if empty:
            fill_demo(ws)
    finally:
        ws.close()
    return path


def database_location(args: argparse.Namespace) -> str | None:
    """The database the options name: ``--db``, the demo database (``--demo``), or None (the default)."""
    db: str | None = getattr(args, "db", None)
    if db is not None and not db.strip():
        raise UsageError("--db needs a file path or a postgresql+psycopg:// URL")
    if getattr(args, "demo", False):
        if db is not None:
            raise UsageError("choose either --db or --demo, not both")
        return str(prepare_demo())
    return db


def passphrase_for(args: argparse.Namespace) -> str | None:
    """An encrypted database's passphrase: $KETTRACK_PASSPHRASE, the system keyring (where the window
    was told to remember it), else asked when a person is at the terminal; None for a plain database
    (or a server one)."""
    from kettrack.services.opening import PASSPHRASE_VARIABLE, keychain, looks_encrypted, resolve

    target = resolve(database_location(args))
    if target.sqlite_path is None or not looks_encrypted(target.sqlite_path):
        return None
    if phrase := os.environ.get(PASSPHRASE_VARIABLE):
        return phrase
    if remembered := keychain.recall(target.sqlite_path):
        return remembered
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"passphrase for {target.sqlite_path.name}: ")
    return None  # the open then says the file is encrypted and how to give the passphrase


def command_maker(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> Callable[..., argparse.ArgumentParser]:
    """``command(name, help, handler, parent=commands)``: a subcommand that opens the database first."""

    def command(
        name: str,
        help_text: str,
        handler: Handler,
        parent: Any = commands,
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
        database_options(sub, here=False)
        sub.set_defaults(handler=with_workspace(handler))
        return sub

    return command


def action_group(
    commands: argparse._SubParsersAction[Any], name: str, help_text: str, description: str | None = None
) -> argparse._SubParsersAction[Any]:
    """A command that only groups actions (``patients list``, ``patients add``); returns where to add them."""
    sub = commands.add_parser(name, help=help_text, description=description or help_text)
    actions: argparse._SubParsersAction[Any] = sub.add_subparsers(
        title="actions", metavar="ACTION", required=True
    )
    return actions


def enum_choices(kind: str) -> str:
    """The values of the ``kettrack.core.enums`` enum ``kind``, for an option's help."""
    from kettrack.core import enums

    return ", ".join(m.value for m in getattr(enums, kind))


# --- errors --------------------------------------------------------------------------------------


def _say(message: str) -> None:
    # One line whatever the message: database drivers put line breaks in theirs.
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def _expected_error(exc: BaseException) -> list[str] | None:
    """The lines to show for an error caused by input or the environment, or None if unexpected."""
    if isinstance(exc, UsageError):
        return [str(exc)]
    from kettrack.core.problems import InvalidInput, NotFound

    if "kettrack.services.transfer" in sys.modules:
        from kettrack.services.transfer import DatabaseNotEmpty, ImportRefused

        if isinstance(exc, ImportRefused):
            if len(exc.problems) == 1:
                return [f"import refused, nothing was imported: {exc.problems[0]}"]
            shown = [f"  {p}" for p in exc.problems[:MAX_PROBLEM_LINES]]
            more = len(exc.problems) - len(shown)
            return [
                f"import refused, nothing was imported: {len(exc.problems)} problems",
                *shown,
                *([f"  ... and {more} more"] if more else []),
            ]
        if isinstance(exc, DatabaseNotEmpty):
            return [str(exc)]
    if isinstance(exc, InvalidInput | NotFound):
        return [str(exc)]
    # Only kettrack's own errors can be a refused database or a failed backup, and only they pay for
    # the facade (it loads SQLAlchemy): a failing window start or a bad option does not.
    if any(kind.__module__.startswith("kettrack.") for kind in type(exc).__mro__):
        from kettrack.services.opening import OPEN_ERRORS, BackupFailed

        # A refused file's message says it was not changed and names the newest good backup; a failed
        # backup (no space, a copy that did not verify) is the machine's state, not a bug.
        if isinstance(exc, (*OPEN_ERRORS, BackupFailed)):
            return [str(exc)]
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import InterfaceError, OperationalError

        if isinstance(exc, OperationalError | InterfaceError):
            return [f"the database could not be used: {exc.orig}"]
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return [f"{where}{exc.strerror or exc}"]
    return None


def failure(exc: BaseException) -> int:
    """Say in one line why a command (or the window's start) failed; returns the exit code."""
    if isinstance(exc, KeyboardInterrupt):
        _say("interrupted")
        return 130
    if isinstance(exc, BrokenPipeError):
        # The reader went away (``kettrack infusions list | head``); say nothing more to it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    debug = os.environ.get(DEBUG_VARIABLE) == "1"
    lines = _expected_error(exc)
    if debug:
        traceback.print_exception(exc)
    if lines is None:
        # A database error's text carries the statement's parameters (names, dates of birth):
        # show only the driver's own message.
        detail = getattr(exc, "orig", None) if "sqlalchemy" in sys.modules else None
        _say(
            f"unexpected {type(exc).__name__}: {detail if detail is not None else exc}"
            + ("" if debug else f" (set {DEBUG_VARIABLE}=1 for details)")
        )
        return 1
    _say(lines[0])
    for line in lines[1:]:
        print(line, file=sys.stderr)
    return 2
