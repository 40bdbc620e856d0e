"""What is billed: each provider's fee schedule, the CPT/HCPCS code list (with kettrack's own plain
descriptions), the ICD-10-CM releases by date, and a session's service lines (proposed from the session,
then saved and edited line by line).
"""

from __future__ import annotations

import argparse
import sys
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


def fees_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    provider = v.record_id(args.provider, "provider")
    v.done()
    assert provider is not None
    ws.providers.get(provider)  # an unknown id is an error, not an empty list
    fees = sorted(ws.fees.for_provider(provider).items())
    containers = {ndc: kind.value for ndc, (kind, _) in ws.fees.containers([provider]).items()}
    if args.json:
        print_json(
            [
                {"code": c, "amount": format(a, "f"), "ndc": n}
                | ({"container": containers.get(n, "")} if n else {})
                for c, (a, n) in fees
            ],
            ensure_ascii=True,
        )
        return 0
    catalog = ws.codes.catalog()

    def described(code: str) -> str:
        entry = catalog.get(code)
        return entry.description if entry else ""

    rows = [(c, f"{a:,.2f}", n, containers.get(n, "") if n else "", described(c)) for c, (a, n) in fees]
    heads = ("Code", "Charge", "NDC", "Container", "Description")
    print(table(heads, rows, right=(1,)) if rows else "no fees set")
    return 0


def fees_set(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.codes import code_system
    from kettrack.core.line_rules import ContainerType

    v = Values()
    provider = v.record_id(args.provider, "provider")
    container = v.choice(ContainerType, args.container, "container", None)
    v.done()
    assert provider is not None
    if code_system(args.code) is None:
        raise UsageError(f"code: {args.code!r} is not a CPT or HCPCS code")
    ws.fees.set_fee(provider, args.code, args.amount, args.ndc, container)
    print(f"fee for {args.code.strip().upper()} set")
    return 0


def fees_place(ws: Workspace, args: argparse.Namespace) -> int:
    """The usual place of service: shown, or set (refused for telehealth, 02/10)."""
    if args.code is not None:
        ws.fees.set_usual_place(args.code)
    print(f"usual place of service: {ws.fees.usual_place()}")
    return 0


def codes_override(ws: Workspace, args: argparse.Namespace) -> int:
    """A payer's documented code override: bill one code where another is due (S0013 for J0013 while a
    payer's systems lag behind the 2026-01-01 change); --remove takes it away. Listed without options."""
    from dataclasses import replace

    v = Values()
    payer = v.record_id(args.payer, "payer")
    v.done()
    assert payer is not None
    _, overrides = ws.claims.rules(payer)
    codes = dict(overrides.code_overrides)
    due = (args.code or "").strip().upper()
    if args.remove:
        if due not in codes:
            raise UsageError(f"code: payer {payer} has no override for {due or '(none given)'}")
        del codes[due]
    elif args.use:
        if not due:
            raise UsageError("give --code (the code due) with --use (the code this payer takes)")
        codes[due] = args.use.strip().upper()
    if args.remove or args.use:
        ws.claims.set_rules(payer, replace(overrides, code_overrides=codes))
    name = ws.payers.get(payer).name
    if not codes:
        print(f"{name}: no code overrides")
    for code, instead in sorted(codes.items()):
        print(f"{name}: bill {instead} where {code} is due")
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


def codes_load(ws: Workspace, args: argparse.Namespace) -> int:
    """Load a CSV list of CPT/HCPCS codes with their effective dates (all rows or none)."""
    from kettrack.services.code_sets import load_code_list

    count = load_code_list(ws, Path(args.file))
    print(f"{count} code{'s' if count != 1 else ''} loaded from {Path(args.file).name}")
    return 0


def codes_icd10(ws: Workspace, args: argparse.Namespace) -> int:
    """List the ICD-10-CM releases with the dates each is in force; load the next CDC release beside them,
    compare two, or remove one loaded by mistake."""
    from kettrack.services import code_sets

    if args.diff:
        older, newer = args.diff
        for line in code_sets.diff_icd10_releases(ws, older, newer).lines():
            print(line)
        return 0
    if args.remove:
        removed = code_sets.remove_icd10_release(ws, args.remove)
        print(f"ICD-10-CM {removed.label} removed ({removed.code_count:,} codes)")
    elif args.load:
        v = Values()
        year = v.whole(args.fiscal_year, "fiscal-year") if args.fiscal_year else None
        v.done()
        stored = code_sets.load_icd10_release(ws, Path(args.load), fiscal_year=year, april_update=args.april)
        print(
            f"ICD-10-CM {stored.label} loaded from {stored.source_name} ({stored.source_kind}): "
            f"{stored.code_count:,} billable codes, in force from {stored.effective_from.isoformat()}"
        )
    periods = code_sets.release_periods(ws.icd10())
    if args.json:
        print_json(
            [
                {
                    "label": r.label,
                    "version": r.version,
                    "from": iso(r.starts),
                    "to": iso(r.ends),
                    "codes": r.codes,
                    "bundled": r.bundled,
                }
                for r in periods
            ]
        )
        return 0
    rows = [
        (r.label, iso(r.starts), iso(r.ends), f"{r.codes:,}", "with kettrack" if r.bundled else "loaded")
        for r in periods
    ]
    print(table(("Release", "From", "To", "Codes", "Source"), rows, right=(3,)))
    for warning in (code_sets.coverage_warning(ws), code_sets.legacy_release_note()):
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
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
    if args.pos is not None:
        changes["place_of_service"] = args.pos
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
    sub.add_argument("--amount", metavar="AMOUNT", help="the charge per unit (required for a new code)")
    sub.add_argument("--ndc", help="the NDC usually billed with this drug code")
    sub.add_argument(
        "--container",
        help="single-dose, multi-dose or unknown: whether Medicare Part B lines with this NDC need JW/JZ",
    )
    sub = command(
        "place",
        "show or set the clinic's usual place of service (new sessions and lines default to it; never 02/10)",
        fees_place,
        actions,
    )
    sub.add_argument("code", nargs="?", metavar="POS", help="a 2-digit CMS code, like 11 (office) or 49")

    actions = action_group(commands, "codes", "procedure codes", "CPT and HCPCS codes in use.")
    sub = command("list", "list codes with kettrack's plain-language descriptions", codes_list, actions)
    sub.add_argument("--json", action="store_true")
    sub = command(
        "override",
        "a payer's code override: bill --use CODE where --code CODE is due (e.g. S0013 for J0013 while the "
        "payer's systems lag); without --use or --remove, list them",
        codes_override,
        actions,
    )
    sub.add_argument("--payer", metavar="ID", required=True)
    sub.add_argument("--code", help="the code due (e.g. J0013)")
    sub.add_argument("--use", help="the code this payer takes instead (e.g. S0013)")
    sub.add_argument("--remove", action="store_true", help="remove the override for --code")
    sub = command("add", "add or edit a code (description in your own words)", codes_add, actions)
    sub.add_argument("--code", required=True)
    sub.add_argument("--kind", help="administration, drug, visit, psychotherapy, other")
    sub.add_argument("--description", required=True)
    sub.add_argument("--units", help="default units")
    sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first valid day")
    sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last valid day (retires the code)")
    sub.add_argument("--replaced-by", help="the code to use after it")
    sub = command(
        "load",
        "load a CSV of CPT/HCPCS codes with effective dates (code,description,kind,from,to,replaced_by)",
        codes_load,
        actions,
    )
    sub.add_argument("file", metavar="FILE")
    sub = command(
        "icd10",
        "list the ICD-10-CM releases and their dates; load the next CDC release, compare or remove one",
        codes_icd10,
        actions,
    )
    sub.add_argument(
        "--load",
        metavar="FILE",
        help="a CDC release file: icd10cm_order_YYYY.txt, icd10cm_codes_YYYY.txt or icd10cm_tabular_YYYY.xml",
    )
    sub.add_argument(
        "--fiscal-year", metavar="YEAR", help="the release's fiscal year, when the file does not say"
    )
    sub.add_argument(
        "--april",
        action="store_true",
        default=None,
        help="the file is an April update (in force from April 1)",
    )
    sub.add_argument(
        "--diff", nargs=2, metavar=("OLDER", "NEWER"), help="list added, deleted and changed codes"
    )
    sub.add_argument("--remove", metavar="LABEL", help="remove a loaded release (e.g. FY2027)")
    sub.add_argument("--json", action="store_true")

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
    sub.add_argument("--pos", help="the line's place of service (2 digits, like 11)")
    sub.add_argument("--ndc-qty", help="the quantity in that unit; default the session's dose")
    sub = command("remove", "remove the line with a code", lines_remove, actions)
    sub.add_argument("--session", metavar="ID", required=True)
    sub.add_argument("--code", required=True)
