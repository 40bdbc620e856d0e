"""Moving data in and out: fill an empty database with the demo set, export everything to one JSON file
(owner-only), import such a file into an empty database (all or nothing), and the right of access (one
patient's complete record, ``export --patient``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import DatabaseOptions, UsageError, Values, WithWorkspace

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


def demo_fill(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.demo import fill_demo

    summary = fill_demo(ws, claims=not args.no_claims)
    print(f"demo set added to {ws.db.target.display}: {summary.describe()}")
    return 0


def export_file(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.transfer import export_to_file

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
    from kettrack.services.access_export import export_patient

    v = Values()
    patient = v.record_id(args.patient, "patient")
    v.done()
    assert patient is not None
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists: choose another name, or add --force to replace it")
    written = export_patient(ws, patient, path, overwrite=args.force)
    print(f"the record of patient {patient} is in {written}")
    return 0


def import_file(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.transfer import import_from_file

    summary = import_from_file(ws, Path(args.file))
    print(f"imported {summary.describe()} into {ws.db.target.display}")
    if summary.counts.get("infusions"):
        from kettrack.services.code_sets import session_code_findings

        # Each session's codes were checked against the release of its date; say once which dates no
        # loaded release covers.
        for note in session_code_findings(ws)[1]:
            print(f"warning: {note}", file=sys.stderr)
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    # Their descriptions say more than their one-line help, so not through command_maker.
    sub = commands.add_parser(
        "demo",
        help="fill an empty database with the demo set",
        description="Fill an empty database with a fictional clinic's demo set.",
    )
    database_options(sub, here=False)
    sub.add_argument(
        "--no-claims", action="store_true", help="leave out the superbills and claims (bill from scratch)"
    )
    sub.set_defaults(handler=with_workspace(demo_fill))
    sub = commands.add_parser(
        "export",
        help="write everything to a JSON file (readable by you only)",
        description="Write every record and setting to a JSON file (mode 0600).",
    )
    database_options(sub, here=False)
    sub.add_argument("file", metavar="FILE.json")
    sub.add_argument("--force", action="store_true", help="replace FILE.json if it exists")
    sub.add_argument(
        "--patient",
        metavar="ID",
        help="right of access: only this patient's complete record, to FILE.zip or a new folder",
    )
    sub.set_defaults(handler=with_workspace(export_file))
    sub = commands.add_parser(
        "import",
        help="load a JSON export into an empty database",
        description="Load a kettrack JSON export into an empty database: "
        "every record is checked first; nothing is written if any is wrong.",
    )
    database_options(sub, here=False)
    sub.add_argument("file", metavar="FILE.json")
    sub.set_defaults(handler=with_workspace(import_file))
