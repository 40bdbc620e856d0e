"""A claim's events as they are recorded: each checked against the claim and its history (dates in
order, sensible money, a legal transition, an appeal level the payer has), then appended, with its
adjustment lines, as the claim's next event. The events are append-only; a claim someone else
changed meanwhile is refused (``ClaimChanged``), never merged.
"""

from __future__ import annotations

import getpass
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kettrack.core.claim_deadlines import check_appeal_level
from kettrack.core.claim_states import EventKind, IllegalTransition, apply
from kettrack.core.claims import DECISION_EVENTS, NewEvent
from kettrack.core.money import MAX_AMOUNT
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.reason_codes import check_carc, check_remarks
from kettrack.core.validation import plausible_date_problem, text_problem
from kettrack.services.claim_derivation import current_status
from kettrack.store.claim_records import payer_rules
from kettrack.store.models import Claim, ClaimAdjustmentEntry, ClaimEventEntry

__all__ = ["ClaimChanged", "actor", "append_event", "check_event", "money_problems"]


class ClaimChanged(InvalidInput):
    """Someone (another desk) recorded an event on the claim since it was read; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            [Problem("claim", "someone else recorded an event on this claim meanwhile: look again")]
        )


def actor() -> str:
    """Who records: the user name of this session."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a container): still record the change
        return "unknown"


def check_event(session: Session, claim: Claim, event: NewEvent, today: date) -> NewEvent:
    """``event`` cleaned (reason codes normalised) if it may be recorded on ``claim`` now; else
    InvalidInput listing every problem."""
    problems: list[Problem] = []
    if event.on > today:
        problems.append(Problem("date", "this date is in the future"))
    elif problem := plausible_date_problem(event.on, today):
        problems.append(Problem("date", problem))
    if event.received_on is not None and (problem := plausible_date_problem(event.received_on, today)):
        problems.append(Problem("received_on", problem))
    if event.on < claim.first_service and event.kind is not EventKind.NOTE:
        problems.append(Problem("date", f"this is before the first date of service ({claim.first_service})"))
    last = session.scalar(
        select(func.max(ClaimEventEntry.business_date)).where(
            ClaimEventEntry.claim_id == claim.id, ClaimEventEntry.kind != EventKind.NOTE
        )
    )
    if last is not None and event.on < last and event.kind is not EventKind.NOTE:
        problems.append(Problem("date", f"the claim's last event is dated {last}: events go in order"))
    if event.received_on is not None:
        if event.received_on < event.on:
            problems.append(Problem("received_on", "a letter cannot arrive before the date printed on it"))
        elif event.received_on > today:
            problems.append(Problem("received_on", "this date is in the future"))
    if problem := text_problem(event.note, max_len=4000, multiline=True):
        problems.append(Problem("note", problem))
    if problem := text_problem(event.payer_claim_number, max_len=50):
        problems.append(Problem("payer_claim_number", problem))
    problems += money_problems(claim, event)
    status = current_status(session, claim)
    if event.kind is EventKind.APPEAL_FILED and event.appeal_level:
        reason = check_appeal_level(payer_rules(session, claim.payer_id), status, event.appeal_level)
        if reason:
            problems.append(Problem("level", reason))
    try:
        apply(status, event.transition())
    except IllegalTransition as exc:
        problems.append(Problem("event", str(exc)))
    if problems:
        raise InvalidInput(problems)
    adjustments = tuple(
        replace(a, reason=check_carc(a.reason), remarks=check_remarks(a.remarks)) for a in event.adjustments
    )
    return replace(event, adjustments=adjustments)


def money_problems(claim: Claim, event: NewEvent) -> list[Problem]:
    """What is wrong with the amounts and adjustment lines ``event`` records on ``claim``."""
    problems: list[Problem] = []
    amounts = event.amounts
    for name in ("allowed", "paid", "deductible", "coinsurance", "copay"):
        value: Decimal | None = getattr(amounts, name)
        if value is None:
            continue
        if value < 0:
            problems.append(Problem(name, "cannot be negative"))
        elif value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
            problems.append(Problem(name, "is not a sensible amount"))
    if amounts.paid is not None and amounts.paid > claim.billed:
        problems.append(Problem("paid", f"is more than was billed ({claim.billed})"))
    if amounts.allowed is not None and amounts.allowed > claim.billed:
        problems.append(Problem("allowed", f"is more than was billed ({claim.billed})"))
    if event.kind is EventKind.PAID or event.kind is EventKind.PARTIALLY_PAID:
        if amounts.paid is None:
            problems.append(Problem("paid", "say how much the plan paid"))
        elif amounts.paid == 0:
            problems.append(Problem("paid", "nothing paid: record a denial instead"))
    if not amounts.is_empty() and event.kind not in DECISION_EVENTS:
        problems.append(Problem("amounts", "amounts go with a payment or a denial (an EOB)"))
    if len(event.adjustments) > 20:
        problems.append(Problem("adjustments", "at most 20 adjustment lines"))
    for adjustment in event.adjustments:
        if abs(adjustment.amount) > MAX_AMOUNT:
            problems.append(
                Problem("adjustments", f"adjustment {adjustment.reason} is not a sensible amount")
            )
    return problems


def append_event(session: Session, claim: Claim, event: NewEvent, count: int) -> int:
    """Add ``event`` as the claim's event number ``count + 1`` (ClaimChanged if another desk took that
    number meanwhile) with its adjustment lines; returns the event's id."""
    row = ClaimEventEntry(
        claim_id=claim.id,
        sequence=count + 1,
        kind=event.kind,
        business_date=event.on,
        received_on=event.received_on,
        recorded_by=actor(),
        note=event.note,
        appeal_level=event.appeal_level,
        close_reason=event.close_reason,
        payer_claim_number=event.payer_claim_number,
        method=event.method,
        allowed=event.amounts.allowed,
        paid=event.amounts.paid,
        deductible=event.amounts.deductible,
        coinsurance=event.amounts.coinsurance,
        copay=event.amounts.copay,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ClaimChanged() from exc
    for position, adjustment in enumerate(event.adjustments):
        session.add(
            ClaimAdjustmentEntry(
                event_id=row.id,
                position=position,
                group_code=adjustment.group,
                reason=adjustment.reason,
                remarks=adjustment.remarks,
                amount=adjustment.amount,
            )
        )
    if event.payer_claim_number:
        claim.payer_claim_number = event.payer_claim_number
    if event.method is not None:
        claim.method = event.method
    claim.event_count = count + 1
    return row.id
