"""What happens to a claim, one event at a time: submitted, acknowledged, information asked for and
sent, an EOB with its payment and adjustments, a denial, an appeal (with a letter drafted from the
record), the decision, external review, closing, a note; an event's files, and saving a copy of an
issued appeal letter. Each event carries its business date; the claim's state is derived from them.

Registered under ``kettrack claims`` by :mod:`kettrack.cli.claims`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.copies import copy_out, output_target
from kettrack.cli.kit import Handler, UsageError, Values, claim_id, iso
from kettrack.core.claim_states import EventKind

if TYPE_CHECKING:
    from kettrack.core.claims import Adjustment, NewEvent
    from kettrack.services.workspace import Workspace

_ADJUST = re.compile(r"^(CO|PR|OA|PI)-([A-Z0-9]{1,3}):([^:]+)(?::(.*))?$", re.IGNORECASE)


def _adjustments(v: Values, texts: list[str] | None) -> tuple[Adjustment, ...]:
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


def _record(ws: Workspace, args: argparse.Namespace, event: NewEvent, stated: EventKind | None = None) -> int:
    attachments = [(Path(p), "") for p in (getattr(args, "attach", None) or [])]
    claim = claim_id(args.id)
    ws.claims.record(claim, ws.claims.with_outcome(claim, event, stated=stated), attachments=attachments)
    row = ws.claim_views.row(claim)
    nxt = f"; next: {row.next_action} by {iso(row.next_due)}" if row.next_due else ""
    if not nxt and event.kind in (EventKind.PAID, EventKind.PARTIALLY_PAID, EventKind.DENIED):
        # Nothing dated to do after an EOB (a patient's own share, say): the triage says so in words.
        reading = ws.claim_views.get(claim).triage
        nxt = f"; {reading.next_step}" if reading is not None else ""
    print(f"{row.number}: {row.status_text}{nxt}")
    return 0


def _event(
    ws: Workspace, args: argparse.Namespace, kind_name: str, stated: EventKind | None = None, **extra: Any
) -> int:
    from kettrack.core.claims import NewEvent

    v = Values()
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
        stated,
    )


def claims_submit(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import SubmitMethod

    v = Values()
    method = v.choice(SubmitMethod, args.method, "method", None)
    v.done()
    return _event(ws, args, "submitted", method=method, payer_claim_number=args.payer_claim_number or "")


def _simple(kind: str) -> Handler:
    def handler(ws: Workspace, args: argparse.Namespace) -> int:
        return _event(ws, args, kind, payer_claim_number=getattr(args, "payer_claim_number", None) or "")

    return handler


def claims_eob(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.claims import EobAmounts

    v = Values()
    amounts = {
        name: (v.amount(getattr(args, name), name) if getattr(args, name) is not None else None)
        for name in ("paid", "allowed", "deductible", "coinsurance", "copay")
    }
    adjustments = _adjustments(v, args.adjust)
    v.done()
    stated = EventKind.PAID if args.full else EventKind.PARTIALLY_PAID if args.partial else None
    # Paid in full or partly: decided by the claims service (ClaimService.with_outcome), for the
    # window too; the command passes what was typed.
    return _event(ws, args, "paid", amounts=EobAmounts(**amounts), adjustments=adjustments, stated=stated)


def claims_deny(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    adjustments = _adjustments(v, args.adjust)
    allowed = v.amount(args.allowed, "allowed") if args.allowed else None
    v.done()
    from kettrack.core.claims import EobAmounts

    # What a denial records (paid 0.00) is decided by the claims service, with or without --allowed.
    return _event(ws, args, "denied", amounts=EobAmounts(allowed=allowed), adjustments=adjustments)


def claims_appeal(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    on = v.day(args.date, "date") if args.date else ws.today()
    v.done()
    assert on is not None
    claim = claim_id(args.id)
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
    output = output_target(args.letter, args.force, "letter.pdf")
    letter = ws.appeals.issue(
        claim, paragraphs, filed_on=on, note=args.note or "", no_claim_number=args.no_claim_number
    )
    where = copy_out(
        letter.number,
        ws.appeals.letter_pdf(letter.id),
        output,
        f"save it with: kettrack claims letter-save {letter.id} FILE.pdf",
    )
    row = ws.claim_views.row(claim)
    print(f"{row.number}: {row.status_text}; letter {letter.number} issued (id {letter.id}){where}")
    if row.next_due:
        print(f"next: {row.next_action} by {iso(row.next_due)}")
    return 0


def claims_letter_save(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
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

    v = Values()
    reason = v.choice(CloseReason, args.reason, "reason", None)
    v.done()
    return _event(ws, args, "closed", close_reason=reason)


def claims_note(ws: Workspace, args: argparse.Namespace) -> int:
    return _event(ws, args, "note", payer_claim_number=args.payer_claim_number or "")


def claims_attach(ws: Workspace, args: argparse.Namespace) -> int:
    info = ws.claims.attach(claim_id(args.id), Path(args.file), args.description or "")
    print(f"attached {info.original_name} ({info.media_type}, {info.size} bytes, sha256 {info.sha256[:12]}…)")
    return 0


def add_actions(actions: argparse._SubParsersAction[Any], command: Callable[..., Any]) -> None:
    """The event actions under ``claims``, made with ``claims``' own ``command`` maker."""

    def event(name: str, help_text: str, handler: Handler, *, received: bool = False) -> Any:
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

    sub = event("submit", "record that the claim was sent", claims_submit)
    sub.add_argument("--method", help="portal, mail, fax or clearinghouse")
    sub.add_argument("--payer-claim-number", help="the number the payer gave the claim")
    sub = event("acknowledge", "record that the payer confirmed receipt", _simple("acknowledged"))
    sub.add_argument("--payer-claim-number")
    event(
        "info-requested",
        "record that the payer asked for more information",
        _simple("info_requested"),
        received=True,
    )
    event("info-sent", "record that the information was sent", _simple("info_sent"))
    sub = event("eob", "record an EOB with a payment", claims_eob, received=True)
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
    sub = event("deny", "record a denial", claims_deny, received=True)
    sub.add_argument("--allowed", metavar="AMOUNT")
    sub.add_argument(
        "--adjust",
        action="append",
        metavar="GROUP-CODE:AMOUNT[:REMARKS]",
        help="the denial's reason, like CO-50:1350.00:N130 (repeatable)",
    )
    sub = event("appeal", "file the next appeal, with a letter drafted from the record", claims_appeal)
    sub.add_argument("--level", help="the appeal level (default: the next one for this plan)")
    sub.add_argument("--letter", metavar="FILE.pdf", help="also save the letter here")
    sub.add_argument("--text", metavar="FILE.txt", help="the letter's text (paragraphs split by blank lines)")
    sub.add_argument("--no-letter", action="store_true", help="record the appeal without a letter")
    sub.add_argument("--no-claim-number", action="store_true", help="confirm the payer gave no claim number")
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    sub = event("decision", "record the appeal's decision", claims_decision, received=True)
    outcome = sub.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--overturned", action="store_true", help="the denial was reversed")
    outcome.add_argument("--upheld", action="store_true", help="the denial stands")
    event("external-review", "record a request for external review", _simple("external_review_filed"))
    sub = event("close", "close the claim", claims_close)
    sub.add_argument("--reason", required=True, help="paid_in_full, written_off or abandoned")
    sub = event("note", "keep a note (a call, a letter) on the timeline", claims_note)
    sub.add_argument("--payer-claim-number", help="record the number the payer gave the claim (any time)")
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
