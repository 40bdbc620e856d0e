"""The command line. ``kettrack`` alone opens the window; subcommands list and add records, fill a
database with the demo set, and export or import everything as one JSON file.

Every write goes through the same repositories (and so the same validation) as the window. Bad input
of any kind ends with one line on stderr (``kettrack: error: ...``) and exit code 2, having written
nothing; anything unexpected with one line and exit code 1 (a traceback only with KETTRACK_DEBUG=1).

A plain start of the window never imports this module (kettrack.launch goes straight to the GUI).
Still, it imports only the standard library at the top: the database layer (SQLAlchemy) is imported
inside the subcommands, and the GUI through kettrack.launch's importlib, so neither the headless
subcommands load Qt nor the static import graph ties the command line to it.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from kettrack import __version__
from kettrack.launch import PROG, open_window

if TYPE_CHECKING:
    from kettrack.core.problems import Problem
    from kettrack.store.workspace import Workspace

DEMO_FILENAME = "demo.sqlite3"
DEBUG_VARIABLE = "KETTRACK_DEBUG"
# An import can find thousands of problems; the first ones are enough to fix the file's pattern.
MAX_PROBLEM_LINES = 100


class UsageError(Exception):
    """Bad input the command line itself detects; shown as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (its default prints the whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


# --- values from options -----------------------------------------------------------------------


class _Values:
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


def _text(value: str | None) -> str:
    return "" if value is None else value


# --- output --------------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
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


def _print_list(
    args: argparse.Namespace,
    records: Sequence[Any],
    headers: Sequence[str],
    rows: Callable[[Any], Sequence[object]],
    noun: str,
    right: Sequence[int] = (),
) -> int:
    if args.json:
        from kettrack.store.transfer import encode_record

        print(json.dumps([encode_record(r) for r in records], indent=2, ensure_ascii=False))
    elif not records:
        print(f"no {noun}")
    else:
        print(_table(headers, [rows(r) for r in records], right))
    return 0


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


# --- opening the database ------------------------------------------------------------------------


def demo_location() -> Path:
    from kettrack.store.location import data_dir

    return data_dir() / DEMO_FILENAME


def _holds_patients(path: Path) -> bool:
    """A quick look with sqlite3 alone, so a filled demo database opens the window without SQLAlchemy."""
    from kettrack.store.location import read_only_uri  # standard library only: no SQLAlchemy yet

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
    from kettrack.store.demo import fill_demo
    from kettrack.store.transfer import record_counts
    from kettrack.store.workspace import Workspace

    ws = Workspace.open(path)
    try:
        with ws.db.reader() as session:
            empty = not any(record_counts(session).values())
        if empty:
            fill_demo(ws)
    finally:
        ws.close()
    return path


def _location(args: argparse.Namespace) -> str | None:
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
    from kettrack.store import keychain
    from kettrack.store.encryption import PASSPHRASE_VARIABLE, looks_encrypted
    from kettrack.store.location import resolve

    target = resolve(_location(args))
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


# The commands that may make a new database where none exists: those that put records into an empty
# one (and every "... add"). Any other command (lists, shows, due, export, backups list, audit, ...) is
# told there is no database, so a mistyped --db never leaves a new file or folder behind.
_CREATING_COMMANDS = frozenset({"demo_fill", "import_file"})


def _creates_database(action: Callable[..., int]) -> bool:
    name = getattr(action, "__name__", "")
    return name in _CREATING_COMMANDS or name.endswith("_add")


def _open(args: argparse.Namespace, *, create: bool = True) -> Workspace:
    from kettrack.store.database import Database
    from kettrack.store.location import network_warning
    from kettrack.store.workspace import Workspace

    ws = Workspace(
        Database.open(
            _location(args),
            read_only=getattr(args, "read_only", False),
            passphrase=passphrase_for(args),
            create=create,
        )
    )
    path = ws.db.target.sqlite_path
    if path is not None and (warning := network_warning(path)):
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    return ws


def _with_workspace(
    action: Callable[[Workspace, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        ws = _open(args, create=_creates_database(action))
        try:
            return action(ws, args)
        finally:
            ws.close()

    return run


# --- the window ---------------------------------------------------------------------------------


def run_gui(args: argparse.Namespace) -> int:
    return open_window(_location(args), quit_after_startup=args.quit_after_startup)


# --- patients ------------------------------------------------------------------------------------


def _address(args: argparse.Namespace) -> Any:
    from kettrack.core.records import Address

    return Address(
        _text(args.address_line1),
        _text(args.address_line2),
        _text(args.city),
        _text(args.state),
        _text(args.postal_code),
    )


def patients_list(ws: Workspace, args: argparse.Namespace) -> int:
    records = ws.patients.list()
    return _print_list(
        args,
        records,
        ["ID", "Name", "Born", "Sex", "Phone", "City", "State"],
        lambda p: [
            p.id,
            p.legal_name,
            _iso(p.date_of_birth),
            p.sex.value,
            p.phone,
            p.address.city,
            p.address.state,
        ],
        "patients",
        right=[0],
    )


def patients_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import Sex
    from kettrack.core.records import PatientRecord

    v = _Values()
    record = PatientRecord(
        legal_name=args.name,
        date_of_birth=v.day(args.dob, "date_of_birth"),
        sex=v.choice(Sex, args.sex, "sex", Sex.UNKNOWN),
        address=_address(args),
        phone=_text(args.phone),
        email=_text(args.email),
    )
    v.done()
    print(ws.patients.add(record).id)
    return 0


# --- providers -----------------------------------------------------------------------------------


def providers_list(ws: Workspace, args: argparse.Namespace) -> int:
    records = ws.providers.list()
    names = {p.id: p.name for p in records}
    return _print_list(
        args,
        records,
        ["ID", "Kind", "Name", "Credentials", "NPI", "TIN", "Taxonomy", "Clinic"],
        lambda p: [
            p.id,
            p.kind.value,
            p.name,
            p.credentials,
            p.npi,
            p.tin,
            p.taxonomy,
            names.get(p.clinic_id, "") if p.clinic_id else "",
        ],
        "providers",
        right=[0],
    )


def providers_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import ProviderKind
    from kettrack.core.records import ProviderRecord

    v = _Values()
    record = ProviderRecord(
        name=args.name,
        kind=v.choice(ProviderKind, args.kind, "kind", ProviderKind.INDIVIDUAL),
        credentials=_text(args.credentials),
        npi=_text(args.npi),
        tin=_text(args.tin),
        taxonomy=_text(args.taxonomy),
        license_number=_text(args.license),
        license_state=_text(args.license_state),
        address=_address(args),
        phone=_text(args.phone),
        clinic_id=v.record_id(args.clinic, "clinic_id"),
    )
    v.done()
    print(ws.providers.add(record).id)
    return 0


# --- payers --------------------------------------------------------------------------------------


def payers_list(ws: Workspace, args: argparse.Namespace) -> int:
    records = ws.payers.list()
    return _print_list(
        args,
        records,
        ["ID", "Name", "Kind", "Payer code", "Phone"],
        lambda p: [p.id, p.name, p.kind.value, p.payer_code, p.phone],
        "payers",
        right=[0],
    )


def payers_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import PayerKind
    from kettrack.core.records import PayerRecord

    v = _Values()
    record = PayerRecord(
        name=args.name,
        kind=v.choice(PayerKind, args.kind, "kind", PayerKind.COMMERCIAL),
        payer_code=_text(args.payer_code),
        phone=_text(args.phone),
        claims_address=_text(args.claims_address),
        appeals_address=_text(args.appeals_address),
    )
    v.done()
    print(ws.payers.add(record).id)
    return 0


# --- coverages -----------------------------------------------------------------------------------


def _patient_filter(v: _Values, args: argparse.Namespace) -> int | None:
    patient_id = v.record_id(args.patient, "patient_id")
    v.done()
    return patient_id


def coverages_list(ws: Workspace, args: argparse.Namespace) -> int:
    patient_id = _patient_filter(_Values(), args)
    records = ws.coverages.list() if patient_id is None else ws.coverages.for_patient(patient_id)
    patients = {c.id: c.label for c in ws.patients.choices()}
    payers = {p.id: p.name for p in ws.payers.list()}
    return _print_list(
        args,
        records,
        ["ID", "Patient", "Payer", "Member ID", "Group", "Rank", "Network", "From", "To"],
        lambda c: [
            c.id,
            patients.get(c.patient_id, ""),
            payers.get(c.payer_id, ""),
            c.member_id,
            c.group_number,
            c.rank.value,
            c.network.value,
            _iso(c.effective_from),
            _iso(c.effective_to),
        ],
        "coverages",
        right=[0],
    )


def coverages_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import CoverageRank, Network, Relationship
    from kettrack.core.records import CoverageRecord

    v = _Values()
    patient_id = v.record_id(args.patient, "patient_id")
    payer_id = v.record_id(args.payer, "payer_id")
    values = {
        "group_number": _text(args.group),
        "relationship": v.choice(Relationship, args.relationship, "relationship", Relationship.SELF),
        "policyholder_name": _text(args.policyholder),
        "policyholder_dob": v.day(args.policyholder_dob, "policyholder_dob"),
        "rank": v.choice(CoverageRank, args.rank, "rank", CoverageRank.PRIMARY),
        "effective_from": v.day(args.date_from, "effective_from"),
        "effective_to": v.day(args.date_to, "effective_to"),
        "network": v.choice(Network, args.network, "network", Network.UNKNOWN),
    }
    v.done()
    assert patient_id is not None and payer_id is not None  # required options
    record = CoverageRecord(patient_id=patient_id, payer_id=payer_id, member_id=args.member_id, **values)
    print(ws.coverages.add(record).id)
    return 0


# --- treatments ----------------------------------------------------------------------------------


def treatments_list(ws: Workspace, args: argparse.Namespace) -> int:
    patient_id = _patient_filter(_Values(), args)
    records = ws.treatments.list() if patient_id is None else ws.treatments.for_patient(patient_id)
    patients = {c.id: c.label for c in ws.patients.choices()}
    return _print_list(
        args,
        records,
        ["ID", "Patient", "Kind", "Name", "Started", "Ended", "Outcome"],
        lambda t: [
            t.id,
            patients.get(t.patient_id, ""),
            t.kind.value,
            t.name,
            _iso(t.started_on),
            _iso(t.ended_on),
            t.outcome.value,
        ],
        "treatments",
        right=[0],
    )


def treatments_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import TreatmentKind, TreatmentOutcome
    from kettrack.core.records import TreatmentRecord

    v = _Values()
    patient_id = v.record_id(args.patient, "patient_id")
    kind = v.choice(TreatmentKind, args.kind, "kind", TreatmentKind.OTHER)
    values = {
        "details": _text(args.details),
        "started_on": v.day(args.started, "started_on"),
        "ended_on": v.day(args.ended, "ended_on"),
        "outcome": v.choice(TreatmentOutcome, args.outcome, "outcome", TreatmentOutcome.OTHER),
        "notes": _text(args.notes),
    }
    v.done()
    assert patient_id is not None
    record = TreatmentRecord(patient_id=patient_id, kind=kind, name=args.name, **values)
    print(ws.treatments.add(record).id)
    return 0


# --- infusions -----------------------------------------------------------------------------------


def infusions_list(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.rows import InfusionFilter

    v = _Values()
    flt = InfusionFilter(
        patient_id=v.record_id(args.patient, "patient_id"),
        date_from=v.day(args.date_from, "from"),
        date_to=v.day(args.date_to, "to"),
        text=_text(args.text),
    )
    v.done()
    if args.json:
        return _print_list(args, ws.infusions.list(flt), [], lambda r: [], "infusion sessions")
    rows = ws.infusions.rows(ws.infusions.ids(flt, sort="date", descending=False))
    return _print_list(
        args,
        rows,
        ["ID", "Date", "Patient", "Provider", "Drug", "Route", "Dose mg", "Min", "Diagnoses", "Paid"],
        lambda r: [
            r.id,
            r.service_date.isoformat(),
            r.patient_name,
            r.provider_name,
            r.drug.value,
            r.route.value,
            "" if r.dose_mg is None else r.dose_mg,
            r.duration_minutes,
            r.diagnoses,
            r.amount_paid,
        ],
        "infusion sessions",
        right=[0, 6, 7, 9],
    )


_SCORES = ("phq9_before", "phq9_after", "gad7_before", "gad7_after", "pain_before", "pain_after")


def infusions_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import Drug, PaymentMethod, Route
    from kettrack.core.records import InfusionRecord, PaymentRecord
    from kettrack.core.validation import MAX_DOSE_MG, MAX_WEIGHT_KG

    v = _Values()
    patient_id = v.record_id(args.patient, "patient_id")
    service_date = v.day(args.date, "service_date")
    values: dict[str, Any] = {
        "drug": v.choice(Drug, args.drug, "drug", Drug.KETAMINE),
        "route": v.choice(Route, args.route, "route", Route.IV),
        "provider_id": v.record_id(args.provider, "provider_id"),
        "clinic_id": v.record_id(args.clinic, "clinic_id"),
        "start_time": v.clock(args.start, "start_time"),
        "end_time": v.clock(args.end, "end_time"),
        "place_of_service": args.pos,
        "dose_mg": v.measure(args.dose_mg, "dose_mg", MAX_DOSE_MG),
        "weight_kg": v.measure(args.weight_kg, "weight_kg", MAX_WEIGHT_KG),
        "diagnoses": tuple(args.dx or ()),
        "side_effects": _text(args.side_effects),
        "notes": _text(args.notes),
    }
    for score in _SCORES:
        values[score] = v.whole(getattr(args, score), score)
    payments: tuple[PaymentRecord, ...] = ()
    if args.paid is not None:
        amount = v.amount(args.paid, "payments[1].amount")
        paid_on = v.day(args.paid_on, "payments[1].paid_on") if args.paid_on else service_date
        method = v.choice(PaymentMethod, args.paid_method, "payments[1].method", PaymentMethod.CARD)
        if amount is not None and paid_on is not None:
            payments = (PaymentRecord(paid_on, amount, method, _text(args.paid_reference)),)
    elif args.paid_on or args.paid_method or args.paid_reference:
        v.add(
            "paid", "--paid-on, --paid-method and --paid-reference describe a payment: give --paid AMOUNT too"
        )
    v.done()
    assert patient_id is not None and service_date is not None
    record = InfusionRecord(patient_id=patient_id, service_date=service_date, payments=payments, **values)
    print(ws.infusions.add(record).id)
    return 0


# --- demo, export, import ------------------------------------------------------------------------


def demo_fill(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.store.demo import fill_demo

    summary = fill_demo(ws, claims=not args.no_claims)
    print(f"demo set added to {ws.db.target.display}: {summary.describe()}")
    return 0


def export_file(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.store.transfer import export_to_file

    path = Path(args.file)
    if args.patient is not None:
        return _export_patient(ws, args, path)
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists: choose another name, or add --force to replace it")
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give a file name like kettrack-export.json")
    try:
        summary = export_to_file(ws, path, overwrite=True)
    except OSError as exc:
        # Named after the file asked for, not the temporary name the error would otherwise show.
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    print(f"exported {summary.describe()} to {path}")
    return 0


def _export_patient(ws: Workspace, args: argparse.Namespace, path: Path) -> int:
    """Right of access: one patient's whole record, as a folder or (FILE.zip) a zip."""
    from kettrack.store.access_export import export_patient

    v = _Values()
    patient = v.record_id(args.patient, "patient")
    v.done()
    assert patient is not None
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists: choose another name, or add --force to replace it")
    written = export_patient(ws, patient, path, overwrite=args.force)
    print(f"the record of patient {patient} is in {written}")
    return 0


def import_file(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.store.transfer import import_from_file

    summary = import_from_file(ws, Path(args.file))
    print(f"imported {summary.describe()} into {ws.db.target.display}")
    return 0


# --- the parser ----------------------------------------------------------------------------------


def _database_options(parser: argparse.ArgumentParser, *, here: bool) -> None:
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


def _address_options(parser: argparse.ArgumentParser) -> None:
    for option in ("--address-line1", "--address-line2", "--city", "--state", "--postal-code"):
        parser.add_argument(option)


def _choices(kind: str) -> str:
    from kettrack.core import enums

    return ", ".join(m.value for m in getattr(enums, kind))


# Every command's name. When none appears among the arguments, the window is wanted and the parser
# is built without the subcommands: building them all costs as much as a tenth of the start-up.
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


def _wants_window(argv: Sequence[str]) -> bool:
    return not any(token in COMMANDS or token in ("-h", "--help") for token in argv)


def command_maker(
    commands: argparse._SubParsersAction[Any],
    database_options: Callable[..., None],
    with_workspace: Callable[
        [Callable[[Workspace, argparse.Namespace], int]], Callable[[argparse.Namespace], int]
    ],
) -> Callable[..., argparse.ArgumentParser]:
    """``command(name, help, handler, parent=commands)``: a subcommand that opens the database first."""

    def command(
        name: str,
        help_text: str,
        handler: Callable[[Workspace, argparse.Namespace], int],
        parent: Any = commands,
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
        database_options(sub, here=False)
        sub.set_defaults(handler=with_workspace(handler))
        return sub

    return command


def build_parser(*, window_only: bool = False) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Log ketamine infusions and follow insurance reimbursement. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _database_options(parser, here=True)
    parser.add_argument(
        "--quit-after-startup",
        action="store_true",
        help="open the window, wait until it shows its data, then quit (for start-up timing)",
    )
    parser.set_defaults(handler=run_gui)
    if window_only:
        return parser
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def group(name: str, help_text: str) -> argparse._SubParsersAction[Any]:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        return sub.add_subparsers(title="actions", metavar="ACTION", required=True)

    def action(
        actions: argparse._SubParsersAction[Any],
        name: str,
        help_text: str,
        handler: Callable[[Workspace, argparse.Namespace], int],
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help_text, description=help_text)
        _database_options(sub, here=False)
        sub.set_defaults(handler=_with_workspace(handler))
        if name == "list":
            sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
        return sub

    # patients
    actions = group("patients", "people who receive infusions")
    action(actions, "list", "list patients", patients_list)
    add = action(actions, "add", "add a patient; prints the new id", patients_add)
    add.add_argument("--name", required=True, help="full legal name, exactly as on the insurance card")
    add.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth")
    add.add_argument("--sex", help=_choices("Sex"))
    add.add_argument("--phone")
    add.add_argument("--email")
    _address_options(add)

    # providers
    actions = group("providers", "clinicians and clinics")
    action(actions, "list", "list providers and clinics", providers_list)
    add = action(actions, "add", "add a clinician or a clinic; prints the new id", providers_add)
    add.add_argument("--kind", help=f"{_choices('ProviderKind')} (default individual)")
    add.add_argument("--name", required=True)
    add.add_argument("--credentials", help="e.g. MD, CRNA")
    add.add_argument("--npi", help="10-digit National Provider Identifier")
    add.add_argument("--tin", help="tax id (EIN), like 12-3456789")
    add.add_argument("--taxonomy", help="taxonomy code, like 2084P0800X")
    add.add_argument("--license", help="license number")
    add.add_argument("--license-state", help="2-letter state of the license")
    add.add_argument("--phone")
    add.add_argument(
        "--clinic", "--clinic-id", dest="clinic", metavar="ID", help="the clinic this clinician works in"
    )
    _address_options(add)

    # payers
    actions = group("payers", "insurance payers")
    action(actions, "list", "list payers", payers_list)
    add = action(actions, "add", "add a payer; prints the new id", payers_add)
    add.add_argument("--name", required=True)
    add.add_argument("--kind", help=f"{_choices('PayerKind')} (default commercial)")
    add.add_argument("--payer-code")
    add.add_argument("--phone")
    add.add_argument("--claims-address", help="where claims go (may span lines)")
    add.add_argument("--appeals-address", help="where appeals go (may span lines)")

    # coverages
    actions = group("coverages", "patients' insurance memberships")
    sub = action(actions, "list", "list coverages", coverages_list)
    sub.add_argument("--patient", metavar="ID", help="only this patient's coverages")
    add = action(actions, "add", "add a coverage; prints the new id", coverages_add)
    add.add_argument("--patient", metavar="ID", required=True)
    add.add_argument("--payer", metavar="ID", required=True)
    add.add_argument("--member-id", required=True)
    add.add_argument("--group", help="group number")
    add.add_argument(
        "--relationship", help=f"patient to policyholder: {_choices('Relationship')} (default self)"
    )
    add.add_argument("--rank", help=f"{_choices('CoverageRank')} (default primary)")
    add.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="effective from")
    add.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="effective to")
    add.add_argument("--network", help=f"{_choices('Network')} (default unknown)")
    add.add_argument("--policyholder", help="policyholder's name, when not the patient")
    add.add_argument("--policyholder-dob", metavar="YYYY-MM-DD")

    # treatments
    actions = group("treatments", "earlier treatments (cited in appeals)")
    sub = action(actions, "list", "list treatment history", treatments_list)
    sub.add_argument("--patient", metavar="ID", help="only this patient's treatments")
    add = action(actions, "add", "add an earlier treatment; prints the new id", treatments_add)
    add.add_argument("--patient", metavar="ID", required=True)
    add.add_argument("--kind", required=True, help=_choices("TreatmentKind"))
    add.add_argument("--name", required=True, help="e.g. Sertraline")
    add.add_argument("--details", help="dose, number of sessions")
    add.add_argument("--started", metavar="YYYY-MM-DD")
    add.add_argument("--ended", metavar="YYYY-MM-DD")
    add.add_argument("--outcome", help=f"{_choices('TreatmentOutcome')} (default other)")
    add.add_argument("--notes")

    # infusions
    actions = group("infusions", "treatment sessions")
    sub = action(actions, "list", "list sessions, oldest first", infusions_list)
    sub.add_argument("--patient", metavar="ID")
    sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    sub.add_argument("--text", help="words in the patient, provider, drug, diagnoses or notes")
    add = action(actions, "add", "add a session; prints the new id", infusions_add)
    add.add_argument("--patient", metavar="ID", required=True)
    add.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="date of service")
    add.add_argument("--drug", help=f"{_choices('Drug')} (default ketamine)")
    add.add_argument("--route", help=f"{_choices('Route')} (default iv)")
    add.add_argument("--provider", metavar="ID", help="rendering provider")
    add.add_argument("--clinic", metavar="ID")
    add.add_argument("--start", metavar="HH:MM")
    add.add_argument("--end", metavar="HH:MM")
    add.add_argument("--pos", default="11", help="place-of-service code (default 11, office)")
    add.add_argument("--dose-mg")
    add.add_argument("--weight-kg")
    add.add_argument("--dx", action="append", metavar="ICD10", help="diagnosis code; repeat for more")
    for score in _SCORES:
        add.add_argument("--" + score.replace("_", "-"), dest=score, metavar="N")
    add.add_argument("--side-effects")
    add.add_argument("--notes")
    add.add_argument("--paid", metavar="AMOUNT", help="amount paid, like 450.00")
    add.add_argument("--paid-on", metavar="YYYY-MM-DD", help="default: the date of service")
    add.add_argument("--paid-method", help=f"{_choices('PaymentMethod')} (default card)")
    add.add_argument("--paid-reference", help="receipt or card reference")

    # demo, export, import
    sub = commands.add_parser(
        "demo",
        help="fill an empty database with the demo set",
        description="Fill an empty database with a fictional clinic's demo set.",
    )
    _database_options(sub, here=False)
    sub.add_argument(
        "--no-claims", action="store_true", help="leave out the superbills and claims (bill from scratch)"
    )
    sub.set_defaults(handler=_with_workspace(demo_fill))
    sub = commands.add_parser(
        "export",
        help="write everything to a JSON file (readable by you only)",
        description="Write every record and setting to a JSON file (mode 0600).",
    )
    _database_options(sub, here=False)
    sub.add_argument("file", metavar="FILE.json")
    sub.add_argument("--force", action="store_true", help="replace FILE.json if it exists")
    sub.add_argument(
        "--patient",
        metavar="ID",
        help="right of access: only this patient's complete record, to FILE.zip or a new folder",
    )
    sub.set_defaults(handler=_with_workspace(export_file))
    sub = commands.add_parser(
        "import",
        help="load a JSON export into an empty database",
        description="Load a kettrack JSON export into an empty database: "
        "every record is checked first; nothing is written if any is wrong.",
    )
    _database_options(sub, here=False)
    sub.add_argument("file", metavar="FILE.json")
    sub.set_defaults(handler=_with_workspace(import_file))

    from kettrack.cli_audit import add_commands as add_audit_commands
    from kettrack.cli_billing import add_commands
    from kettrack.cli_claims import add_commands as add_claim_commands
    from kettrack.cli_safety import add_commands as add_safety_commands

    add_commands(commands, _database_options, _with_workspace)
    add_claim_commands(commands, _database_options, _with_workspace)
    add_audit_commands(commands, _database_options, _with_workspace)
    add_safety_commands(commands, _database_options, _with_workspace)
    return parser


# --- errors --------------------------------------------------------------------------------------


def _say(message: str) -> None:
    # One line whatever the message: database drivers put line breaks in theirs.
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def _expected_error(exc: BaseException) -> list[str] | None:
    """The lines to show for an error caused by input or the environment, or None if unexpected."""
    if isinstance(exc, UsageError):
        return [str(exc)]
    from kettrack.core.problems import InvalidInput, NotFound

    if "kettrack.store.transfer" in sys.modules:
        from kettrack.store.transfer import DatabaseNotEmpty, ImportRefused

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
    from kettrack.store.location import BadDatabaseTarget, DatabaseMissing

    if isinstance(exc, BadDatabaseTarget | DatabaseMissing):
        return [str(exc)]
    if "kettrack.store.migrate" in sys.modules:
        from kettrack.store.migrate import MigrationFailed, NotADatabase, SchemaTooNew

        # A refused file's message says it was not changed and names the newest good backup.
        if isinstance(exc, SchemaTooNew | NotADatabase | MigrationFailed):
            return [str(exc)]
    if "kettrack.store.database" in sys.modules:
        from kettrack.store.database import DatabaseDamaged, DatabaseUnavailable
        from kettrack.store.lock import DatabaseLocked

        if isinstance(exc, DatabaseUnavailable | DatabaseLocked | DatabaseDamaged):
            return [str(exc)]
    if "kettrack.store.backup" in sys.modules:
        from kettrack.store.backup import BackupFailed

        # No space, a full disk, a copy that did not verify: the machine's state, not a bug.
        if isinstance(exc, BackupFailed):
            return [str(exc)]
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import InterfaceError, OperationalError

        if isinstance(exc, OperationalError | InterfaceError):
            return [f"the database could not be used: {exc.orig}"]
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return [f"{where}{exc.strerror or exc}"]
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 2 bad input, 1 anything else)."""
    arguments = sys.argv[1:] if argv is None else argv
    parser = build_parser(window_only=_wants_window(arguments))
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.handler(args))
    except (KeyboardInterrupt, Exception) as exc:
        return failure(exc)


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
