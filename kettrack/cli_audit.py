"""Audit log commands: verify the log (its hash chain, every entry's seal, and the chain against the
heads anchored outside the database), list who did what.

Registered by ``kettrack.cli.build_parser``; shares its option parsing, output and error handling.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kettrack.cli import _table, _Values, command_maker

if TYPE_CHECKING:
    from kettrack.store.workspace import Workspace

Handler = Callable[["Workspace", argparse.Namespace], int]


def _log(ws: Workspace) -> Any:
    from kettrack.store.audit import AuditLog

    return AuditLog(ws.db)


def audit_verify(ws: Workspace, args: argparse.Namespace) -> int:
    from pathlib import Path

    verdict = _log(ws).report([Path(p) for p in args.against or ()])
    lines = verdict.lines()
    if not verdict.ok:
        # The first line as every refusal starts: the command's name, then what is wrong.
        print(f"kettrack: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(line, file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


def audit_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    patient = v.record_id(args.patient, "patient")
    limit = v.whole(args.limit, "limit") if args.limit is not None else 50
    v.done()
    entries = _log(ws).entries(
        record_kind="patient" if patient is not None else None,
        record_id=patient,
        action=args.action,
        limit=limit,
    )
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "sequence": e.sequence,
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "machine": e.machine,
                        "action": e.action,
                        "record_kind": e.record_kind,
                        "record_id": e.record_id,
                        "details": e.details,
                        "hash": e.hash,
                    }
                    for e in entries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not entries:
        print("no audit entries")
        return 0
    rows = [
        [
            e.sequence,
            e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.machine,
            e.action,
            f"{e.record_kind} {e.record_id or ''}".strip(),
            e.details,
        ]
        for e in entries
    ]
    print(_table(["#", "When", "Who", "Machine", "What", "Record", "Details"], rows, right=[0]))
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: Callable[..., None],
    with_workspace: Callable[[Handler], Callable[[argparse.Namespace], int]],
) -> None:
    command = command_maker(commands, database_options, with_workspace)
    group = commands.add_parser("audit", help="the audit log", description="Who did what, when, where.")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    sub = command(
        "verify",
        "check the hash chain, every entry's seal and the anchored heads: "
        "a removed or altered entry is found (exit 1)",
        audit_verify,
        actions,
    )
    sub.add_argument(
        "--against",
        metavar="FILE",
        action="append",
        help="also compare with the audit head recorded in this backup manifest or export (repeatable)",
    )
    sub = command("list", "list entries, newest first", audit_list, actions)
    sub.add_argument("--patient", metavar="ID", help="only entries about this patient's record")
    sub.add_argument("--action", help="only this action (view, create, update, delete, export, issue, ...)")
    sub.add_argument("--limit", metavar="N", help="at most N entries (default 50)")
    sub.add_argument("--json", action="store_true")
