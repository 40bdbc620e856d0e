"""Superbill commands: issue a superbill for sessions or a month (or only check it: each problem is
printed with the command that fixes it), list the issued ones, re-issue one as a new version, and save
a copy of one. A session is billed once: a month's superbill skips sessions already on one (and says
how many), and a session picked by id that is already billed is refused with the superbill to re-issue.
Issued superbills live in the database; ``-o FILE.pdf`` is checked before anything is issued.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.copies import copy_out, output_target
from kettrack.cli.kit import (
    DatabaseOptions,
    UsageError,
    Values,
    WithWorkspace,
    action_group,
    command_maker,
    iso,
    print_json,
    table,
)

if TYPE_CHECKING:
    from kettrack.core.bill_problems import BillProblem
    from kettrack.services.superbills import IssuedSuperbillRecord, SuperbillRequest
    from kettrack.services.workspace import Workspace


def _request(args: argparse.Namespace) -> SuperbillRequest:
    from kettrack.services.superbills import SuperbillRequest

    v = Values()
    sessions = tuple(i for i in (v.record_id(s, "session") for s in args.session or []) if i is not None)
    patient = v.record_id(args.patient, "patient")
    provider = v.record_id(args.provider, "provider")
    start, end = v.day(args.date_from, "from"), v.day(args.date_to, "to")
    v.done()
    if sessions and (patient or start or end):
        raise UsageError("give either --session, or --patient with --from and --to, not both")
    if not sessions and not (patient and start and end):
        raise UsageError(
            "say which sessions: --session ID (repeatable), or --patient ID --from DATE --to DATE"
        )
    return SuperbillRequest(
        patient_id=patient, date_from=start, date_to=end, provider_id=provider, infusion_ids=sessions
    )


def _problem_lines(problems: Sequence[BillProblem]) -> list[str]:
    """Each problem, then how to fix it: the command, or the record and its place in the window."""
    lines = []
    for problem in problems:
        lines += [f"  {problem.message}", f"    fix: {problem.how_to_fix()}"]
    return lines


def _incomplete(problems: Sequence[BillProblem]) -> int:
    print(
        f"kettrack: error: the superbill is incomplete ({len(problems)} problems); fix them, or issue it "
        "with --draft:",
        file=sys.stderr,
    )
    for line in _problem_lines(problems):
        print(line, file=sys.stderr)
    return 2


def _skipped(count: int) -> None:
    if count:
        sessions = "session" if count == 1 else "sessions"
        print(
            f"skipped {count} {sessions} already on a superbill (a session is billed once: re-issue that one)"
        )


def superbill_issue(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.superbills import PreflightFailed

    request = _request(args)
    if args.check:
        _skipped(ws.superbills.skipped(request))
        bill, problems = ws.superbills.assemble_checked(request)
        for warning in ws.superbills.code_set_warnings(bill):
            print(f"warning: {warning}", file=sys.stderr)
        if problems and not args.draft:
            return _incomplete(problems)
        print("complete: no problems found" if not problems else "\n".join(_problem_lines(problems)))
        return 0
    output = output_target(args.output, args.force)
    try:
        issued = ws.superbills.issue(request, draft=args.draft)
    except PreflightFailed as failed:
        return _incomplete(failed.found)
    where = _saved(ws, issued, output)
    kind = "draft " if issued.draft else ""
    _skipped(issued.skipped)
    print(f"issued {kind}superbill {issued.number} version {issued.version} (id {issued.id}){where}")
    return 0


def _saved(ws: Workspace, issued: IssuedSuperbillRecord, output: Path | None) -> str:
    if output is None:
        return ""
    hint = f"save it with: kettrack superbills save {issued.id} FILE.pdf"
    return copy_out(issued.number, ws.superbills.pdf(issued.id), output, hint)


def superbills_save(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    superbill_id = v.record_id(args.id, "id")
    v.done()
    assert superbill_id is not None
    output = output_target(args.file, args.force)
    assert output is not None
    record = ws.superbills.get(superbill_id)
    copy_out(record.number, ws.superbills.pdf(superbill_id), output, "free some space and try again")
    print(f"saved superbill {record.number} version {record.version} to {output}")
    return 0


def _issued_json(record: IssuedSuperbillRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "number": record.number,
        "version": record.version,
        "patient_id": record.patient_id,
        "patient_name": record.patient_name,
        "provider": record.provider_name,
        "date_from": iso(record.date_from),
        "date_to": iso(record.date_to),
        "issued_at": record.issued_at.isoformat(),
        "draft": record.draft,
        "file_name": record.file_name,
        "sha256": record.sha256,
        "total_charges": format(record.total_charges, "f"),
        "total_paid": format(record.total_paid, "f"),
        "superseded": record.superseded,
    }


def superbills_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    patient = v.record_id(args.patient, "patient")
    v.done()
    records = ws.superbills.list(patient)
    if args.json:
        print_json([_issued_json(r) for r in records])
        return 0
    if not records:
        print("no superbills")
        return 0
    rows = [
        (
            r.id,
            r.number,
            r.version,
            r.patient_name,
            f"{iso(r.date_from)}..{iso(r.date_to)}",
            f"{r.total_charges:,.2f}",
            f"{r.total_paid:,.2f}",
            "superseded" if r.superseded else ("draft" if r.draft else "issued"),
        )
        for r in records
    ]
    print(
        table(
            ("ID", "Number", "Ver", "Patient", "Services", "Charges", "Paid", "Status"),
            rows,
            right=(0, 2, 5, 6),
        )
    )
    return 0


def superbills_reissue(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.superbills import PreflightFailed

    v = Values()
    superbill_id = v.record_id(args.id, "id")
    v.done()
    assert superbill_id is not None
    output = output_target(args.output, args.force)
    try:
        issued = ws.superbills.reissue(superbill_id, draft=args.draft)
    except PreflightFailed as failed:
        return _incomplete(failed.found)
    where = _saved(ws, issued, output)
    print(f"issued superbill {issued.number} version {issued.version} (id {issued.id}){where}")
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)

    sub = command(
        "superbill", "issue a superbill PDF for sessions (or check it with --check)", superbill_issue
    )
    sub.add_argument("--session", action="append", metavar="ID", help="a session to include (repeatable)")
    sub.add_argument("--patient", metavar="ID")
    sub.add_argument("--provider", metavar="ID", help="the rendering provider (when sessions have several)")
    sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    sub.add_argument(
        "-o", "--output", metavar="FILE.pdf", help="also save a copy here (readable by you only)"
    )
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    sub.add_argument("--check", action="store_true", help="only list what is missing or wrong")
    sub.add_argument("--draft", action="store_true", help="issue even if incomplete, marked DRAFT")

    actions = action_group(commands, "superbills", "issued superbills", "Issued superbills.")
    sub = command("list", "list issued superbills", superbills_list, actions)
    sub.add_argument("--patient", metavar="ID")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub = command(
        "reissue",
        "issue a new version from the current data; the old one is kept",
        superbills_reissue,
        actions,
    )
    sub.add_argument("id", metavar="ID")
    sub.add_argument("-o", "--output", metavar="FILE.pdf")
    sub.add_argument("--force", action="store_true")
    sub.add_argument("--draft", action="store_true")
    sub = command(
        "save", "save a copy of an issued superbill (readable by you only)", superbills_save, actions
    )
    sub.add_argument("id", metavar="ID")
    sub.add_argument("file", metavar="FILE.pdf")
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
