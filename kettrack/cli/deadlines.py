"""What is due and what it follows: ``due`` (overdue first, for scripts and cron; the claims' steps and
each esketamine session's Spravato REMS form), the calendar export (every open deadline with alarms),
prior authorizations, a payer's filing and appeal rules (shown with their sources, changed or
confirmed), and the claim adjustment reason and remark codes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import (
    DatabaseOptions,
    UsageError,
    Values,
    WithWorkspace,
    action_group,
    claim_id,
    command_maker,
    iso,
    print_json,
    print_list,
    table,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


def due(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services import rems

    v = Values()
    within = v.whole(args.within, "within") if args.within is not None else 30
    v.done()
    assert within is not None
    if within > 3650:
        raise UsageError("within: at most 3650 days")
    items = rems.due(ws, within)
    today = ws.today()
    if args.json:
        print_json(
            [
                {
                    "due": i.due.isoformat(),
                    "days_left": i.days_left(today),
                    "overdue": i.due < today,
                    "action": i.action,
                    "claim_id": i.claim_id,
                    "claim_number": i.claim_number,
                    "auth_id": i.auth_id,
                    "session_id": i.session_id,
                    "patient": i.patient_name,
                    "payer": i.payer_name,
                    "kind": i.kind.value,
                    "rule_confirmed": i.confirmed,
                }
                for i in items
            ]
        )
        return 0
    if not items:
        print(f"nothing due within {within} days")
        return 0
    rows = [
        [
            iso(i.due),
            "OVERDUE" if i.due < today else f"{i.days_left(today)} d",
            i.action + ("" if i.confirmed else " (default rule: confirm the plan's)"),
            i.claim_number or (f"session {i.session_id}" if i.session_id is not None else "auth"),
            i.patient_name,
            i.payer_name,
        ]
        for i in items
    ]
    print(table(["Due", "Left", "To do", "Claim", "Patient", "Payer"], rows))
    return 0


def calendar_export(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.calendar_export import to_ics
    from kettrack.services import rems
    from kettrack.services.saving import write_private

    items = rems.calendar_items(ws)
    write_private(Path(args.file), to_ics(items), overwrite=True)
    print(f"{len(items)} deadline{'' if len(items) == 1 else 's'} written to {args.file}")
    return 0


# --- prior authorizations, payer rules, reason codes -------------------------------------------------


def auths_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import NewPriorAuth
    from kettrack.core.enums import AuthStatus

    v = Values()
    coverage = v.record_id(args.coverage, "coverage")
    status = v.choice(AuthStatus, args.status, "status", AuthStatus.APPROVED)
    dates = {
        name: v.day(getattr(args, name), name) for name in ("requested", "decided", "valid_from", "valid_to")
    }
    units = v.whole(args.units, "units")
    v.done()
    assert coverage is not None
    claims = tuple(claim_id(c) for c in args.claim or [])
    auth = ws.auths.add_auth(
        NewPriorAuth(
            coverage_id=coverage,
            status=status,
            auth_number=args.number or "",
            requested_on=dates["requested"],
            decided_on=dates["decided"],
            codes=args.codes or "",
            units=units,
            valid_from=dates["valid_from"],
            valid_to=dates["valid_to"],
            notes=args.notes or "",
            claim_ids=claims,
        )
    )
    print(auth)
    return 0


def auths_list(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    patient = v.record_id(args.patient, "patient")
    v.done()
    return print_list(
        args,
        ws.auths.auths(patient),
        ["ID", "Number", "Status", "Codes", "Units", "From", "To", "Claims"],
        lambda a: [
            a.id,
            a.auth_number,
            a.status,
            a.codes,
            a.units or "",
            iso(a.valid_from),
            iso(a.valid_to),
            " ".join(str(c) for c in a.claim_ids),
        ],
        "prior authorizations",
        right=[0],
    )


def rules_show(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    payer = v.record_id(args.payer, "payer")
    v.done()
    assert payer is not None
    rules, overrides = ws.claims.rules(payer)
    state = "confirmed for this plan" if rules.confirmed else "DEFAULTS, not yet confirmed for this plan"
    print(f"{ws.payers.get(payer).name} ({rules.kind.label}): {state}")
    print(f"  file the claim: {rules.filing.words()} after the date of service  [{rules.filing_source}]")
    for level in rules.levels:
        print(
            f"  {level.key}: {level.name}, {level.period.words()} from the {level.anchor.value}"
            + (f", decided in {level.decision_days} days" if level.decision_days else "")
            + f"  [{level.source}]"
        )
    print(f"  presumed receipt: {rules.presumed_receipt_days} days after the notice date")
    print(
        f"  claim decision expected in: {rules.claim_decision_days or '-'} days; follow up "
        f"{rules.follow_up_first_days} days after submission, then every {rules.follow_up_every_days}"
    )
    if overrides.note:
        print(f"  note: {overrides.note}")
    return 0


def rules_set(ws: Workspace, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from kettrack.core.payer_rules import parse_period

    v = Values()
    payer = v.record_id(args.payer, "payer")
    v.done()
    assert payer is not None
    _rules, overrides = ws.claims.rules(payer)
    changes: dict[str, Any] = {}
    if args.filing:
        changes["filing"] = parse_period(args.filing, "filing")
    if args.source:
        changes["filing_source"] = args.source
    levels = dict(overrides.levels)
    for text in args.level or []:
        key, sep, period = text.partition("=")
        if not sep:
            raise UsageError(f'level: write LEVEL=PERIOD, like internal="180 days" (got {text!r})')
        levels[key.strip()] = parse_period(period, f"level {key.strip()}")
    changes["levels"] = levels
    for name in (
        "presumed_receipt_days",
        "claim_decision_days",
        "follow_up_first_days",
        "follow_up_every_days",
    ):
        value = getattr(args, name)
        if value is not None:
            number = v.whole(value, name.replace("_", "-"))
            changes[name] = number
    v.done()
    if args.confirm:
        changes["confirmed"] = True
    if args.note is not None:
        changes["note"] = args.note
    count = ws.claims.set_rules(payer, replace(overrides, **changes))
    print(f"rules saved; deadlines of {count} open claims re-derived")
    return rules_show(ws, args)


def reason_codes_list(ws: Workspace, args: argparse.Namespace) -> int:
    return print_list(
        args,
        ws.reason_codes.reason_codes(),
        ["Code", "Kind", "Meaning", "Yours"],
        lambda c: [c.code, c.kind, c.description, "yes" if c.user_added else ""],
        "reason codes",
    )


def reason_codes_add(ws: Workspace, args: argparse.Namespace) -> int:
    code = ws.reason_codes.add_reason_code(args.code, args.kind, args.description)
    print(f"{code.kind} {code.code} saved")
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)

    sub = command("due", "what to do now: deadlines overdue and coming (for scripts and cron)", due)
    sub.add_argument("--within", metavar="DAYS", help="how far ahead (default 30)")
    sub.add_argument("--json", action="store_true")
    sub = command("calendar", "export every open deadline as an iCalendar file with alarms", calendar_export)
    sub.add_argument("file", metavar="FILE.ics")

    actions = action_group(commands, "auths", "prior authorizations")
    sub = command("add", "record a prior authorization; prints its id", auths_add, actions)
    sub.add_argument("--coverage", metavar="ID", required=True)
    sub.add_argument("--status", help="requested, approved or denied (default approved)")
    sub.add_argument("--number", help="the authorization number")
    sub.add_argument("--requested", metavar="YYYY-MM-DD")
    sub.add_argument("--decided", metavar="YYYY-MM-DD")
    sub.add_argument("--codes", help='approved codes, like "96365 J3490"')
    sub.add_argument("--units", help="approved units or visits")
    sub.add_argument("--from", dest="valid_from", metavar="YYYY-MM-DD")
    sub.add_argument("--to", dest="valid_to", metavar="YYYY-MM-DD")
    sub.add_argument("--claim", action="append", metavar="CLAIM", help="a claim it covers (repeatable)")
    sub.add_argument("--notes")
    sub = command("list", "list prior authorizations", auths_list, actions)
    sub.add_argument("--patient", metavar="ID")
    sub.add_argument("--json", action="store_true")

    actions = action_group(commands, "rules", "a payer's filing, appeal and follow-up rules")
    sub = command("show", "show the rules a payer's deadlines follow, with sources", rules_show, actions)
    sub.add_argument("--payer", metavar="ID", required=True)
    sub = command("set", "change a payer's rules (or confirm the defaults)", rules_set, actions)
    sub.add_argument("--payer", metavar="ID", required=True)
    sub.add_argument("--filing", help='time to file, like "365 days" or "12 months"')
    sub.add_argument("--source", help="where the rule comes from (plan document, page)")
    sub.add_argument("--level", action="append", metavar="LEVEL=PERIOD", help='e.g. internal="180 days"')
    sub.add_argument("--presumed-receipt", dest="presumed_receipt_days", metavar="DAYS")
    sub.add_argument("--decision-days", dest="claim_decision_days", metavar="DAYS")
    sub.add_argument("--follow-up-first", dest="follow_up_first_days", metavar="DAYS")
    sub.add_argument("--follow-up-every", dest="follow_up_every_days", metavar="DAYS")
    sub.add_argument(
        "--confirm", action="store_true", help="these are the plan's rules: drop the 'default' mark"
    )
    sub.add_argument("--note")

    actions = action_group(commands, "reason-codes", "claim adjustment reason (CARC) and remark (RARC) codes")
    sub = command("list", "list the codes with their meaning in plain words", reason_codes_list, actions)
    sub.add_argument("--json", action="store_true")
    sub = command("add", "add a code you met (or re-describe one)", reason_codes_add, actions)
    sub.add_argument("code")
    sub.add_argument("--kind", required=True, help="carc or rarc")
    sub.add_argument("--description", required=True)
