"""Every deadline that matters for one claim, derived from its events and its payer's rules.

Pure functions over plain data: the store calls them when an event is recorded (to keep the claim's
next step in a column the dashboard can sort on), the benchmark calls them for 100,000 claims, and
tests call them with hand-made histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple, Protocol

from kettrack.core.claim_states import ClaimState, CloseReason, EventKind, Outcome, Status, derive
from kettrack.core.claims import DECISION_EVENTS, NextStep
from kettrack.core.deadlines import (
    Deadline,
    DeadlineKind,
    LevelRule,
    PayerRules,
    appeal_deadline,
    decision_due,
    filing_deadline,
    next_follow_up,
)

INFO_ANSWER_DAYS = 14
# On the same day, the more specific thing to do comes first ("no answer for 45 days" over "no decision").
_PRIORITY = (
    DeadlineKind.APPEAL,
    DeadlineKind.FILE_CLAIM,
    DeadlineKind.FOLLOW_UP,
    DeadlineKind.DECISION_DUE,
    DeadlineKind.AUTH_EXPIRES,
)


class EventFact(NamedTuple):
    """Just what deadline derivation reads of an event: whole-database work (the calendar, the due
    list, 100,000 claims' deadlines) loads these instead of whole recorded events."""

    kind: EventKind
    on: date
    received_on: date | None
    appeal_level: str | None
    close_reason: CloseReason | None


class EventFacts(Protocol):
    """What deadline derivation needs of an event (ClaimEvent and NewEvent both have it)."""

    @property
    def kind(self) -> EventKind: ...
    @property
    def on(self) -> date: ...
    @property
    def received_on(self) -> date | None: ...
    @property
    def appeal_level(self) -> str | None: ...
    @property
    def close_reason(self) -> CloseReason | None: ...


def status_of(events: Sequence[EventFacts]) -> Status:
    # The events themselves are what the state machine reads (kind, level, reason): no copy of each.
    return derive(events)


def level_names(rules: PayerRules) -> list[str]:
    return [rule.key for rule in rules.levels]


def check_appeal_level(rules: PayerRules, status: Status, level: str) -> str | None:
    """Why ``level`` cannot be the appeal filed now (None: it can): levels go in the plan's order."""
    keys = level_names(rules)
    if level not in keys:
        return f"'{level}' is not an appeal level of this plan; its levels are: " + ", ".join(keys)
    current = status.appeal_level if status.appeal_level in keys else None
    expected = rules.next_level(current)
    if expected is None:
        return "every appeal level of this plan has been used"
    if level != expected.key:
        # Skipping is refused too: an external review needs the internal appeal's final denial, and
        # a missed level recorded afterwards (with its past date) keeps the timeline true.
        return f"the next level for this claim is '{expected.key}' ({expected.name}); levels go in order"
    return None


def _last(events: Sequence[EventFacts], kinds: frozenset[EventKind] | set[EventKind]) -> EventFacts | None:
    for event in reversed(events):
        if event.kind in kinds:
            return event
    return None


def _contact_after(events: Sequence[EventFacts], start: date) -> date | None:
    """The latest day the person or the payer did anything on the claim since ``start``."""
    days = [e.on for e in events if e.on >= start]
    return max(days) if days else None


def _appeal(rules: PayerRules, level: LevelRule | None, notice: EventFacts) -> list[Deadline]:
    if level is None:
        return []
    if level.automatic:
        # The plan sends the case on by itself (Medicare Advantage to the IRE): chase it, don't file it.
        return [
            Deadline(
                DeadlineKind.FOLLOW_UP,
                notice.on + timedelta(days=rules.follow_up_first_days),
                f"Check that the plan sent the case to the {level.name}",
                f"{level.name}: the plan forwards an upheld denial itself",
                level.source,
                notice.on,
                rules.confirmed,
            )
        ]
    return [appeal_deadline(rules, level, notice.on, notice.received_on)]


def claim_deadlines(
    rules: PayerRules, service_dates: Sequence[date], events: Sequence[EventFacts], today: date
) -> list[Deadline]:
    """The open deadlines of a claim, earliest first. A closed or paid claim has none."""
    status = status_of(events)
    state = status.state
    found: list[Deadline] = []
    if state is ClaimState.DRAFT:
        if service_dates:
            found.append(filing_deadline(rules, min(service_dates)))
    elif state in (ClaimState.SUBMITTED, ClaimState.ACKNOWLEDGED):
        submitted = _last(events, {EventKind.SUBMITTED})
        assert submitted is not None
        contact = _contact_after(events, submitted.on)
        answer = decision_due(rules, submitted.on)
        # Once the payer's decision date has passed and the person has chased it, the follow-up
        # cadence takes over: an old "no decision" date would otherwise stay overdue for ever.
        if answer is not None and (contact is None or answer.due > contact):
            found.append(answer)
        found.append(next_follow_up(rules, submitted.on, contact, today))
    elif state is ClaimState.INFO_REQUESTED:
        asked = _last(events, {EventKind.INFO_REQUESTED})
        assert asked is not None
        found.append(
            Deadline(
                DeadlineKind.FOLLOW_UP,
                asked.on + timedelta(days=INFO_ANSWER_DAYS),
                "Send the plan the information it asked for",
                f"Information requested: answer within {INFO_ANSWER_DAYS} days so the claim is not denied",
                "kettrack default (plans deny pended claims left unanswered)",
                asked.on,
            )
        )
    elif state in (ClaimState.DENIED, ClaimState.PARTIALLY_PAID):
        notice = _last(events, DECISION_EVENTS)
        assert notice is not None
        level = rules.next_level(status.appeal_level if status.appeal_level in level_names(rules) else None)
        found += _appeal(rules, level, notice)
    elif state in (ClaimState.APPEAL_FILED, ClaimState.EXTERNAL_REVIEW):
        filed = _last(events, {EventKind.APPEAL_FILED, EventKind.EXTERNAL_REVIEW_FILED})
        assert filed is not None
        key = status.appeal_level or ""
        level = rules.level(key) if key in level_names(rules) else None
        answer = decision_due(rules, filed.on, level) if level is not None else None
        contact = _contact_after(events, filed.on)
        if answer is not None and (contact is None or answer.due > contact):
            found.append(answer)
        else:
            found.append(next_follow_up(rules, filed.on, contact, today))
    elif state is ClaimState.APPEAL_DECIDED:
        decided = _last(events, {EventKind.APPEAL_OVERTURNED, EventKind.APPEAL_UPHELD})
        assert decided is not None
        if status.outcome is Outcome.UPHELD:
            current = status.appeal_level if status.appeal_level in level_names(rules) else None
            found += _appeal(rules, rules.next_level(current) if current else None, decided)
        else:
            follow = next_follow_up(rules, decided.on, _contact_after(events, decided.on), today)
            waited = (max(today, follow.due) - decided.on).days
            found.append(
                Deadline(
                    follow.kind,
                    follow.due,
                    f"Call the plan: the appeal was won {waited} days ago and nothing is paid yet",
                    follow.rule,
                    follow.source,
                    follow.trigger,
                )
            )
    return sorted(found, key=lambda d: (d.due, _PRIORITY.index(d.kind)))


def next_step(deadlines: Sequence[Deadline]) -> NextStep | None:
    """The earliest open deadline as the one thing to do next."""
    if not deadlines:
        return None
    first = min(deadlines, key=lambda d: (d.due, _PRIORITY.index(d.kind)))
    return NextStep(first.kind, first.due, first.action, first.explain(), first.confirmed)


def follow_up_action(kind: DeadlineKind, action: str, trigger: date, due: date, today: date) -> str:
    """A follow-up's words for today ("no answer for 45 days"); other actions read the same any day."""
    if kind is DeadlineKind.FOLLOW_UP and action.startswith("Call the plan: no answer for"):
        if due > today:
            return f"Call the plan if there is no answer by then ({(due - trigger).days} days after sending)"
        return f"Call the plan: no answer for {(today - trigger).days} days"
    return action
