"""Audit log commands: verify the log (its hash chain, every entry's seal, and the chain against the
heads anchored outside the database), list who did what.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import (
    DatabaseOptions,
    Values,
    WithWorkspace,
    action_group,
    command_maker,
    print_json,
    table,
)

if TYPE_CHECKING:
    from kettrack.services.audit import AuditLog
    from kettrack.services.workspace import Workspace


def _log(ws: Workspace) -> AuditLog:
    from kettrack.services.audit import AuditLog

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
    v = Values()
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
        print_json(
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
            ]
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
    print(table(["#", "When", "Who", "Machine", "What", "Record", "Details"], rows, right=[0]))
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)
    actions = action_group(commands, "audit", "the audit log", "Who did what, when, where.")
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
