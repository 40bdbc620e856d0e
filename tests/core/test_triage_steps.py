"""A decided claim's next step follows its denial triage (kettrack.core.claim_deadlines.reading_of):
the patient's balance for an EOB paid as expected, a corrected claim by the filing limit, a check for a
duplicate, or the appeal at the plan's next level with what it argues; and the claim's money counts the
patient's share from PR lines too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from kettrack.core.claim_deadlines import claim_deadlines, next_step, reading_of
from kettrack.core.claim_states import EventKind
from kettrack.core.claims import Adjustment, ClaimEvent, EobAmounts, Filer, GroupCode, money_of
from kettrack.core.deadlines import DeadlineKind, rules_for
from kettrack.core.denial_triage import TriageContext, TriageRoute
from kettrack.core.enums import PayerKind, UserRole

D = Decimal
SERVICE = date(2026, 9, 1)
TODAY = date(2026, 11, 23)
BILLED = D("1000.00")


def _event(number: int, kind: EventKind, on: date, **extra: object) -> ClaimEvent:
    return ClaimEvent(number, kind, on, datetime(2026, 1, 1, tzinfo=UTC), "test", **extra)  # type: ignore[arg-type]


def _decided(kind: EventKind, *lines: Adjustment, **amounts: str) -> list[ClaimEvent]:
    return [
        _event(1, EventKind.SUBMITTED, SERVICE + timedelta(days=3)),
        _event(
            2,
            kind,
            SERVICE + timedelta(days=30),
            amounts=EobAmounts(**{k: D(v) for k, v in amounts.items()}),  # type: ignore[arg-type]
            adjustments=lines,
        ),
    ]


def _step(events: list[ClaimEvent], context: TriageContext, kind: PayerKind = PayerKind.COMMERCIAL):  # type: ignore[no-untyped-def]
    reading = reading_of(events, BILLED, context)
    return reading, next_step(claim_deadlines(rules_for(kind), [SERVICE], events, TODAY, reading))


CLINIC = TriageContext(role=UserRole.CLINIC, filer=Filer.CLINIC)
PATIENT = TriageContext(role=UserRole.PATIENT, filer=Filer.PATIENT)
PR2 = Adjustment(GroupCode.PR, "2", D("120.00"))


def test_a_normal_eob_is_the_patients_balance_never_an_appeal() -> None:
    # Recorded as partly paid (as kettrack once decided it): the reading still says paid as expected.
    for kind in (EventKind.PAID, EventKind.PARTIALLY_PAID):
        events = _decided(kind, PR2, paid="480.00", allowed="600.00")
        reading, step = _step(events, CLINIC)
        assert reading is not None and reading.route is TriageRoute.PAID_AS_EXPECTED
        assert step is not None and step.kind is DeadlineKind.FOLLOW_UP
        assert step.action == "Bill the patient their share: $120.00"
        assert step.due == SERVICE + timedelta(days=60)
        reading, step = _step(events, PATIENT)
        assert step is None and reading is not None and "Nothing to chase" in reading.next_step
    money = money_of(BILLED, _decided(EventKind.PAID, PR2, paid="480.00", allowed="600.00"))
    assert money.coinsurance == D("120.00") and money.patient_responsibility == D("120.00")
    assert money.written_off == D("400.00") and money.outstanding == D("0.00")


def test_a_corrected_claim_is_due_by_the_filing_limit() -> None:
    events = _decided(EventKind.DENIED, Adjustment(GroupCode.CO, "16", BILLED, "M119"), paid="0.00")
    reading, step = _step(events, CLINIC, PayerKind.ORIGINAL_MEDICARE)
    assert reading is not None and reading.route is TriageRoute.CORRECTED_CLAIM
    assert step is not None and step.kind is DeadlineKind.FILE_CLAIM
    assert step.due == date(2027, 9, 1) and step.action.startswith("Send a corrected claim with the drug's")
    # The commercial default (90 days) has passed by the notice: 30 days from the notice instead.
    late = [_event(1, EventKind.SUBMITTED, SERVICE + timedelta(days=80))] + [
        _event(2, EventKind.DENIED, SERVICE + timedelta(days=100), amounts=EobAmounts(paid=D("0.00")),
               adjustments=(Adjustment(GroupCode.CO, "16", BILLED, "M76"),))
    ]  # fmt: skip
    _, step = _step(late, CLINIC)
    assert step is not None and step.due == SERVICE + timedelta(days=130)


def test_appeal_routes_say_what_the_appeal_argues() -> None:
    cases = {
        "197": "Ask for a retro-authorization, then file an internal appeal with the plan",
        "55": "File an internal appeal with the plan, with the evidence for the treatment",
        "29": "File an internal appeal with the plan, with proof the claim was filed on time",
        "242": "Ask for a network-gap exception, then file an internal appeal with the plan",
        "50": "File an internal appeal with the plan",
        "999": "File an internal appeal with the plan",
    }
    for reason, action in cases.items():
        events = _decided(EventKind.DENIED, Adjustment(GroupCode.CO, reason, BILLED), paid="0.00")
        _, step = _step(events, CLINIC)
        assert step is not None and step.kind is DeadlineKind.APPEAL and step.action == action, reason


def test_a_duplicate_is_checked_first() -> None:
    events = _decided(EventKind.DENIED, Adjustment(GroupCode.CO, "18", BILLED), paid="0.00")
    _, step = _step(events, CLINIC)
    assert step is not None and step.kind is DeadlineKind.FOLLOW_UP
    assert step.action.startswith("Check whether the plan already has this claim")


def test_without_a_reading_the_old_rule_stands() -> None:
    """The calendar of a claim whose events carry no adjustments, say: the appeal."""
    events = _decided(EventKind.DENIED, paid="0.00")
    step = next_step(claim_deadlines(rules_for(PayerKind.COMMERCIAL), [SERVICE], events, TODAY))
    assert step is not None and step.kind is DeadlineKind.APPEAL
