"""Every deadline that matters for one claim, derived from its events and its payer's rules, and,
after an EOB or a denial, from what the notice says (its denial triage, ``reading_of``): a patient's
balance to bill, a corrected claim to send, a check for a duplicate, or an appeal and what it argues.

Pure functions over plain data: the store calls them when an event is recorded (to keep the claim's
next step in a column the dashboard can sort on), the benchmark calls them for 100,000 claims, and
tests call them with hand-made histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol

from kettrack.core.claim_states import ClaimState, CloseReason, EventKind, Outcome, Status, derive
from kettrack.core.claims import DECISION_EVENTS, ZERO, ClaimEvent, NextStep, money_of
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
from kettrack.core.denial_triage import Triage, TriageContext, TriageRoute, triage
from kettrack.core.money import format_usd
from kettrack.core.triage_words import step_action

INFO_ANSWER_DAYS = 14
# kettrack's own defaults for the steps a triage leads to that no payer rule dates.
BILL_PATIENT_DAYS = 30  # bill the patient's share within a month of the EOB
CORRECTION_DAYS = 30  # a corrected claim once the filing limit has passed: promptly after the notice
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


def reading_of(
    events: Sequence[ClaimEvent], billed: Decimal, context: TriageContext | None = None
) -> Triage | None:
    """The denial triage of the claim's latest EOB or denial (None before the payer decided): its
    lines weighed against what was still open then, with the claim's patient share."""
    notice = None
    paid_before = ZERO
    submitted_on = None
    for event in events:
        if event.kind in DECISION_EVENTS:
            if notice is not None:
                paid_before += notice.amounts.paid or ZERO
            notice = event
        elif event.kind is EventKind.SUBMITTED and notice is None:
            submitted_on = event.on
    if notice is None:
        return None
    context = context or TriageContext()
    return triage(
        notice.adjustments,
        billed=billed - paid_before,
        paid=notice.amounts.paid or ZERO,
        patient_share=money_of(billed, list(events)).patient_responsibility,
        allowed=notice.amounts.allowed,
        context=replace(context, submitted_on=context.submitted_on or submitted_on),
    )


def _balance(notice: EventFacts, reading: Triage) -> list[Deadline]:
    """The patient's share to bill, when the person collects it (a clinic that filed the claim)."""
    if not reading.bill_patient:
        return []
    return [
        Deadline(
            DeadlineKind.FOLLOW_UP,
            notice.on + timedelta(days=BILL_PATIENT_DAYS),
            f"Bill the patient their share: {format_usd(reading.patient_share)}",
            f"Patient's share on the EOB: bill it within {BILL_PATIENT_DAYS} days, then close the claim",
            "kettrack default (PR adjustments: the patient owes them)",
            notice.on,
        )
    ]


def _triaged(
    rules: PayerRules,
    level: LevelRule | None,
    notice: EventFacts,
    reading: Triage,
    service_dates: Sequence[date],
) -> list[Deadline]:
    """The deadline a decided claim's triage leads to (kettrack.core.denial_triage)."""
    route = reading.route
    if route is TriageRoute.PAID_AS_EXPECTED:
        return _balance(notice, reading)
    if route is TriageRoute.CORRECTED_CLAIM:
        if service_dates and (limit := filing_deadline(rules, min(service_dates))).due >= notice.on:
            rule = f"A corrected claim is bound by the filing limit: {rules.filing.words()} after the service"
            return [replace(limit, action=reading.action, rule=rule)]
        return [
            Deadline(
                DeadlineKind.FILE_CLAIM,
                notice.on + timedelta(days=CORRECTION_DAYS),
                reading.action,
                f"The filing limit has passed: send the corrected claim within {CORRECTION_DAYS} days of "
                "the notice, and ask the plan how long it accepts corrections",
                "kettrack default",
                notice.on,
                rules.confirmed,
            )
        ]
    if route in (TriageRoute.DUPLICATE, TriageRoute.COORDINATION_OF_BENEFITS):
        return [
            Deadline(
                DeadlineKind.FOLLOW_UP,
                notice.on + timedelta(days=rules.follow_up_every_days),
                reading.action,
                f"Before any appeal: settle it within {rules.follow_up_every_days} days of the notice",
                "kettrack default",
                notice.on,
            )
        ]
    return [
        replace(d, action=step_action(reading, d.action)) if d.kind is DeadlineKind.APPEAL else d
        for d in _appeal(rules, level, notice)
    ]


def claim_deadlines(
    rules: PayerRules,
    service_dates: Sequence[date],
    events: Sequence[EventFacts],
    today: date,
    reading: Triage | None = None,
) -> list[Deadline]:
    """The open deadlines of a claim, earliest first. A closed claim has none; a paid one only the
    patient's share to bill. ``reading`` is the triage of the latest decision (``reading_of``): without
    it, a denied or partly paid claim's next step is the appeal."""
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
        if reading is None:
            found += _appeal(rules, level, notice)
        else:
            found += _triaged(rules, level, notice, reading, service_dates)
    elif state is ClaimState.PAID and reading is not None:
        notice = _last(events, DECISION_EVENTS)
        assert notice is not None
        found += _balance(notice, reading)
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
