"""Claim commands: create a claim from an issued superbill, list claims (as a table, JSON or a
spreadsheet-safe CSV) and show one with its lines, timeline, money, deadlines and what the payer's
latest notice says with the next step it leads to (the denial triage). What happens to a
claim afterwards (submitted, paid, denied, appealed, ...) is recorded by :mod:`kettrack.cli.claim_events`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli import claim_events
from kettrack.cli.kit import (
    DatabaseOptions,
    UsageError,
    Values,
    WithWorkspace,
    action_group,
    claim_id,
    command_maker,
    iso,
    money,
    print_json,
    print_list,
    table,
)

if TYPE_CHECKING:
    from kettrack.core.claims import ClaimRow
    from kettrack.services.workspace import Workspace


def claims_create(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import Filer, NewClaim, SubmitMethod
    from kettrack.core.enums import CoverageRank
    from kettrack.core.problems import InvalidInput

    v = Values()
    superbill = v.record_id(args.superbill, "superbill")
    coverage = v.record_id(args.coverage, "coverage")
    filer = v.choice(Filer, args.filer, "filer", Filer.PATIENT)
    method = v.choice(SubmitMethod, args.method, "method", SubmitMethod.MAIL)
    v.done()
    replaces = claim_id(args.replaces) if args.replaces else None
    primary = claim_id(args.secondary_of) if args.secondary_of else None
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
        f"claim {row.number} (id {row.id}) created: {money(row.billed)} to {row.payer_name}; "
        f"next: {row.next_action} by {iso(row.next_due)}"
    )
    return 0


def claims_list(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claim_states import ClaimState
    from kettrack.core.claims import ClaimFilter

    v = Values()
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
    return print_list(
        args,
        rows,
        ["ID", "Number", "Patient", "Payer", "Status", "Billed", "Paid", "Outstanding", "Next", "To do"],
        lambda r: [
            r.id,
            r.number,
            r.patient_name,
            r.payer_name,
            r.status_text,
            money(r.billed),
            money(r.paid),
            money(r.outstanding),
            iso(r.next_due),
            r.next_action,
        ],
        "claims",
        right=[0, 5, 6, 7],
    )


def _write_csv(path: Path, rows: list[ClaimRow], force: bool) -> None:
    import csv
    import io

    from kettrack.core.csv_safety import neutralize
    from kettrack.services.saving import write_private

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
                    iso(r.first_service),
                    r.billed,
                    r.paid,
                    r.outstanding,
                    r.payer_claim_number,
                    iso(r.next_due),
                    r.next_action,
                )
            ]
        )
    write_private(path, buffer.getvalue(), overwrite=force)


def claims_show(ws: Workspace, args: argparse.Namespace) -> int:
    detail = ws.claim_views.get(claim_id(args.id))
    if args.json:
        from kettrack.services.transfer import encode_record

        print_json(encode_record(detail))
        return 0
    row = detail.row
    print(f"{row.number}  {row.patient_name}  {row.payer_name} ({row.rank.value})  member {detail.member_id}")
    print(
        f"status: {row.status_text}"
        + (f"   payer's claim number: {row.payer_claim_number}" if row.payer_claim_number else "")
    )
    amounts = detail.money
    allowed = "-" if amounts.allowed is None else money(amounts.allowed)
    print(
        f"billed {money(amounts.billed)}  allowed {allowed}  "
        f"paid {money(amounts.paid)}  patient's share {money(amounts.patient_responsibility)}  "
        f"outstanding {money(row.outstanding)}"
    )
    if detail.triage is not None:
        # What the latest EOB or denial says and, until an appeal or a close follows, the next step
        # it leads to (the denial triage).
        from kettrack.core.claim_states import ClaimState

        print(f"the plan said: {detail.triage.explanation}")
        if row.state in (ClaimState.DENIED, ClaimState.PARTIALLY_PAID, ClaimState.PAID):
            print(f"next step: {detail.triage.next_step}")
    print()
    print(
        table(
            ["Date", "Code", "Mod", "Units", "Charge"],
            [
                [iso(line.service_date), line.code, line.modifiers, line.units, money(line.charge)]
                for line in detail.lines
            ],
            right=[3, 4],
        )
    )
    print("\ntimeline:")
    for event in detail.events:
        extra = f" (received {iso(event.received_on)})" if event.received_on else ""
        paid = f" paid {money(event.amounts.paid)}" if event.amounts.paid is not None else ""
        print(
            f"  {iso(event.on)}  {event.describe()}{extra}{paid}" + (f" - {event.note}" if event.note else "")
        )
        for adjustment in event.adjustments:
            print(
                f"      {adjustment.group.value}-{adjustment.reason} {money(adjustment.amount)} "
                f"{adjustment.remarks}"
            )
        for attachment in event.attachments:
            print(f"      attached: {attachment.original_name}")
    if detail.deadlines:
        print("\ndeadlines:")
        for deadline in detail.deadlines:
            print(f"  {iso(deadline.due)}  {deadline.action}\n      {deadline.explain()}")
    for letter in detail.letters:
        print(f"\nappeal letter {letter.number} ({letter.level}) issued {letter.issued_at:%Y-%m-%d}")
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)
    actions = action_group(commands, "claims", "insurance claims: create, record what happens, list")
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
    claim_events.add_actions(actions, command)
