"""What is billed: each provider's fee schedule, the CPT/HCPCS code list (with kettrack's own plain
descriptions), the ICD-10-CM code set in use, and a session's service lines (proposed from the session,
then saved and edited line by line).
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import (
    DatabaseOptions,
    UsageError,
    Values,
    WithWorkspace,
    action_group,
    command_maker,
    iso,
    print_json,
    print_list,
    table,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

# A release file with fewer billable codes is a fragment, not a code set to validate claims against.
MIN_RELEASE_CODES = 50_000


def fees_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    provider = v.record_id(args.provider, "provider")
    v.done()
    assert provider is not None
    ws.providers.get(provider)  # an unknown id is an error, not an empty list
    fees = sorted(ws.fees.for_provider(provider).items())
    if args.json:
        print_json([{"code": c, "amount": format(a, "f"), "ndc": n} for c, (a, n) in fees], ensure_ascii=True)
        return 0
    catalog = ws.codes.catalog()

    def described(code: str) -> str:
        entry = catalog.get(code)
        return entry.description if entry else ""

    rows = [(c, f"{a:,.2f}", n, described(c)) for c, (a, n) in fees]
    print(table(("Code", "Charge", "NDC", "Description"), rows, right=(1,)) if rows else "no fees set")
    return 0


def fees_set(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
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
    return print_list(
        args,
        codes,
        ("Code", "Kind", "From", "To", "Description"),
        lambda c: (c.code, c.kind.value, iso(c.effective_from), iso(c.effective_to), c.description),
        "codes",
    )


def codes_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.codes import CodeKind, ProcedureCode

    v = Values()
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
    from kettrack.services.opening import cache_dir

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
    v = Values()
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
    print(table(("Code", "Mod", "Dx", "Units", "Charge", "NDC", "Description"), rows, right=(3, 4)))
    for warning in proposal.warnings if proposal and not args.save else ():
        print(f"note: {warning}")
    return 0


def _current_lines(ws: Workspace, session: int) -> list[Any]:
    return ws.service_lines.for_infusion(session) or list(ws.service_lines.propose(session).lines)


def lines_set(ws: Workspace, args: argparse.Namespace) -> int:
    """Change the line with this code (or add one), keeping the session's other lines."""
    from dataclasses import replace

    from kettrack.core.service_lines import ServiceLine, pointers_for

    v = Values()
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
    v = Values()
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
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)

    actions = action_group(commands, "fees", "fee schedules", "What each provider charges per code.")
    sub = command("list", "list a provider's fees", fees_list, actions)
    sub.add_argument("--provider", metavar="ID", required=True)
    sub.add_argument("--json", action="store_true")
    sub = command("set", "set a provider's charge per unit of a code", fees_set, actions)
    sub.add_argument("--provider", metavar="ID", required=True)
    sub.add_argument("--code", required=True)
    sub.add_argument("--amount", required=True, metavar="AMOUNT")
    sub.add_argument("--ndc", help="the NDC usually billed with this drug code")

    actions = action_group(commands, "codes", "procedure codes", "CPT and HCPCS codes in use.")
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

    actions = action_group(commands, "lines", "service lines", "A session's billed lines.")
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
