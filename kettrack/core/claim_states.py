"""Claim states and the events that move a claim between them.

A claim's history is an append-only list of events; its state is never edited, only derived by
folding the events through ``apply`` (Prefect's run-state history). The store copies the derived
state onto the claim row for fast queries and keeps the two equal in one service function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kettrack.core.enums import LabeledEnum


class ClaimState(LabeledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    INFO_REQUESTED = "info_requested"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    APPEAL_FILED = "appeal_filed"
    APPEAL_DECIDED = "appeal_decided"
    EXTERNAL_REVIEW = "external_review"
    CLOSED = "closed"


class EventKind(LabeledEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    INFO_REQUESTED = "info_requested"
    INFO_SENT = "info_sent"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    APPEAL_FILED = "appeal_filed"
    APPEAL_OVERTURNED = "appeal_overturned"
    APPEAL_UPHELD = "appeal_upheld"
    EXTERNAL_REVIEW_FILED = "external_review_filed"
    CLOSED = "closed"
    NOTE = "note"  # a call, a letter, anything worth keeping that changes nothing


class Outcome(StrEnum):
    OVERTURNED = "overturned"
    UPHELD = "upheld"


class CloseReason(LabeledEnum):
    PAID_IN_FULL = "paid_in_full"
    WRITTEN_OFF = "written_off"
    ABANDONED = "abandoned"
    REPLACED = "replaced"  # a corrected claim took its place


@dataclass(frozen=True)
class Status:
    """Where a claim stands: its state and, where it matters, the appeal level and outcome."""

    state: ClaimState = ClaimState.DRAFT
    appeal_level: str | None = None
    outcome: Outcome | None = None
    close_reason: CloseReason | None = None

    def describe(self) -> str:
        if self.state is ClaimState.APPEAL_FILED and self.appeal_level:
            return f"Appeal filed ({self.appeal_level.replace('_', ' ')})"
        if self.state is ClaimState.APPEAL_DECIDED and self.outcome:
            return f"Appeal {self.outcome.value}"
        if self.state is ClaimState.CLOSED and self.close_reason:
            return f"Closed: {self.close_reason.label.lower()}"
        return self.state.label


@dataclass(frozen=True)
class Transition:
    """An event as the state machine sees it."""

    kind: EventKind
    appeal_level: str | None = None
    close_reason: CloseReason | None = None


class TransitionFacts(Protocol):
    """What the state machine reads of an event: a Transition, and a recorded or new event alike."""

    @property
    def kind(self) -> EventKind: ...
    @property
    def appeal_level(self) -> str | None: ...
    @property
    def close_reason(self) -> CloseReason | None: ...


class IllegalTransition(ValueError):
    """An event that cannot happen to a claim in its current state; the message says why."""


S, E = ClaimState, EventKind
_PENDING = {S.SUBMITTED, S.ACKNOWLEDGED, S.INFO_REQUESTED}
_DECISIONS = {E.PAID: S.PAID, E.PARTIALLY_PAID: S.PARTIALLY_PAID, E.DENIED: S.DENIED}

# For each state, the events it accepts and the state each leads to (None: computed in apply()).
ALLOWED: dict[ClaimState, dict[EventKind, ClaimState | None]] = {
    S.DRAFT: {E.SUBMITTED: S.SUBMITTED, E.CLOSED: S.CLOSED},
    S.SUBMITTED: {
        E.ACKNOWLEDGED: S.ACKNOWLEDGED,
        E.INFO_REQUESTED: S.INFO_REQUESTED,
        **_DECISIONS,
        E.CLOSED: S.CLOSED,
    },
    S.ACKNOWLEDGED: {E.INFO_REQUESTED: S.INFO_REQUESTED, **_DECISIONS, E.CLOSED: S.CLOSED},
    S.INFO_REQUESTED: {E.INFO_SENT: S.ACKNOWLEDGED, **_DECISIONS, E.CLOSED: S.CLOSED},
    S.PAID: {E.CLOSED: S.CLOSED},
    S.PARTIALLY_PAID: {E.PAID: S.PAID, E.APPEAL_FILED: S.APPEAL_FILED, E.CLOSED: S.CLOSED},
    S.DENIED: {E.APPEAL_FILED: S.APPEAL_FILED, E.CLOSED: S.CLOSED},
    S.APPEAL_FILED: {
        E.APPEAL_OVERTURNED: S.APPEAL_DECIDED,
        E.APPEAL_UPHELD: S.APPEAL_DECIDED,
        E.INFO_REQUESTED: None,
        E.PAID: S.PAID,
        E.PARTIALLY_PAID: S.PARTIALLY_PAID,
        E.CLOSED: S.CLOSED,
    },
    S.APPEAL_DECIDED: {
        E.PAID: S.PAID,
        E.PARTIALLY_PAID: S.PARTIALLY_PAID,
        E.APPEAL_FILED: S.APPEAL_FILED,
        E.EXTERNAL_REVIEW_FILED: S.EXTERNAL_REVIEW,
        E.CLOSED: S.CLOSED,
    },
    S.EXTERNAL_REVIEW: {
        E.APPEAL_OVERTURNED: S.APPEAL_DECIDED,
        E.APPEAL_UPHELD: S.APPEAL_DECIDED,
        E.PAID: S.PAID,
        E.CLOSED: S.CLOSED,
    },
    S.CLOSED: {},
}

_WHY_NOT = {
    S.DRAFT: "the claim has not been submitted yet",
    S.CLOSED: "the claim is closed; record a corrected claim instead",
    S.PAID: "the claim is paid; close it, or record a corrected claim",
}


# A state with nothing more to say (no level, outcome or reason): one shared, frozen Status each, so
# folding a whole database's histories does not build a new one per event.
_PLAIN = {state: Status(state) for state in ClaimState}


def apply(status: Status, event: TransitionFacts) -> Status:
    """The status after ``event``, or IllegalTransition saying why it cannot happen now."""
    if event.kind is E.NOTE:
        return status
    allowed = ALLOWED[status.state]
    if event.kind not in allowed:
        reason = _WHY_NOT.get(
            status.state, f"a claim that is {status.describe().lower()} cannot be {event.kind.label.lower()}"
        )
        raise IllegalTransition(f"Cannot record '{event.kind.label}': {reason}")
    if event.kind is E.APPEAL_FILED:
        if not event.appeal_level:
            raise IllegalTransition("An appeal needs its level (for example 'internal' or 'redetermination')")
        if status.state is S.APPEAL_DECIDED and status.outcome is Outcome.OVERTURNED:
            raise IllegalTransition("The appeal was overturned: record the payment instead of another appeal")
        return Status(S.APPEAL_FILED, appeal_level=event.appeal_level)
    if event.kind is E.EXTERNAL_REVIEW_FILED:
        if status.outcome is not Outcome.UPHELD:
            raise IllegalTransition("External review follows an upheld internal appeal")
        return Status(S.EXTERNAL_REVIEW, appeal_level="external")
    if event.kind in (E.APPEAL_OVERTURNED, E.APPEAL_UPHELD):
        outcome = Outcome.OVERTURNED if event.kind is E.APPEAL_OVERTURNED else Outcome.UPHELD
        return Status(S.APPEAL_DECIDED, appeal_level=status.appeal_level, outcome=outcome)
    if event.kind is E.INFO_REQUESTED and status.state is S.APPEAL_FILED:
        return status  # the appeal stays open; the request shows on the timeline
    if event.kind is E.CLOSED:
        if event.close_reason is None:
            raise IllegalTransition(
                "Say why the claim is closed (paid in full, written off, abandoned, replaced)"
            )
        if event.close_reason is CloseReason.PAID_IN_FULL and status.state is not S.PAID:
            raise IllegalTransition("Only a paid claim can be closed as paid in full")
        return Status(S.CLOSED, close_reason=event.close_reason)
    target = allowed[event.kind]
    assert target is not None
    return _PLAIN[target]


def derive(events: Iterable[TransitionFacts]) -> Status:
    """The status a history of events leads to; raises IllegalTransition on an impossible history."""
    status = Status()
    for event in events:
        status = apply(status, event)
    return status


def is_open(state: ClaimState) -> bool:
    return state is not S.CLOSED
