"""Claim commands of the command line: claims and their events, what is due, the calendar export,
prior authorizations, payer rules and reason codes.

Registered by ``kettrack.cli.build_parser``; shares its option parsing, output and error handling.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli import UsageError, _iso, _print_list, _table, _Values, command_maker

if TYPE_CHECKING:
    from kettrack.core.claims import Adjustment, ClaimRow, NewEvent
    from kettrack.store.workspace import Workspace

Handler = Callable[["Workspace", argparse.Namespace], int]
_CLAIM_NUMBER = re.compile(r"^CL-?0*(\d{1,9})$", re.IGNORECASE)
_ADJUST = re.compile(r"^(CO|PR|OA|PI)-([A-Z0-9]{1,3}):([^:]+)(?::(.*))?$", re.IGNORECASE)


def _claim_id(text: str) -> int:
    """A claim given as its id (12) or its number (CL-000012)."""
    raw = text.strip()
    match = _CLAIM_NUMBER.match(raw)
    if match:
        return int(match.group(1))
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 9 and int(raw) > 0:
        return int(raw)
    raise UsageError(f"claim: {text!r} is not a claim id or number (like 12 or CL-000012)")


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _adjustments(v: _Values, texts: list[str] | None) -> tuple[Adjustment, ...]:
    from kettrack.core.claims import Adjustment, GroupCode

    found: list[Adjustment] = []
    for text in texts or []:
        match = _ADJUST.match(text.strip())
        if not match:
            v.add(
                "adjust", f"{text!r} is not GROUP-CODE:AMOUNT[:REMARKS], like CO-45:120.00 or CO-50:450:N130"
            )
            continue
        amount = v.amount(match.group(3), "adjust")
        if amount is not None:
            remarks = (match.group(4) or "").replace(",", " ")
            found.append(
                Adjustment(GroupCode(match.group(1).upper()), match.group(2).upper(), amount, remarks)
            )
    return tuple(found)


def _rows_out(args: argparse.Namespace, rows: list[ClaimRow]) -> int:
    return _print_list(
        args,
        rows,
        ["ID", "Number", "Patient", "Payer", "Status", "Billed", "Paid", "Outstanding", "Next", "To do"],
        lambda r: [
            r.id,
            r.number,
            r.patient_name,
            r.payer_name,
            r.status_text,
            _money(r.billed),
            _money(r.paid),
            _money(r.outstanding),
            _iso(r.next_due),
            r.next_action,
        ],
        "claims",
        right=[0, 5, 6, 7],
    )


# --- claims ----------------------------------------------------------------------------------------


def claims_create(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import Filer, NewClaim, SubmitMethod
    from kettrack.core.enums import CoverageRank
    from kettrack.core.problems import InvalidInput

    v = _Values()
    superbill = v.record_id(args.superbill, "superbill")
    coverage = v.record_id(args.coverage, "coverage")
    filer = v.choice(Filer, args.filer, "filer", Filer.PATIENT)
    method = v.choice(SubmitMethod, args.method, "method", SubmitMethod.MAIL)
    v.done()
    replaces = _claim_id(args.replaces) if args.replaces else None
    primary = _claim_id(args.secondary_of) if args.secondary_of else None
    if superbill is None and primary is None:
        raise UsageError("say what the claim bills: --superbill ID (or --secondary-of CLAIM)")
    if coverage is None:
        # The patient's coverage of the right rank on the dates of service, when there is one.
        patient_id = None
        if superbill is not None:
            issued = [r for r in ws.superbills.list() if r.id == superbill]
            if not issued:
                raise InvalidInput.single("superbill", f"there is no issued superbill with id {superbill}")
            patient_id = issued[0].patient_id
        elif primary is not None:
            patient_id = ws.claim_views.row(primary).patient_id
        rank = CoverageRank.SECONDARY if primary is not None else CoverageRank.PRIMARY
        choices = [c for c in ws.coverages.for_patient(patient_id or 0) if c.rank is rank]
        if len(choices) != 1:
            raise UsageError(
                f"the patient has {len(choices)} {rank.value} coverages: choose one with --coverage ID"
            )
        coverage = choices[0].id
    assert coverage is not None
    claim = ws.claims.create(
        NewClaim(
            coverage_id=coverage,
            superbill_id=superbill,
            filer=filer,
            method=method,
            replaces_id=replaces,
            primary_claim_id=primary,
            note=args.note or "",
        )
    )
    row = ws.claim_views.row(claim)
    print(
        f"claim {row.number} (id {row.id}) created: {_money(row.billed)} to {row.payer_name}; "
        f"next: {row.next_action} by {_iso(row.next_due)}"
    )
    return 0


def claims_list(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claim_states import ClaimState
    from kettrack.core.claims import ClaimFilter

    v = _Values()
    states = tuple(v.choice(ClaimState, s, "state", None) for s in args.state or [])
    payer = v.record_id(args.payer, "payer")
    patient = v.record_id(args.patient, "patient")
    v.done()
    flt = ClaimFilter(
        states=tuple(s for s in states if s is not None),
        payer_id=payer,
        patient_id=patient,
        overdue_only=args.overdue,
        open_only=args.open,
        text=args.text or "",
    )
    rows = ws.claim_views.rows(flt)
    if args.csv:
        _write_csv(Path(args.csv), rows, args.force)
        print(f"{len(rows)} claims written to {args.csv}")
        return 0
    return _rows_out(args, rows)


def _write_csv(path: Path, rows: list[ClaimRow], force: bool) -> None:
    import csv
    import io

    from kettrack.core.csv_safety import neutralize
    from kettrack.store.files import write_private

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "id",
            "number",
            "patient",
            "payer",
            "status",
            "first_service",
            "billed",
            "paid",
            "outstanding",
            "payer_claim_number",
            "next_due",
            "next_action",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                neutralize(str(cell))
                for cell in (
                    r.id,
                    r.number,
                    r.patient_name,
                    r.payer_name,
                    r.status_text,
                    _iso(r.first_service),
                    r.billed,
                    r.paid,
                    r.outstanding,
                    r.payer_claim_number,
                    _iso(r.next_due),
                    r.next_action,
                )
            ]
        )
    write_private(path, buffer.getvalue(), overwrite=force)


def claims_show(ws: Workspace, args: argparse.Namespace) -> int:
    detail = ws.claim_views.get(_claim_id(args.id))
    if args.json:
        from kettrack.store.transfer import encode_record

        print(json.dumps(encode_record(detail), indent=2, ensure_ascii=False))
        return 0
    row = detail.row
    print(f"{row.number}  {row.patient_name}  {row.payer_name} ({row.rank.value})  member {detail.member_id}")
    print(
        f"status: {row.status_text}"
        + (f"   payer's claim number: {row.payer_claim_number}" if row.payer_claim_number else "")
    )
    money = detail.money
    print(
        f"billed {_money(money.billed)}  allowed {'-' if money.allowed is None else _money(money.allowed)}  "
        f"paid {_money(money.paid)}  you owe {_money(money.patient_responsibility)}  "
        f"outstanding {_money(row.outstanding)}"
    )
    print()
    print(
        _table(
            ["Date", "Code", "Mod", "Units", "Charge"],
            [
                [_iso(line.service_date), line.code, line.modifiers, line.units, _money(line.charge)]
                for line in detail.lines
            ],
            right=[3, 4],
        )
    )
    print("\ntimeline:")
    for event in detail.events:
        extra = f" (received {_iso(event.received_on)})" if event.received_on else ""
        paid = f" paid {_money(event.amounts.paid)}" if event.amounts.paid is not None else ""
        print(
            f"  {_iso(event.on)}  {event.describe()}{extra}{paid}"
            + (f" - {event.note}" if event.note else "")
        )
        for adjustment in event.adjustments:
            print(
                f"      {adjustment.group.value}-{adjustment.reason} {_money(adjustment.amount)} "
                f"{adjustment.remarks}"
            )
        for attachment in event.attachments:
            print(f"      attached: {attachment.original_name}")
    if detail.deadlines:
        print("\ndeadlines:")
        for deadline in detail.deadlines:
            print(f"  {_iso(deadline.due)}  {deadline.action}\n      {deadline.explain()}")
    for letter in detail.letters:
        print(f"\nappeal letter {letter.number} ({letter.level}) issued {letter.issued_at:%Y-%m-%d}")
    return 0


def _record(ws: Workspace, args: argparse.Namespace, event: NewEvent) -> int:
    attachments = [(Path(p), "") for p in (getattr(args, "attach", None) or [])]
    claim = _claim_id(args.id)
    ws.claims.record(claim, event, attachments=attachments)
    row = ws.claim_views.row(claim)
    nxt = f"; next: {row.next_action} by {_iso(row.next_due)}" if row.next_due else ""
    print(f"{row.number}: {row.status_text}{nxt}")
    return 0


def _event(ws: Workspace, args: argparse.Namespace, kind_name: str, **extra: Any) -> int:
    from kettrack.core.claim_states import EventKind
    from kettrack.core.claims import NewEvent

    v = _Values()
    on = v.day(args.date, "date") if args.date else ws.today()
    received = v.day(getattr(args, "received", None), "received")
    v.done()
    assert on is not None
    return _record(
        ws,
        args,
        NewEvent(
            EventKind(kind_name), on, note=getattr(args, "note", None) or "", received_on=received, **extra
        ),
    )


def claims_submit(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import SubmitMethod

    v = _Values()
    method = v.choice(SubmitMethod, args.method, "method", None)
    v.done()
    return _event(ws, args, "submitted", method=method, payer_claim_number=args.payer_claim_number or "")


def _simple(kind: str) -> Handler:
    def handler(ws: Workspace, args: argparse.Namespace) -> int:
        return _event(ws, args, kind, payer_claim_number=getattr(args, "payer_claim_number", None) or "")

    return handler


def claims_eob(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import EobAmounts

    v = _Values()
    amounts = {
        name: (v.amount(getattr(args, name), name) if getattr(args, name) is not None else None)
        for name in ("paid", "allowed", "deductible", "coinsurance", "copay")
    }
    adjustments = _adjustments(v, args.adjust)
    v.done()
    paid = amounts["paid"]
    assert paid is not None
    detail = ws.claim_views.row(_claim_id(args.id))
    # Paid in full when the payment covers the billed amount less contractual write-offs (CO).
    written_off = sum((a.amount for a in adjustments if a.group.value == "CO"), Decimal("0"))
    full = args.full or (not args.partial and paid + written_off >= detail.billed - detail.paid)
    kind = "paid" if full else "partially_paid"
    return _event(ws, args, kind, amounts=EobAmounts(**amounts), adjustments=adjustments)


def claims_deny(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import EobAmounts

    v = _Values()
    adjustments = _adjustments(v, args.adjust)
    allowed = v.amount(args.allowed, "allowed") if args.allowed else None
    v.done()
    amounts = EobAmounts(allowed=allowed, paid=Decimal("0.00")) if allowed is not None else EobAmounts()
    return _event(ws, args, "denied", amounts=amounts, adjustments=adjustments)


def claims_appeal(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    on = v.day(args.date, "date") if args.date else ws.today()
    v.done()
    assert on is not None
    claim = _claim_id(args.id)
    if args.no_letter:
        if not args.level:
            draft_level = ws.appeals.draft(claim).level
        else:
            draft_level = args.level
        return _event(ws, args, "appeal_filed", appeal_level=draft_level)
    draft = ws.appeals.draft(claim)
    if args.level and args.level != draft.level:
        raise UsageError(f"level: the next level for this claim is '{draft.level}' ({draft.level_name})")
    paragraphs = draft.paragraphs
    if args.text:
        paragraphs = tuple(p for p in Path(args.text).read_text(encoding="utf-8").split("\n\n") if p.strip())
    from kettrack.cli_billing import copy_out, output_target

    output = output_target(args.letter, args.force, "letter.pdf")
    letter = ws.appeals.issue(claim, paragraphs, filed_on=on, note=args.note or "")
    where = copy_out(
        letter.number,
        ws.appeals.letter_pdf(letter.id),
        output,
        f"save it with: kettrack claims letter-save {letter.id} FILE.pdf",
    )
    row = ws.claim_views.row(claim)
    print(f"{row.number}: {row.status_text}; letter {letter.number} issued (id {letter.id}){where}")
    if row.next_due:
        print(f"next: {row.next_action} by {_iso(row.next_due)}")
    return 0


def claims_letter_save(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.cli_billing import copy_out, output_target

    v = _Values()
    letter_id = v.record_id(args.id, "id")
    v.done()
    assert letter_id is not None
    output = output_target(args.file, args.force, "letter.pdf")
    content = ws.appeals.letter_pdf(letter_id)
    copy_out(f"letter {letter_id}", content, output, "free some space and try again")
    print(f"saved appeal letter {letter_id} to {output}")
    return 0


def claims_decision(ws: Workspace, args: argparse.Namespace) -> int:
    return _event(ws, args, "appeal_overturned" if args.overturned else "appeal_upheld")


def claims_close(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claim_states import CloseReason

    v = _Values()
    reason = v.choice(CloseReason, args.reason, "reason", None)
    v.done()
    return _event(ws, args, "closed", close_reason=reason)


def claims_note(ws: Workspace, args: argparse.Namespace) -> int:
    return _event(ws, args, "note")


def claims_attach(ws: Workspace, args: argparse.Namespace) -> int:
    info = ws.claims.attach(_claim_id(args.id), Path(args.file), args.description or "")
    print(f"attached {info.original_name} ({info.media_type}, {info.size} bytes, sha256 {info.sha256[:12]}…)")
    return 0


# --- due and calendar ------------------------------------------------------------------------------


def due(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
    within = v.whole(args.within, "within") if args.within is not None else 30
    v.done()
    assert within is not None
    if within > 3650:
        raise UsageError("within: at most 3650 days")
    items = ws.claim_views.due(within)
    today = ws.today()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "due": i.due.isoformat(),
                        "days_left": i.days_left(today),
                        "overdue": i.due < today,
                        "action": i.action,
                        "claim_id": i.claim_id,
                        "claim_number": i.claim_number,
                        "auth_id": i.auth_id,
                        "patient": i.patient_name,
                        "payer": i.payer_name,
                        "kind": i.kind.value,
                        "rule_confirmed": i.confirmed,
                    }
                    for i in items
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not items:
        print(f"nothing due within {within} days")
        return 0
    rows = [
        [
            _iso(i.due),
            "OVERDUE" if i.due < today else f"{i.days_left(today)} d",
            i.action + ("" if i.confirmed else " (default rule: confirm the plan's)"),
            i.claim_number or "auth",
            i.patient_name,
            i.payer_name,
        ]
        for i in items
    ]
    print(_table(["Due", "Left", "To do", "Claim", "Patient", "Payer"], rows))
    return 0


def calendar_export(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.calendar_export import to_ics
    from kettrack.store.files import write_private

    items = ws.claim_views.calendar_items()
    write_private(Path(args.file), to_ics(items), overwrite=True)
    print(f"{len(items)} deadline{'' if len(items) == 1 else 's'} written to {args.file}")
    return 0


# --- prior authorizations, payer rules, reason codes -------------------------------------------------


def auths_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import NewPriorAuth
    from kettrack.core.enums import AuthStatus

    v = _Values()
    coverage = v.record_id(args.coverage, "coverage")
    status = v.choice(AuthStatus, args.status, "status", AuthStatus.APPROVED)
    dates = {
        name: v.day(getattr(args, name), name) for name in ("requested", "decided", "valid_from", "valid_to")
    }
    units = v.whole(args.units, "units")
    v.done()
    assert coverage is not None
    claims = tuple(_claim_id(c) for c in args.claim or [])
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
    v = _Values()
    patient = v.record_id(args.patient, "patient")
    v.done()
    return _print_list(
        args,
        ws.auths.auths(patient),
        ["ID", "Number", "Status", "Codes", "Units", "From", "To", "Claims"],
        lambda a: [
            a.id,
            a.auth_number,
            a.status,
            a.codes,
            a.units or "",
            _iso(a.valid_from),
            _iso(a.valid_to),
            " ".join(str(c) for c in a.claim_ids),
        ],
        "prior authorizations",
        right=[0],
    )


def rules_show(ws: Workspace, args: argparse.Namespace) -> int:
    v = _Values()
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

    v = _Values()
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
    return _print_list(
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


# --- registration ------------------------------------------------------------------------------------


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: Callable[..., None],
    with_workspace: Callable[[Handler], Callable[[argparse.Namespace], int]],
) -> None:
    command = command_maker(commands, database_options, with_workspace)

    def group(name: str, help_text: str) -> Any:
        parser = commands.add_parser(name, help=help_text, description=help_text)
        return parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    def event(actions: Any, name: str, help_text: str, handler: Handler, *, received: bool = False) -> Any:
        sub = command(name, help_text, handler, actions)
        sub.add_argument("id", metavar="CLAIM", help="claim id or number (CL-000012)")
        sub.add_argument("--date", metavar="YYYY-MM-DD", help="the day it happened (default today)")
        if received:
            sub.add_argument("--received", metavar="YYYY-MM-DD", help="the day the notice arrived")
        sub.add_argument("--note", help="what was said or done")
        sub.add_argument(
            "--attach", action="append", metavar="FILE", help="a PDF or image to keep (repeatable)"
        )
        return sub

    actions = group("claims", "insurance claims: create, record what happens, list")
    sub = command(
        "create", "start a claim from an issued superbill; prints its number", claims_create, actions
    )
    sub.add_argument("--superbill", metavar="ID", help="the issued superbill whose lines it bills")
    sub.add_argument("--coverage", metavar="ID", help="the plan it goes to (default: the patient's primary)")
    sub.add_argument("--filer", help="who sends it: patient or clinic (default patient)")
    sub.add_argument("--method", help="portal, mail, fax or clearinghouse (default mail)")
    sub.add_argument("--replaces", metavar="CLAIM", help="a corrected claim: the claim it replaces")
    sub.add_argument(
        "--secondary-of", metavar="CLAIM", help="a secondary claim after this primary claim's EOB"
    )
    sub.add_argument("--note")
    sub = command("list", "list claims, soonest deadline first", claims_list, actions)
    sub.add_argument("--state", action="append", help="only this state (repeatable), e.g. denied")
    sub.add_argument("--payer", metavar="ID")
    sub.add_argument("--patient", metavar="ID")
    sub.add_argument("--overdue", action="store_true", help="only claims with a passed deadline")
    sub.add_argument("--open", action="store_true", help="only claims not closed")
    sub.add_argument("--text", help="words in the number, patient or payer")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.add_argument("--csv", metavar="FILE.csv", help="write the list as CSV (readable by you only)")
    sub.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    sub = command("show", "one claim: lines, timeline, money, deadlines", claims_show, actions)
    sub.add_argument("id", metavar="CLAIM")
    sub.add_argument("--json", action="store_true")

    sub = event(actions, "submit", "record that the claim was sent", claims_submit)
    sub.add_argument("--method", help="portal, mail, fax or clearinghouse")
    sub.add_argument("--payer-claim-number", help="the number the payer gave the claim")
    sub = event(actions, "acknowledge", "record that the payer confirmed receipt", _simple("acknowledged"))
    sub.add_argument("--payer-claim-number")
    event(
        actions,
        "info-requested",
        "record that the payer asked for more information",
        _simple("info_requested"),
        received=True,
    )
    event(actions, "info-sent", "record that the information was sent", _simple("info_sent"))
    sub = event(actions, "eob", "record an EOB with a payment", claims_eob, received=True)
    sub.add_argument("--paid", required=True, metavar="AMOUNT", help="what the plan paid")
    for name in ("allowed", "deductible", "coinsurance", "copay"):
        sub.add_argument(f"--{name}", metavar="AMOUNT")
    sub.add_argument(
        "--adjust",
        action="append",
        metavar="GROUP-CODE:AMOUNT[:REMARKS]",
        help="an adjustment line, like CO-45:120.00 or PR-2:40.00 (repeatable)",
    )
    kind = sub.add_mutually_exclusive_group()
    kind.add_argument("--full", action="store_true", help="paid in full (default: decided from the amounts)")
    kind.add_argument("--partial", action="store_true", help="partially paid")
    sub = event(actions, "deny", "record a denial", claims_deny, received=True)
    sub.add_argument("--allowed", metavar="AMOUNT")
    sub.add_argument(
        "--adjust",
        action="append",
        metavar="GROUP-CODE:AMOUNT[:REMARKS]",
        help="the denial's reason, like CO-50:1350.00:N130 (repeatable)",
    )
    sub = event(
        actions, "appeal", "file the next appeal, with a letter drafted from the record", claims_appeal
    )
    sub.add_argument("--level", help="the appeal level (default: the next one for this plan)")
    sub.add_argument("--letter", metavar="FILE.pdf", help="also save the letter here")
    sub.add_argument("--text", metavar="FILE.txt", help="the letter's text (paragraphs split by blank lines)")
    sub.add_argument("--no-letter", action="store_true", help="record the appeal without a letter")
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    sub = event(actions, "decision", "record the appeal's decision", claims_decision, received=True)
    outcome = sub.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--overturned", action="store_true", help="the denial was reversed")
    outcome.add_argument("--upheld", action="store_true", help="the denial stands")
    event(
        actions, "external-review", "record a request for external review", _simple("external_review_filed")
    )
    sub = event(actions, "close", "close the claim", claims_close)
    sub.add_argument("--reason", required=True, help="paid_in_full, written_off or abandoned")
    event(actions, "note", "keep a note (a call, a letter) on the timeline", claims_note)
    sub = command(
        "letter-save",
        "save a copy of an issued appeal letter (readable by you only)",
        claims_letter_save,
        actions,
    )
    sub.add_argument("id", metavar="LETTER_ID")
    sub.add_argument("file", metavar="FILE.pdf")
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    sub = command("attach", "keep a PDF or image with the claim", claims_attach, actions)
    sub.add_argument("id", metavar="CLAIM")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--description")

    sub = command("due", "what to do now: deadlines overdue and coming (for scripts and cron)", due)
    sub.add_argument("--within", metavar="DAYS", help="how far ahead (default 30)")
    sub.add_argument("--json", action="store_true")
    sub = command("calendar", "export every open deadline as an iCalendar file with alarms", calendar_export)
    sub.add_argument("file", metavar="FILE.ics")

    actions = group("auths", "prior authorizations")
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

    actions = group("rules", "a payer's filing, appeal and follow-up rules")
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

    actions = group("reason-codes", "claim adjustment reason (CARC) and remark (RARC) codes")
    sub = command("list", "list the codes with their meaning in plain words", reason_codes_list, actions)
    sub.add_argument("--json", action="store_true")
    sub = command("add", "add a code you met (or re-describe one)", reason_codes_add, actions)
    sub.add_argument("code")
    sub.add_argument("--kind", required=True, help="carc or rarc")
    sub.add_argument("--description", required=True)
