"""What a claim's events say, copied onto the claim row: its state, money and next deadline.

The events are the truth. Every write of the claims use cases ends in ``refresh``, the one place that
folds a claim's events (``kettrack.core.claim_states``) and derives its deadlines
(``kettrack.core.claim_deadlines``) into the columns the tables sort on. After an EOB or a denial the
next step is what its denial triage says (``kettrack.core.denial_triage``): the patient's balance, a
corrected claim, a duplicate check, or an appeal and what it argues.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from kettrack.core.claim_deadlines import claim_deadlines, next_step, reading_of, status_of
from kettrack.core.claim_states import ClaimState, EventKind, Status
from kettrack.core.claims import ZERO, ClaimEvent, NextStep, money_of
from kettrack.core.deadlines import DeadlineKind, PayerRules
from kettrack.core.denial_triage import TriageContext
from kettrack.store.claim_records import load_events, payer_rules, service_dates
from kettrack.store.models import Claim
from kettrack.store.triage_context import triage_context

__all__ = ["current_status", "derive", "next_trigger", "refresh"]


def current_status(session: Session, claim: Claim) -> Status:
    """The claim's status as its recorded events make it."""
    return status_of(load_events(session, [claim.id])[claim.id])


def refresh(session: Session, claim: Claim, today: date) -> None:
    """Copy what the events say (state, money, next deadline) onto the claim row."""
    events = load_events(session, [claim.id])[claim.id]
    rules = payer_rules(session, claim.payer_id)
    dates = service_dates(session, claim.id)
    derived = derive(rules, claim, events, dates, today, triage_context(session, claim, dates))
    for name, value in derived.items():
        setattr(claim, name, value)


def derive(
    rules: PayerRules,
    claim: Claim,
    events: list[ClaimEvent],
    service_dates: list[date],
    today: date,
    context: TriageContext | None = None,
) -> dict[str, object]:
    """The claim row's derived columns, by name, as ``events`` make them on ``today``; ``context`` is
    what the triage of its latest decision needs beyond the events (who files, the authorizations on
    file), read by ``refresh``; without it, who filed is the claim's own and no authorization is known."""
    status = status_of(events)
    money = money_of(claim.billed, events)
    if context is None:
        context = TriageContext(filer=getattr(claim, "filer", None), service_dates=tuple(service_dates))
    reading = reading_of(events, claim.billed, context)
    step = next_step(claim_deadlines(rules, service_dates, events, today, reading))
    return {
        "state": status.state,
        "closed": status.state is ClaimState.CLOSED,
        "appeal_level": status.appeal_level,
        "outcome": status.outcome.value if status.outcome else None,
        "close_reason": status.close_reason,
        "paid": money.paid,
        "outstanding": ZERO if status.state is ClaimState.CLOSED else money.outstanding,
        "event_count": len(events),
        "next_due": step.due if step else None,
        "next_kind": step.kind if step else None,
        "next_action": step.action[:200] if step else "",
        "next_trigger": next_trigger(step, events),
        "next_confirmed": step.confirmed if step else True,
    }


def next_trigger(step: NextStep | None, events: list[ClaimEvent]) -> date | None:
    """The date a follow-up counts "no answer for N days" from: the submission (or filing)."""
    if step is None or step.kind is not DeadlineKind.FOLLOW_UP:
        return None
    for event in reversed(events):
        if event.kind in (EventKind.SUBMITTED, EventKind.APPEAL_FILED, EventKind.EXTERNAL_REVIEW_FILED):
            return event.on
    return None
