"""Billing commands of the command line: superbills, fee schedules, the code list and service lines.

Registered by ``kettrack.cli.build_parser``; shares its option parsing, output and error handling.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli import UsageError, _iso, _print_list, _table, _Values, command_maker
from kettrack.core.problems import InvalidInput

if TYPE_CHECKING:
    from kettrack.store.superbills import IssuedSuperbillRecord, SuperbillRequest
    from kettrack.store.workspace import Workspace

Handler = Callable[["Workspace", argparse.Namespace], int]
# A release file with fewer billable codes is a fragment, not a code set to validate claims against.
MIN_RELEASE_CODES = 50_000


def _request(args: argparse.Namespace) -> SuperbillRequest:
    from kettrack.store.superbills import SuperbillRequest

    v = _Values()
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


def _incomplete(messages: tuple[str, ...] | list[str]) -> int:
    print(
        f"kettrack: error: the superbill is incomplete ({len(messages)} problems); fix them, or issue it "
        "with --draft:",
        file=sys.stderr,
    )
    for message in messages:
        print(f"  {message}", file=sys.stderr)
    return 2


def output_target(target: str | None, force: bool, example: str = "superbill.pdf") -> Path | None:
    """Check, before anything is issued, that a copy can be written to ``target``: an unwritable path
    must not leave an issued superbill (or letter) behind whose copy never arrived, and a retry would
    issue a duplicate. Proven by creating (and removing) an owner-only file in the target's folder."""
    if not target:
        return None
    import os
    import tempfile

    from kettrack.store.files import existing_regular_file

    path = Path(target)
    if path.is_dir() and not path.is_symlink():
        raise UsageError(f"{path} is a folder: give a file name like {example}")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{folder} does not exist: create the folder first, or give another file name")
    try:
        # lstat, not stat: a link (even one leading nowhere) is refused here, before anything is issued.
        exists = existing_regular_file(path)
    except InvalidInput as exc:
        raise UsageError(exc.problems[0].message) from exc
    if exists and not force:
        raise UsageError(f"{path} already exists: choose another name, or add --force to replace it")
    try:
        fd, probe = tempfile.mkstemp(prefix=".kettrack-probe-", dir=folder)
    except OSError as exc:
        raise UsageError(f"{path} cannot be written ({exc.strerror or exc}): nothing was issued") from exc
    os.close(fd)
    os.unlink(probe)
    return path


def copy_out(number: str, content: bytes, path: Path | None, command_hint: str) -> str:
    """Write the copy (checked writable beforehand); if it fails now, say what was issued and how to
    get the copy, instead of suggesting a retry that would issue again."""
    if path is None:
        return ""
    from kettrack.store.files import write_private

    try:
        write_private(path, content, overwrite=True)
    except OSError as exc:
        raise UsageError(
            f"{number} was issued, but its copy could not be written to {path} ({exc.strerror or exc}); "
            f"do not issue it again: {command_hint}"
        ) from exc
    return f" and {path}"


def superbill_issue(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.store.superbills import PreflightFailed

    request = _request(args)
    if args.check:
        problems = ws.superbills.check(ws.superbills.assemble(request))
        if problems and not args.draft:
            return _incomplete(problems)
        print("complete: no problems found" if not problems else "\n".join(problems))
        return 0
    output = output_target(args.output, args.force)
    try:
        issued = ws.superbills.issue(request, draft=args.draft)
    except PreflightFailed as failed:
        return _incomplete(failed.messages)
    where = _saved(ws, issued, output)
    kind = "draft " if issued.draft else ""
    print(f"issued {kind}superbill {issued.number} version {issued.version} (id {issued.id}){where}")
    return 0


def _saved(ws: Workspace, issued: IssuedSuperbillRecord, output: Path | None) -> str:
    if output is None:
        return ""
    hint = f"save it with: kettrack superbills save {issued.id} FILE.pdf"
    return copy_out(issued.number, ws.superbills.pdf(issued.id), output, hint)


def superbills_save(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
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
        "date_from": _iso(record.date_from),
        "date_to": _iso(record.date_to),
        "issued_at": record.issued_at.isoformat(),
        "draft": record.draft,
        "file_name": record.file_name,
        "sha256": record.sha256,
        "total_charges": format(record.total_charges, "f"),
        "total_paid": format(record.total_paid, "f"),
        "superseded": record.superseded,
    }


def superbills_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    patient = v.record_id(args.patient, "patient")
    v.done()
    records = ws.superbills.list(patient)
    if args.json:
        print(json.dumps([_issued_json(r) for r in records], indent=2, ensure_ascii=False))
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
            f"{_iso(r.date_from)}..{_iso(r.date_to)}",
            f"{r.total_charges:,.2f}",
            f"{r.total_paid:,.2f}",
            "superseded" if r.superseded else ("draft" if r.draft else "issued"),
        )
        for r in records
    ]
    print(
        _table(
            ("ID", "Number", "Ver", "Patient", "Services", "Charges", "Paid", "Status"),
            rows,
            right=(0, 2, 5, 6),
        )
    )
    return 0


def superbills_reissue(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.store.superbills import PreflightFailed

    v = _Values()
    superbill_id = v.record_id(args.id, "id")
    v.done()
    assert superbill_id is not None
    output = output_target(args.output, args.force)
    try:
        issued = ws.superbills.reissue(superbill_id, draft=args.draft)
    except PreflightFailed as failed:
        return _incomplete(failed.messages)
    where = _saved(ws, issued, output)
    print(f"issued superbill {issued.number} version {issued.version} (id {issued.id}){where}")
    return 0


def fees_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    provider = v.record_id(args.provider, "provider")
    v.done()
    assert provider is not None
    ws.providers.get(provider)  # an unknown id is an error, not an empty list
    fees = sorted(ws.fees.for_provider(provider).items())
    if args.json:
        print(json.dumps([{"code": c, "amount": format(a, "f"), "ndc": n} for c, (a, n) in fees], indent=2))
        return 0
    catalog = ws.codes.catalog()

    def described(code: str) -> str:
        entry = catalog.get(code)
        return entry.description if entry else ""

    rows = [(c, f"{a:,.2f}", n, described(c)) for c, (a, n) in fees]
    print(_table(("Code", "Charge", "NDC", "Description"), rows, right=(1,)) if rows else "no fees set")
    return 0


def fees_set(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    provider = v.record_id(args.provider, "provider")
    v.done()
    assert provider is not None
    from kettrack.core.codes import code_system

    if code_system(args.code) is None:
        raise UsageError(f"code: {args.code!r} is not a CPT or HCPCS code")
    ws.fees.set_fee(provider, args.code, args.amount, args.ndc or "")
    print(f"fee for {args.code.strip().upper()} set")
    return 0


def codes_list(ws: Workspace, args: argparse.Namespace) -> int:
    codes = list(ws.codes.catalog())
    return _print_list(
        args,
        codes,
        ("Code", "Kind", "From", "To", "Description"),
        lambda c: (c.code, c.kind.value, _iso(c.effective_from), _iso(c.effective_to), c.description),
        "codes",
    )


def codes_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.codes import CodeKind, ProcedureCode

    v = _Values()
    kind = v.choice(CodeKind, args.kind, "kind", CodeKind.OTHER)
    units = v.whole(args.units, "units") if args.units else 1
    start, end = v.day(args.date_from, "from"), v.day(args.date_to, "to")
    v.done()
    entry = ws.codes.save(
        ProcedureCode(args.code, kind, args.description, units or 1, start, end, args.replaced_by or "")
    )
    print(f"code {entry.code} saved")
    return 0


def codes_icd10(ws: Workspace, args: argparse.Namespace) -> int:
    """Show the ICD-10-CM code set in use, or make a newer CDC release file the one in use."""
    from kettrack.core.icd10 import install_release, parse_release_lines
    from kettrack.store.location import cache_dir

    custom = cache_dir() / "icd10cm-custom.tsv.gz"
    if args.reset:
        custom.unlink(missing_ok=True)
        ws._icd = None  # noqa: SLF001 - reload from the packaged release
        index = ws.icd10()
    elif args.load:
        if not args.label:
            raise UsageError("say which release it is with --label, e.g. --label 'FY2027 (CDC, 2026-10-01)'")
        try:
            with open(args.load, encoding="utf-8") as handle:
                found = len(parse_release_lines(handle))
            if found < MIN_RELEASE_CODES:
                raise UsageError(
                    f"{args.load} holds {found:,} billable codes; a whole ICD-10-CM release holds over "
                    f"{MIN_RELEASE_CODES:,}, so it was not loaded"
                )
            index = install_release(cache_dir(), Path(args.load), args.label)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageError(f"{args.load}: {exc}") from exc
    else:
        index = ws.icd10()
    print(f"ICD-10-CM code set: {index.version}; {len(index):,} billable codes")
    return 0


def lines_show(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    session = v.record_id(args.session, "session")
    v.done()
    assert session is not None
    saved = ws.service_lines.for_infusion(session)
    proposal = None if saved else ws.service_lines.propose(session)
    lines = saved or list(proposal.lines if proposal else ())
    if args.save and not saved:
        lines = ws.service_lines.replace_lines(session, lines)
    status = "saved" if saved or args.save else "proposed (not saved: add --save)"
    rows = [
        (ln.code, " ".join(ln.modifiers), ln.pointers, ln.units, f"{ln.charge:,.2f}", ln.ndc, ln.description)
        for ln in lines
    ]
    print(f"session {session}: {status}")
    print(_table(("Code", "Mod", "Dx", "Units", "Charge", "NDC", "Description"), rows, right=(3, 4)))
    for warning in proposal.warnings if proposal and not args.save else ():
        print(f"note: {warning}")
    return 0


def _current_lines(ws: Workspace, session: int) -> list[Any]:
    return ws.service_lines.for_infusion(session) or list(ws.service_lines.propose(session).lines)


def lines_set(ws: Workspace, args: argparse.Namespace) -> int:
    """Change the line with this code (or add one), keeping the session's other lines."""
    from dataclasses import replace

    from kettrack.core.service_lines import ServiceLine, pointers_for

    v = _Values()
    session = v.record_id(args.session, "session")
    units = v.whole(args.units, "units") if args.units is not None else None
    charge = v.amount(args.charge, "charge") if args.charge is not None else None
    quantity = v.measure(args.ndc_qty, "ndc_quantity", Decimal("99999")) if args.ndc_qty else None
    v.done()
    assert session is not None
    code = args.code.strip().upper()
    lines = _current_lines(ws, session)
    record = ws.infusions.get(session)
    matching = [n for n, line in enumerate(lines) if line.code == code]
    if matching:
        line = lines[matching[0]]
    else:
        entry = ws.codes.catalog().get(code)
        line = ServiceLine(
            service_date=record.service_date,
            place_of_service=record.place_of_service,
            code=code,
            description=entry.description if entry else "",
            units=entry.default_units if entry else 1,
            charge=Decimal("0.00"),
            pointers=pointers_for(len(record.diagnoses)),
            infusion_id=session,
        )
    changes: dict[str, Any] = {}
    if units is not None:
        changes["units"] = units
    if charge is not None:
        changes["charge"] = charge
    if args.modifier is not None:
        changes["modifiers"] = tuple(args.modifier)
    if args.pointers is not None:
        changes["pointers"] = args.pointers
    if args.description is not None:
        changes["description"] = args.description
    if args.ndc is not None:
        changes.update(ndc=args.ndc, ndc_unit=args.ndc_unit or "ME", ndc_quantity=quantity or record.dose_mg)
    line = replace(line, **changes)
    if matching:
        lines[matching[0]] = line
    else:
        lines.append(line)
    saved = ws.service_lines.replace_lines(session, lines)
    print(f"session {session}: {len(saved)} lines saved")
    return 0


def lines_remove(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    session = v.record_id(args.session, "session")
    v.done()
    assert session is not None
    code = args.code.strip().upper()
    lines = _current_lines(ws, session)
    kept = [line for line in lines if line.code != code]
    if len(kept) == len(lines):
        raise UsageError(f"code: session {session} has no {code} line")
    saved = ws.service_lines.replace_lines(session, kept)
    print(f"session {session}: {len(saved)} lines saved")
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: Callable[..., None],
    with_workspace: Callable[[Handler], Callable[[argparse.Namespace], int]],
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

    group = commands.add_parser("superbills", help="issued superbills", description="Issued superbills.")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
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

    group = commands.add_parser(
        "fees", help="fee schedules", description="What each provider charges per code."
    )
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    sub = command("list", "list a provider's fees", fees_list, actions)
    sub.add_argument("--provider", metavar="ID", required=True)
    sub.add_argument("--json", action="store_true")
    sub = command("set", "set a provider's charge per unit of a code", fees_set, actions)
    sub.add_argument("--provider", metavar="ID", required=True)
    sub.add_argument("--code", required=True)
    sub.add_argument("--amount", required=True, metavar="AMOUNT")
    sub.add_argument("--ndc", help="the NDC usually billed with this drug code")

    group = commands.add_parser("codes", help="procedure codes", description="CPT and HCPCS codes in use.")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    sub = command("list", "list codes with kettrack's plain-language descriptions", codes_list, actions)
    sub.add_argument("--json", action="store_true")
    sub = command("add", "add or edit a code (description in your own words)", codes_add, actions)
    sub.add_argument("--code", required=True)
    sub.add_argument("--kind", help="administration, drug, visit, psychotherapy, other")
    sub.add_argument("--description", required=True)
    sub.add_argument("--units", help="default units")
    sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first valid day")
    sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last valid day (retires the code)")
    sub.add_argument("--replaced-by", help="the code to use after it")

    sub = command(
        "icd10", "show the ICD-10-CM code set in use, or load a newer CDC release file", codes_icd10, actions
    )
    sub.add_argument(
        "--load", metavar="FILE", help="a CDC order file (icd10cm_order_YYYY.txt) or CODE<TAB>TEXT lines"
    )
    sub.add_argument("--label", help="what to call the release, e.g. 'FY2027 (CDC, effective 2026-10-01)'")
    sub.add_argument("--reset", action="store_true", help="go back to the release packaged with kettrack")

    group = commands.add_parser("lines", help="service lines", description="A session's billed lines.")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    sub = command("show", "show a session's lines (or the proposed ones)", lines_show, actions)
    sub.add_argument("--session", metavar="ID", required=True)
    sub.add_argument("--save", action="store_true", help="save the proposed lines")
    sub = command("set", "change (or add) the line with a code; the other lines stay", lines_set, actions)
    sub.add_argument("--session", metavar="ID", required=True)
    sub.add_argument("--code", required=True)
    sub.add_argument("--units")
    sub.add_argument("--charge", metavar="AMOUNT", help="the line's total charge")
    sub.add_argument("--modifier", action="append", help="a modifier (repeatable, at most 4)")
    sub.add_argument("--pointers", help="diagnosis letters, like AB")
    sub.add_argument("--description")
    sub.add_argument("--ndc", help="the drug's NDC (drug lines)")
    sub.add_argument("--ndc-unit", help="ME (mg), ML, UN, GR or F2; default ME")
    sub.add_argument("--ndc-qty", help="the quantity in that unit; default the session's dose")
    sub = command("remove", "remove the line with a code", lines_remove, actions)
    sub.add_argument("--session", metavar="ID", required=True)
    sub.add_argument("--code", required=True)
