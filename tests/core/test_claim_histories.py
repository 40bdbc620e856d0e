"""Deadlines derived from whole claim histories, for every payer kind in the billing reference; each
row cites the rule it checks. Then properties over random legal histories: no deadline lies before
the event that triggered it, and deriving never depends on more than the events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kettrack.core.claim_deadlines import check_appeal_level, claim_deadlines, next_step, status_of
from kettrack.core.claim_states import ALLOWED, ClaimState, CloseReason, EventKind, IllegalTransition, apply
from kettrack.core.claim_states import Status as ClaimStatus
from kettrack.core.deadlines import DEFAULT_RULES, DeadlineKind, MonthEnd, Period, Unit
from kettrack.core.enums import PayerKind as K
from kettrack.core.payer_rules import RuleOverrides, check_overrides, effective_rules, parse_period
from kettrack.core.problems import InvalidInput

E = EventKind
TODAY = date(2026, 11, 23)


@dataclass(frozen=True)
class Ev:
    kind: EventKind
    on: date
    received_on: date | None = None
    appeal_level: str | None = None
    close_reason: CloseReason | None = None


def _first(kind: K, service: date, events: list[Ev]) -> tuple[date, str, str]:
    deadlines = claim_deadlines(DEFAULT_RULES[kind], [service], events, TODAY)
    step = next_step(deadlines)
    assert step is not None
    return step.due, step.action, step.explanation


HISTORIES = [
    # kind, service, events, due, action starts, source in the explanation
    (K.ORIGINAL_MEDICARE, date(2024, 2, 29), [], date(2025, 2, 28), "File the claim", "42 CFR 424.44"),
    (K.COMMERCIAL, date(2026, 11, 1), [], date(2027, 1, 30), "File the claim", "90 until confirmed"),
    (K.VA_COMMUNITY_CARE, date(2026, 1, 1), [], date(2026, 6, 30), "File the claim", "38 CFR 17.4020(c)"),
    (K.MEDICAID, date(2028, 2, 29), [], date(2029, 2, 28), "File the claim", "42 CFR 447.45(d)"),
    # Medicare redetermination: 120 days from receipt, presumed 5 days after the notice date.
    (
        K.ORIGINAL_MEDICARE,
        date(2026, 3, 2),
        [Ev(E.SUBMITTED, date(2026, 3, 5)), Ev(E.DENIED, date(2026, 4, 1))],
        date(2026, 8, 4),
        "File a redetermination with Medicare",
        "42 CFR 405.942",
    ),
    # ... and from the real day when the person recorded it (later than the presumption).
    (
        K.ORIGINAL_MEDICARE,
        date(2026, 3, 2),
        [Ev(E.SUBMITTED, date(2026, 3, 5)), Ev(E.DENIED, date(2026, 4, 1), received_on=date(2026, 4, 20))],
        date(2026, 8, 18),
        "File a redetermination with Medicare",
        "42 CFR 405.942",
    ),
    # QIC reconsideration after an upheld redetermination: 180 days from receipt (+5 presumed).
    (
        K.ORIGINAL_MEDICARE,
        date(2026, 1, 5),
        [
            Ev(E.SUBMITTED, date(2026, 1, 6)),
            Ev(E.DENIED, date(2026, 2, 1)),
            Ev(E.APPEAL_FILED, date(2026, 3, 1), appeal_level="redetermination"),
            Ev(E.APPEAL_UPHELD, date(2026, 4, 10)),
        ],
        date(2026, 10, 12),
        "Ask the QIC for a reconsideration",
        "42 CFR 405.962",
    ),
    # Medicare Advantage reconsideration counts from the notice date, not from receipt.
    (
        K.MEDICARE_ADVANTAGE,
        date(2026, 5, 1),
        [Ev(E.SUBMITTED, date(2026, 5, 2)), Ev(E.DENIED, date(2026, 6, 1), received_on=date(2026, 6, 15))],
        date(2026, 7, 31),
        "Ask the plan for a reconsideration",
        "42 CFR 422.582",
    ),
    # ... and an upheld reconsideration goes to the IRE by itself: chase it, don't file it.
    (
        K.MEDICARE_ADVANTAGE,
        date(2026, 5, 1),
        [
            Ev(E.SUBMITTED, date(2026, 5, 2)),
            Ev(E.DENIED, date(2026, 6, 1)),
            Ev(E.APPEAL_FILED, date(2026, 6, 20), appeal_level="reconsideration"),
            Ev(E.APPEAL_UPHELD, date(2026, 8, 1)),
        ],
        date(2026, 8, 31),
        "Check that the plan sent the case to the Independent Review Entity",
        "42 CFR 422.592",
    ),
    (
        K.MEDICAID,
        date(2026, 5, 1),
        [Ev(E.SUBMITTED, date(2026, 5, 2)), Ev(E.DENIED, date(2026, 6, 1))],
        date(2026, 8, 30),
        "Request a state fair hearing",
        "42 CFR 431.221(d)",
    ),
    (
        K.MEDICAID_MANAGED_CARE,
        date(2026, 5, 1),
        [Ev(E.SUBMITTED, date(2026, 5, 2)), Ev(E.DENIED, date(2026, 6, 1))],
        date(2026, 7, 31),
        "File an appeal with the Medicaid plan",
        "42 CFR 438.402(c)(2)(ii)",
    ),
    (
        K.MEDICAID_MANAGED_CARE,
        date(2026, 5, 1),
        [
            Ev(E.SUBMITTED, date(2026, 5, 2)),
            Ev(E.DENIED, date(2026, 6, 1)),
            Ev(E.APPEAL_FILED, date(2026, 6, 10), appeal_level="plan_appeal"),
            Ev(E.APPEAL_UPHELD, date(2026, 7, 1)),
        ],
        date(2026, 10, 29),
        "Request a state fair hearing",
        "42 CFR 438.408(f)(2)",
    ),
    (
        K.VA_COMMUNITY_CARE,
        date(2026, 1, 10),
        [Ev(E.SUBMITTED, date(2026, 1, 12)), Ev(E.DENIED, date(2026, 2, 28))],
        date(2027, 2, 28),
        "Ask the VA to reconsider",
        "38 CFR 17.133",
    ),
    # ERISA internal appeal: 180 days from receipt of the denial.
    (
        K.EMPLOYER_PLAN,
        date(2026, 1, 10),
        [Ev(E.SUBMITTED, date(2026, 1, 12)), Ev(E.DENIED, date(2026, 2, 2), received_on=date(2026, 2, 9))],
        date(2026, 8, 8),
        "File an internal appeal with the plan",
        "29 CFR 2560.503-1",
    ),
    # External review: 4 months from the final internal denial; Aug 31 + 4 months is Dec 31.
    (
        K.COMMERCIAL,
        date(2026, 1, 10),
        [
            Ev(E.SUBMITTED, date(2026, 1, 12)),
            Ev(E.DENIED, date(2026, 2, 2)),
            Ev(E.APPEAL_FILED, date(2026, 3, 1), appeal_level="internal"),
            Ev(E.APPEAL_UPHELD, date(2026, 8, 31)),
        ],
        date(2026, 12, 31),
        "Request an external review",
        "45 CFR 147.136(d)",
    ),
    # ... Oct 31 + 4 months: February has no 31st, so the first day of the fifth month (DOL TR 2010-01).
    (
        K.COMMERCIAL,
        date(2026, 1, 10),
        [
            Ev(E.SUBMITTED, date(2026, 1, 12)),
            Ev(E.DENIED, date(2026, 2, 2)),
            Ev(E.APPEAL_FILED, date(2026, 3, 1), appeal_level="internal"),
            Ev(E.APPEAL_UPHELD, date(2026, 10, 31)),
        ],
        date(2027, 3, 1),
        "Request an external review",
        "DOL Technical Release 2010-01",
    ),
    # ... and across a leap day: Oct 29, 2027 + 4 months is Feb 29, 2028, which exists.
    (
        K.COMMERCIAL,
        date(2027, 1, 10),
        [
            Ev(E.SUBMITTED, date(2027, 1, 12)),
            Ev(E.DENIED, date(2027, 2, 2)),
            Ev(E.APPEAL_FILED, date(2027, 3, 1), appeal_level="internal"),
            Ev(E.APPEAL_UPHELD, date(2027, 10, 29)),
        ],
        date(2028, 2, 29),
        "Request an external review",
        "45 CFR 147.136(d)",
    ),
    # A claim sent and not answered: follow up 30 days after submission.
    (
        K.COMMERCIAL,
        date(2026, 9, 1),
        [Ev(E.SUBMITTED, date(2026, 9, 10))],
        date(2026, 10, 10),
        "Call the plan: no answer for",
        "kettrack default",
    ),
    # ... then 14 days after the last contact.
    (
        K.COMMERCIAL,
        date(2026, 9, 1),
        [Ev(E.SUBMITTED, date(2026, 9, 10)), Ev(E.NOTE, date(2026, 10, 20))],
        date(2026, 11, 3),
        "Call the plan: no answer for",
        "kettrack default",
    ),
    # An appeal filed: the plan owes a decision in 60 days (ERISA post-service appeals).
    (
        K.COMMERCIAL,
        date(2026, 9, 1),
        [
            Ev(E.SUBMITTED, date(2026, 9, 2)),
            Ev(E.DENIED, date(2026, 9, 20)),
            Ev(E.APPEAL_FILED, date(2026, 10, 1), appeal_level="internal"),
        ],
        date(2026, 11, 30),
        "Call the payer if there is no decision on the internal appeal",
        "29 CFR 2560.503-1",
    ),
    (
        K.COMMERCIAL,
        date(2026, 9, 1),
        [Ev(E.SUBMITTED, date(2026, 9, 2)), Ev(E.INFO_REQUESTED, date(2026, 9, 20))],
        date(2026, 10, 4),
        "Send the plan the information it asked for",
        "kettrack default",
    ),
    (
        K.TRICARE,
        date(2026, 9, 1),
        [Ev(E.SUBMITTED, date(2026, 9, 2)), Ev(E.DENIED, date(2026, 9, 20))],
        date(2026, 12, 19),
        "Ask TRICARE for a reconsideration",
        "32 CFR 199.10",
    ),
]


@pytest.mark.parametrize(("kind", "service", "events", "due", "action", "source"), HISTORIES)
def test_next_deadline_of_a_history(
    kind: K, service: date, events: list[Ev], due: date, action: str, source: str
) -> None:
    got_due, got_action, explanation = _first(kind, service, events)
    assert (got_due, got_action[: len(action)]) == (due, action), source
    assert source in explanation


def test_deadlines_are_never_moved_off_a_weekend() -> None:
    # 2026-08-08 is a Saturday: the rule's own date is shown, as billing.md says.
    due, _action, _ = _first(
        K.EMPLOYER_PLAN,
        date(2026, 1, 10),
        [Ev(E.SUBMITTED, date(2026, 1, 12)), Ev(E.DENIED, date(2026, 2, 2), received_on=date(2026, 2, 9))],
    )
    assert due == date(2026, 8, 8) and due.weekday() == 5


def test_a_received_date_before_the_notice_counts_as_the_presumption() -> None:
    events = [Ev(E.SUBMITTED, date(2026, 3, 5)), Ev(E.DENIED, date(2026, 4, 1), received_on=date(2026, 3, 1))]
    assert _first(K.ORIGINAL_MEDICARE, date(2026, 3, 2), events)[0] == date(2026, 8, 4)


def test_paid_and_closed_claims_have_no_deadline() -> None:
    paid = [Ev(E.SUBMITTED, date(2026, 9, 2)), Ev(E.PAID, date(2026, 9, 20))]
    assert claim_deadlines(DEFAULT_RULES[K.COMMERCIAL], [date(2026, 9, 1)], paid, TODAY) == []
    closed = [*paid, Ev(E.CLOSED, date(2026, 9, 21), close_reason=CloseReason.PAID_IN_FULL)]
    assert claim_deadlines(DEFAULT_RULES[K.COMMERCIAL], [date(2026, 9, 1)], closed, TODAY) == []


def test_rules_overridden_per_payer() -> None:
    overrides = check_overrides(
        K.COMMERCIAL,
        RuleOverrides(
            filing=parse_period("365 days", "filing"),
            filing_source="Member handbook p. 41",
            levels={"internal": parse_period("12 months", "internal")},
            follow_up_first_days=21,
        ),
    )
    rules = effective_rules(K.COMMERCIAL, overrides)
    assert rules.confirmed
    deadline = claim_deadlines(rules, [date(2026, 11, 1)], [], TODAY)[0]
    assert (deadline.due, deadline.confirmed) == (date(2027, 11, 1), True)
    assert "Member handbook p. 41" in deadline.explain() and "not yet confirmed" not in deadline.explain()
    denied = [Ev(E.SUBMITTED, date(2026, 1, 12)), Ev(E.DENIED, date(2026, 2, 2))]
    assert claim_deadlines(rules, [date(2026, 1, 10)], denied, TODAY)[0].due == date(2027, 2, 2)
    sent = [Ev(E.SUBMITTED, date(2026, 9, 10))]
    assert next_step(claim_deadlines(rules, [date(2026, 9, 1)], sent, TODAY)).due == date(2026, 10, 1)  # type: ignore[union-attr]
    # Unconfirmed defaults are marked; confirming them (no change) removes the mark.
    default = claim_deadlines(DEFAULT_RULES[K.COMMERCIAL], [date(2026, 11, 1)], [], TODAY)[0]
    assert not default.confirmed and "not yet confirmed" in default.explain()
    confirmed = effective_rules(K.COMMERCIAL, RuleOverrides(confirmed=True))
    assert claim_deadlines(confirmed, [date(2026, 11, 1)], [], TODAY)[0].confirmed


def test_overrides_are_checked_and_survive_json() -> None:
    with pytest.raises(InvalidInput, match="no appeal level 'redetermination'"):
        check_overrides(K.COMMERCIAL, RuleOverrides(levels={"redetermination": Period(30)}))
    with pytest.raises(InvalidInput, match="days or months"):
        parse_period("soon", "filing")
    with pytest.raises(InvalidInput, match="10 years"):
        parse_period("121 months", "filing")
    overrides = RuleOverrides(
        filing=Period(12, Unit.MONTHS),
        levels={"external": Period(4, Unit.MONTHS, MonthEnd.NEXT_FIRST)},
        presumed_receipt_days=3,
        confirmed=True,
        note="checked with the plan by phone",
    )
    assert RuleOverrides.from_json(overrides.to_json()) == overrides
    assert RuleOverrides.from_json("") == RuleOverrides()


def test_appeal_levels_go_in_order() -> None:
    rules = DEFAULT_RULES[K.COMMERCIAL]
    denied = ClaimStatus(ClaimState.DENIED)
    assert check_appeal_level(rules, denied, "internal") is None
    assert "levels go in order" in (check_appeal_level(rules, denied, "external") or "")
    assert "not an appeal level" in (check_appeal_level(rules, denied, "redetermination") or "")


# --- properties over random legal histories ------------------------------------------------------

_LEVELS = {kind: [r.key for r in DEFAULT_RULES[kind].levels] for kind in K}


@st.composite
def histories(draw: st.DrawFn) -> tuple[K, date, list[Ev]]:
    kind = draw(st.sampled_from(list(K)))
    service = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    day = service
    status = ClaimStatus()
    events: list[Ev] = []
    for _ in range(draw(st.integers(0, 10))):
        allowed = sorted(ALLOWED[status.state], key=lambda k: k.value) + [E.NOTE]
        kind_ = draw(st.sampled_from(allowed))
        day = day + timedelta(days=draw(st.integers(0, 90)))
        level = None
        if kind_ is E.APPEAL_FILED:
            rules = DEFAULT_RULES[kind]
            current = status.appeal_level if status.appeal_level in _LEVELS[kind] else None
            nxt = rules.next_level(current)
            if nxt is None:
                continue
            level = nxt.key
        reason = draw(st.sampled_from(list(CloseReason))) if kind_ is E.CLOSED else None
        received = day + timedelta(days=draw(st.integers(-3, 20))) if draw(st.booleans()) else None
        event = Ev(kind_, day, received, level, reason)
        try:
            status = apply(status, _transition(event))
        except IllegalTransition:
            continue
        events.append(event)
    return kind, service, events


def _transition(event: Ev):  # type: ignore[no-untyped-def]
    from kettrack.core.claim_states import Transition

    return Transition(event.kind, event.appeal_level, event.close_reason)


@settings(max_examples=300, deadline=None)
@given(histories(), st.dates(date(2020, 1, 1), date(2032, 12, 31)))
def test_no_deadline_lies_before_its_trigger(history: tuple[K, date, list[Ev]], today: date) -> None:
    kind, service, events = history
    for deadline in claim_deadlines(DEFAULT_RULES[kind], [service], events, today):
        assert deadline.due >= deadline.trigger, deadline
        assert deadline.due >= service
        assert deadline.rule and deadline.source


@settings(max_examples=200, deadline=None)
@given(histories())
def test_state_follows_from_the_events_alone(history: tuple[K, date, list[Ev]]) -> None:
    kind, service, events = history
    status = status_of(events)
    for cut in range(len(events) + 1):
        # Folding a prefix then the rest equals folding the whole: nothing depends on order of reading.
        partial = status_of(events[:cut])
        for event in events[cut:]:
            partial = apply(partial, _transition(event))
        assert partial == status
    if status.state is ClaimState.CLOSED or status.state is ClaimState.PAID:
        assert claim_deadlines(DEFAULT_RULES[kind], [service], events, TODAY) == []
    elif events:
        assert any(
            d.kind is not DeadlineKind.AUTH_EXPIRES
            for d in claim_deadlines(DEFAULT_RULES[kind], [service], events, TODAY)
        ) or status.state in (
            ClaimState.APPEAL_DECIDED,
            ClaimState.DENIED,
            ClaimState.PARTIALLY_PAID,
        )
