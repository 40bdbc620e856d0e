"""The claim state machine: every legal transition, illegal ones refused with a reason, and the
current state always equal to the one derived from the events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kettrack.core.claim_states import (
    ALLOWED,
    ClaimState,
    CloseReason,
    EventKind,
    IllegalTransition,
    Outcome,
    Status,
    Transition,
    apply,
    derive,
)

S, E = ClaimState, EventKind

# A history that reaches each state (so each can be tested from a real position).
REACH: dict[ClaimState, list[Transition]] = {
    S.DRAFT: [],
    S.SUBMITTED: [Transition(E.SUBMITTED)],
    S.ACKNOWLEDGED: [Transition(E.SUBMITTED), Transition(E.ACKNOWLEDGED)],
    S.INFO_REQUESTED: [Transition(E.SUBMITTED), Transition(E.INFO_REQUESTED)],
    S.PAID: [Transition(E.SUBMITTED), Transition(E.PAID)],
    S.PARTIALLY_PAID: [Transition(E.SUBMITTED), Transition(E.PARTIALLY_PAID)],
    S.DENIED: [Transition(E.SUBMITTED), Transition(E.DENIED)],
    S.APPEAL_FILED: [Transition(E.SUBMITTED), Transition(E.DENIED), Transition(E.APPEAL_FILED, "internal")],
    S.APPEAL_DECIDED: [
        Transition(E.SUBMITTED),
        Transition(E.DENIED),
        Transition(E.APPEAL_FILED, "internal"),
        Transition(E.APPEAL_UPHELD),
    ],
    S.EXTERNAL_REVIEW: [
        Transition(E.SUBMITTED),
        Transition(E.DENIED),
        Transition(E.APPEAL_FILED, "internal"),
        Transition(E.APPEAL_UPHELD),
        Transition(E.EXTERNAL_REVIEW_FILED),
    ],
    S.CLOSED: [
        Transition(E.SUBMITTED),
        Transition(E.DENIED),
        Transition(E.CLOSED, close_reason=CloseReason.WRITTEN_OFF),
    ],
}


def _event(kind: EventKind, state: ClaimState) -> Transition:
    if kind is E.APPEAL_FILED:
        return Transition(kind, appeal_level="reconsideration")
    if kind is E.CLOSED:
        reason = CloseReason.PAID_IN_FULL if state is S.PAID else CloseReason.ABANDONED
        return Transition(kind, close_reason=reason)
    return Transition(kind)


LEGAL = [(state, kind) for state, moves in ALLOWED.items() for kind in moves]


def test_every_state_is_reachable() -> None:
    for state, history in REACH.items():
        assert derive(history).state is state


@pytest.mark.parametrize(("state", "kind"), LEGAL)
def test_every_legal_transition(state: ClaimState, kind: EventKind) -> None:
    before = derive(REACH[state])
    after = apply(before, _event(kind, state))
    expected = ALLOWED[state][kind]
    if expected is not None:
        assert after.state is expected
    assert derive([*REACH[state], _event(kind, state)]) == after


ILLEGAL = [
    (S.DRAFT, E.PAID),
    (S.DRAFT, E.DENIED),
    (S.DRAFT, E.APPEAL_FILED),
    (S.SUBMITTED, E.APPEAL_FILED),
    (S.SUBMITTED, E.SUBMITTED),
    (S.PAID, E.DENIED),
    (S.PAID, E.APPEAL_FILED),
    (S.DENIED, E.PAID),
    (S.CLOSED, E.SUBMITTED),
    (S.CLOSED, E.PAID),
    (S.APPEAL_FILED, E.APPEAL_FILED),
    (S.EXTERNAL_REVIEW, E.EXTERNAL_REVIEW_FILED),
    (S.ACKNOWLEDGED, E.INFO_SENT),
]


@pytest.mark.parametrize(("state", "kind"), ILLEGAL)
def test_illegal_transitions_are_refused_with_a_reason(state: ClaimState, kind: EventKind) -> None:
    with pytest.raises(IllegalTransition, match="Cannot record"):
        apply(derive(REACH[state]), _event(kind, state))


def test_guarded_transitions() -> None:
    denied = derive(REACH[S.DENIED])
    with pytest.raises(IllegalTransition, match="level"):
        apply(denied, Transition(E.APPEAL_FILED))
    with pytest.raises(IllegalTransition, match="why"):
        apply(denied, Transition(E.CLOSED))
    with pytest.raises(IllegalTransition, match="paid in full"):
        apply(denied, Transition(E.CLOSED, close_reason=CloseReason.PAID_IN_FULL))
    overturned = apply(derive(REACH[S.APPEAL_FILED]), Transition(E.APPEAL_OVERTURNED))
    assert overturned.outcome is Outcome.OVERTURNED
    with pytest.raises(IllegalTransition, match="overturned"):
        apply(overturned, Transition(E.APPEAL_FILED, "reconsideration"))
    with pytest.raises(IllegalTransition, match="External review"):
        apply(overturned, Transition(E.EXTERNAL_REVIEW_FILED))


def test_notes_change_nothing() -> None:
    status = derive(REACH[S.APPEAL_FILED])
    assert apply(status, Transition(E.NOTE)) == status
    assert status.describe() == "Appeal filed (internal)"


def test_the_whole_road_from_submission_to_payment() -> None:
    road = [
        Transition(E.SUBMITTED),
        Transition(E.ACKNOWLEDGED),
        Transition(E.DENIED),
        Transition(E.APPEAL_FILED, "internal"),
        Transition(E.APPEAL_OVERTURNED),
        Transition(E.PAID),
        Transition(E.CLOSED, close_reason=CloseReason.PAID_IN_FULL),
    ]
    assert derive(road) == Status(S.CLOSED, close_reason=CloseReason.PAID_IN_FULL)


@given(st.lists(st.sampled_from(list(EventKind)), max_size=25))
def test_incremental_status_always_equals_the_derived_one(kinds: list[EventKind]) -> None:
    history: list[Transition] = []
    status = Status()
    for kind in kinds:
        event = _event(kind, status.state)
        try:
            status = apply(status, event)
        except IllegalTransition:
            continue  # refused events are not recorded
        history.append(event)
        assert derive(history) == status
