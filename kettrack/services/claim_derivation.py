"""What a claim's events say, copied onto the claim row: its state, money and next deadline.

The events are the truth. Every write of the claims use cases ends in ``refresh``, the one place that
folds a claim's events (``kettrack.core.claim_states``) and derives its deadlines
(``kettrack.core.claim_deadlines``) into the columns the tables sort on. After an EOB or a denial the
next step is what its denial triage says (``kettrack.core.denial_triage``): the patient's balance, a
corrected claim, a duplicate check, or an appeal and what it argues.

That next step also depends on things outside the claim's events: the user's role, the prior
authorizations on file, and the version of this code that derived it. ``rederive_in`` re-derives many
claims at once (read and written in sets, ``kettrack.store.derivation_inputs``) when one of those
changes: after an upgrade (``DERIVATION`` below, kept in the database once every claim is derived by
it), when the role changes and when an authorization is added or linked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from kettrack.core.claim_deadlines import claim_deadlines, next_step, reading_of, status_of
from kettrack.core.claim_states import ClaimState, EventKind, IllegalTransition, Status
from kettrack.core.claims import ZERO, ClaimEvent, NextStep, money_of
from kettrack.core.deadlines import DeadlineKind, PayerRules
from kettrack.core.denial_triage import TriageContext
from kettrack.core.enums import UserRole
from kettrack.store.claim_records import (
    bulk_allocation,
    load_event_sets,
    load_events,
    payer_rules,
    service_dates,
)
from kettrack.store.derivation_inputs import (
    TriageContexts,
    claims_to_derive,
    service_dates_by_claim,
    write_derived,
)
from kettrack.store.models import Claim
from kettrack.store.triage_context import triage_context

__all__ = ["DERIVATION", "current_status", "derive", "next_trigger", "refresh", "rederive_in"]

# The version of what ``derive`` stores for the same events and context. Raise it whenever that changes
# (new rules, new wording of a next step): every claim of a database opened afterwards is re-derived
# once (kettrack.services.claims.ClaimService.rederive_if_outdated). "2": the denial triage (issue 11).
DERIVATION = "2"


_TRIAGED = frozenset({ClaimState.DENIED, ClaimState.PARTIALLY_PAID, ClaimState.PAID})


class Billed(Protocol):
    """What ``derive`` reads of a claim (the ORM row has it)."""

    @property
    def billed(self) -> Decimal: ...


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
    claim: Billed,
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
    # Only these states' deadlines read the triage (kettrack.core.claim_deadlines): the others, nine in
    # ten claims of a desk's history (closed long ago), skip it.
    reading = reading_of(events, claim.billed, context) if status.state in _TRIAGED else None
    closed = status.state is ClaimState.CLOSED  # a closed claim has no deadline
    step = None if closed else next_step(claim_deadlines(rules, service_dates, events, today, reading))
    return {
        "state": status.state,
        "closed": closed,
        "appeal_level": status.appeal_level,
        "outcome": status.outcome.value if status.outcome else None,
        "close_reason": status.close_reason,
        "paid": money.paid,
        "outstanding": ZERO if closed else money.outstanding,
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


def rederive_in(
    session: Session,
    today: date,
    *,
    claim_ids: Sequence[int] | None = None,
    patient_id: int | None = None,
    open_only: bool = True,
    role: UserRole | None = None,
) -> int:
    """Re-derive, in the caller's unit of work, the claims named (or all), of one patient when
    ``patient_id`` is given, open ones only unless ``open_only`` is False; ``role`` when the caller
    has just set it. Read and written in sets (100,000 claims in seconds: see tests/bench); only the
    claims whose columns change are written. Returns how many claims were derived."""
    with bulk_allocation():
        return _rederive(session, today, claim_ids, patient_id, open_only, role)


def _rederive(
    session: Session,
    today: date,
    claim_ids: Sequence[int] | None,
    patient_id: int | None,
    open_only: bool,
    role: UserRole | None,
) -> int:
    claims = claims_to_derive(session, claim_ids=claim_ids, patient_id=patient_id, open_only=open_only)
    if not claims:
        return 0
    ids = [c.id for c in claims]
    every = claim_ids is None and patient_id is None and not open_only
    histories: dict[int, list[ClaimEvent]] = {}
    if every:
        histories = load_event_sets(session)
    else:
        for start in range(0, len(ids), 5_000):
            histories.update(load_event_sets(session, ids[start : start + 5_000]))
    dates = service_dates_by_claim(session, ids, every=every)
    contexts = TriageContexts(session, role=role)
    rules: dict[int, PayerRules] = {}
    changed: list[dict[str, Any]] = []
    for claim in claims:
        payer_rules_of = rules.get(claim.payer_id)
        if payer_rules_of is None:
            payer_rules_of = rules[claim.payer_id] = payer_rules(session, claim.payer_id)
        history, on = histories.get(claim.id, []), dates[claim.id]
        try:
            derived = derive(payer_rules_of, claim, history, on, today, contexts.of(claim, on))
        except IllegalTransition:
            continue  # impossible events: left as stored, for ``kettrack check`` to report
        if any(claim.stored.get(name) != value for name, value in derived.items()):
            changed.append({"id": claim.id, **derived})
    write_derived(session, changed)
    return len(claims)
