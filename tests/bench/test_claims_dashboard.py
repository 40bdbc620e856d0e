"""Benchmark: claims at the scale of a busy billing desk's history (issue 4).

100,000 claims with their events (a realistic mix: most paid and closed long ago, the open ones
recent, some denied, appealed, upheld, written off) are written with bulk inserts; each claim's
derived columns (state, money, next step) come from the claims service's own derivation, so the
database holds what the app would have written. Then:

1. the dashboard (``ClaimViews.dashboard``: what is overdue, due within 7 and 30 days, money
   totals), target under 100 ms;
2. deadline derivation for every claim: all events loaded from the database the way the calendar
   export loads them, then ``claim_deadlines`` over each claim's events.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import false, func, insert, select

from kettrack.core.claim_deadlines import claim_deadlines, status_of
from kettrack.core.claim_states import CloseReason, EventKind
from kettrack.core.claims import Adjustment, ClaimEvent, EobAmounts, Filer, GroupCode, SubmitMethod
from kettrack.core.enums import CoverageRank, Network, PayerKind, Relationship, Sex
from kettrack.core.payer_rules import effective_rules
from kettrack.services.claims import ClaimService
from kettrack.services.workspace import Workspace
from kettrack.store.claim_records import load_event_facts, load_events, payer_rules
from kettrack.store.claim_views import DUE_HORIZON_DAYS
from kettrack.store.database import Database
from kettrack.store.models import (
    Claim,
    ClaimAdjustmentEntry,
    ClaimEventEntry,
    ClaimLineEntry,
    Coverage,
    Patient,
    Payer,
)
from tests.conftest import TODAY

pytestmark = pytest.mark.bench

CLAIMS = 100_000
PATIENTS = 2_000
PAYERS = (
    ("Bench Health", PayerKind.COMMERCIAL),
    ("Bench Employer Plan", PayerKind.EMPLOYER_PLAN),
    ("Original Medicare", PayerKind.ORIGINAL_MEDICARE),
    ("Bench Advantage", PayerKind.MEDICARE_ADVANTAGE),
    ("Bench Medicaid", PayerKind.MEDICAID_MANAGED_CARE),
)
E = EventKind
# Histories per thousand claims. Nine in ten are settled (paid, closed, written off) and spread over
# three years; the open ones are recent, as on a desk that works its claims.
HISTORIES: tuple[tuple[int, tuple[EventKind, ...], bool], ...] = (
    (440, (E.SUBMITTED, E.ACKNOWLEDGED, E.PAID, E.CLOSED), False),
    (170, (E.SUBMITTED, E.PAID, E.CLOSED), False),
    (90, (E.SUBMITTED, E.DENIED, E.CLOSED), False),  # written off
    (60, (E.SUBMITTED, E.DENIED, E.APPEAL_FILED, E.APPEAL_OVERTURNED, E.PAID, E.CLOSED), False),
    (50, (E.SUBMITTED, E.PARTIALLY_PAID, E.PAID, E.CLOSED), False),
    (90, (E.SUBMITTED, E.ACKNOWLEDGED, E.PAID), False),  # paid, not closed yet: nothing due
    (5, (), True),  # draft
    (25, (E.SUBMITTED,), True),
    (15, (E.SUBMITTED, E.ACKNOWLEDGED), True),
    (5, (E.SUBMITTED, E.INFO_REQUESTED), True),
    (5, (E.SUBMITTED, E.ACKNOWLEDGED, E.PARTIALLY_PAID), True),
    (15, (E.SUBMITTED, E.DENIED), True),
    (15, (E.SUBMITTED, E.DENIED, E.APPEAL_FILED), True),
    (5, (E.SUBMITTED, E.DENIED, E.APPEAL_FILED, E.APPEAL_UPHELD), True),
    (5, (E.SUBMITTED, E.DENIED, E.APPEAL_FILED, E.NOTE), True),
)


def _stamp() -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {"created_at": now, "updated_at": now}


def _people(session: Any) -> None:
    address = {"address_line1": "", "address_line2": "", "city": "", "state": "", "postal_code": ""}
    stamp = _stamp()
    session.execute(
        insert(Payer),
        [
            {
                "id": n,
                "name": name,
                "kind": kind,
                "payer_code": "",
                "phone": "",
                "claims_address": "",
                "appeals_address": "",
                **stamp,
            }
            for n, (name, kind) in enumerate(PAYERS, 1)
        ],
    )
    session.execute(
        insert(Patient),
        [
            {
                "id": i,
                "legal_name": f"Patient {i:04d}",
                "date_of_birth": date(1950 + i % 50, 1 + i % 12, 1),
                "sex": Sex.UNKNOWN,
                "phone": "",
                "email": "",
                **address,
                **stamp,
            }
            for i in range(1, PATIENTS + 1)
        ],
    )
    session.execute(
        insert(Coverage),
        [
            {
                "id": i,
                "patient_id": i,
                "payer_id": 1 + i % len(PAYERS),
                "member_id": f"M{i:08d}",
                "group_number": "",
                "relationship": Relationship.SELF,
                "policyholder_name": "",
                "policyholder_dob": None,
                "rank": CoverageRank.PRIMARY,
                "effective_from": None,
                "effective_to": None,
                "network": Network.UNKNOWN,
                **stamp,
            }
            for i in range(1, PATIENTS + 1)
        ],
    )


def _history(
    rng: random.Random,
    kinds: tuple[EventKind, ...],
    open_claim: bool,
    level: str,
    billed: Decimal,
    first: int,
) -> tuple[date, list[ClaimEvent]]:
    """A service date and the claim's events, in order, none after today."""
    span = sum(40 for _ in kinds) + 5
    if open_claim:
        service = TODAY - timedelta(days=rng.randrange(5, 30) + span // 3)
    else:
        service = TODAY - timedelta(days=rng.randrange(span, 3 * 365))
    day = service
    events: list[ClaimEvent] = []
    recorded = datetime.now(UTC)
    paid_so_far = Decimal("0.00")
    for position, kind in enumerate(kinds):
        day = min(TODAY, day + timedelta(days=rng.randrange(2, 12 if open_claim else 40)))
        amounts, adjustments = EobAmounts(), ()
        received, appeal_level, close_reason = None, None, None
        if kind is E.PAID:
            paid = billed - paid_so_far
            amounts = EobAmounts(allowed=billed, paid=paid)
            paid_so_far += paid
        elif kind is E.PARTIALLY_PAID:
            paid = (billed * Decimal("0.6")).quantize(Decimal("0.01"))
            amounts = EobAmounts(allowed=billed, paid=paid, coinsurance=Decimal("40.00"))
            adjustments = (Adjustment(GroupCode.PR, "2", Decimal("40.00")),)
            paid_so_far += paid
            received = day + timedelta(days=4)
        elif kind is E.DENIED:
            amounts = EobAmounts(paid=Decimal("0.00"))
            adjustments = (Adjustment(GroupCode.CO, "50", billed, "N130"),)
            received = day + timedelta(days=rng.randrange(2, 8))
        elif kind is E.APPEAL_FILED:
            appeal_level = level
        elif kind is E.APPEAL_UPHELD:
            received = day + timedelta(days=3)
        elif kind is E.CLOSED:
            close_reason = CloseReason.PAID_IN_FULL if E.PAID in kinds else CloseReason.WRITTEN_OFF
        if received is not None and received > TODAY:
            received = None
        events.append(
            ClaimEvent(
                id=first + position,
                kind=kind,
                on=day,
                recorded_at=recorded,
                recorded_by="bench",
                note="Called the plan" if kind is E.NOTE else "",
                received_on=received,
                appeal_level=appeal_level,
                close_reason=close_reason,
                amounts=amounts,
                adjustments=adjustments,
            )
        )
    return service, events


def _seed(path: Path) -> dict[str, int]:
    rng = random.Random(20261123)
    db = Database.open(path)
    service = ClaimService(db, today=lambda: TODAY)
    rules = {n: effective_rules(kind, None) for n, (_, kind) in enumerate(PAYERS, 1)}
    weights = [w for w, _, _ in HISTORIES]
    counts = {"events": 0, "open": 0, "with_next_step": 0}
    stamp = _stamp()
    event_id = 1
    with db.session() as session:
        _people(session)
        claims: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        adjustments: list[dict[str, Any]] = []

        def flush() -> None:
            # Core inserts on the tables: one executemany each (the ORM's bulk path goes row by row
            # when the rows carry their own keys).
            connection = session.connection()
            connection.execute(insert(Claim.__table__), claims)
            connection.execute(insert(ClaimLineEntry.__table__), lines)
            if events:
                connection.execute(insert(ClaimEventEntry.__table__), events)
            if adjustments:
                connection.execute(insert(ClaimAdjustmentEntry.__table__), adjustments)
            for batch in (claims, lines, events, adjustments):
                batch.clear()

        for claim_id in range(1, CLAIMS + 1):
            _, kinds, open_claim = rng.choices(HISTORIES, weights)[0]
            patient = 1 + rng.randrange(PATIENTS)
            payer = 1 + patient % len(PAYERS)
            billed = Decimal(450 * rng.randrange(1, 7)).quantize(Decimal("0.01"))
            level = rules[payer].levels[0].key
            service_date, history = _history(rng, kinds, open_claim, level, billed, event_id)
            # The service's own derivation, so the derived columns are what the app would store.
            derived = service._derive(rules[payer], SimpleNamespace(billed=billed), history, [service_date])  # type: ignore[arg-type]
            counts["open"] += not derived["closed"]
            counts["with_next_step"] += derived["next_due"] is not None
            claims.append(
                {
                    "id": claim_id,
                    "number": f"CL-{claim_id:06d}",
                    "patient_id": patient,
                    "coverage_id": patient,
                    "payer_id": payer,
                    "superbill_id": None,
                    "replaces_id": None,
                    "primary_claim_id": None,
                    "filer": Filer.CLINIC,
                    "method": SubmitMethod.CLEARINGHOUSE,
                    "payer_claim_number": f"P{claim_id:09d}" if history else "",
                    "first_service": service_date,
                    "last_service": service_date,
                    "billed": billed,
                    **derived,
                    **stamp,
                }
            )
            lines.append(
                {
                    "claim_id": claim_id,
                    "position": 0,
                    "service_line_id": None,
                    "service_date": service_date,
                    "code": "96365",
                    "modifiers": "",
                    "units": 1,
                    "charge": billed,
                }
            )
            for sequence, event in enumerate(history, 1):
                events.append(
                    {
                        "id": event.id,
                        "claim_id": claim_id,
                        "sequence": sequence,
                        "kind": event.kind,
                        "business_date": event.on,
                        "received_on": event.received_on,
                        "recorded_at": event.recorded_at,
                        "recorded_by": event.recorded_by,
                        "note": event.note,
                        "appeal_level": event.appeal_level,
                        "close_reason": event.close_reason,
                        "payer_claim_number": "",
                        "method": None,
                        "allowed": event.amounts.allowed,
                        "paid": event.amounts.paid,
                        "deductible": event.amounts.deductible,
                        "coinsurance": event.amounts.coinsurance,
                        "copay": event.amounts.copay,
                    }
                )
                for position, adjustment in enumerate(event.adjustments):
                    adjustments.append(
                        {
                            "event_id": event.id,
                            "position": position,
                            "group_code": adjustment.group,
                            "reason": adjustment.reason,
                            "remarks": adjustment.remarks,
                            "amount": adjustment.amount,
                        }
                    )
            event_id += len(history)
            if len(claims) == 10_000:
                flush()
        if claims:
            flush()
    counts["events"] = event_id - 1
    db.close()
    return counts


@pytest.fixture(scope="module")
def claims_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], float]:
    path = tmp_path_factory.mktemp("claims") / "100k-claims.sqlite3"
    start = time.perf_counter()
    counts = _seed(path)
    return path, counts, time.perf_counter() - start


def _median_ms(action: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def test_dashboard_over_100k_claims(
    claims_db: tuple[Path, dict[str, int], float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, counts, seeding = claims_db
    ws = Workspace.open(path, today=lambda: TODAY)
    try:
        board = ws.claim_views.dashboard()  # warm: connection, statement cache
        listed = len(board.overdue) + len(board.within_7) + len(board.within_30)
        with ws.db.reader() as session:
            due = session.scalar(
                select(func.count()).where(
                    Claim.closed == false(), Claim.next_due <= TODAY + timedelta(days=DUE_HORIZON_DAYS)
                )
            )
            # The stored state agrees with the events on a sample of claims.
            sample = list(session.scalars(select(Claim.id).where(Claim.id % 997 == 0)))
            stored = dict(session.execute(select(Claim.id, Claim.state).where(Claim.id.in_(sample))).all())
            loaded = load_events(session, sample)
        assert listed == due > 0 and board.totals.open_claims == counts["open"]
        assert all(item.due < TODAY for item in board.overdue)
        assert all(status_of(loaded[i]).state is stored[i] for i in sample)
        dashboard = _median_ms(ws.claim_views.dashboard, runs=15)
    finally:
        ws.close()
    with capsys.disabled():
        print(
            f"\nclaims dashboard over {CLAIMS:,} claims ({counts['events']:,} events; {counts['open']:,} not "
            f"closed, {counts['with_next_step']:,} with a next step): {dashboard:.1f} ms (median of 15; "
            f"target 100 ms); it lists {len(board.overdue):,} overdue, {len(board.within_7):,} due within "
            f"7 days, {len(board.within_30):,} within 30. (Seeding took {seeding:.0f} s.)"
        )


def test_deadline_derivation_for_100k_claims(
    claims_db: tuple[Path, dict[str, int], float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, counts, _ = claims_db
    db = Database.open(path)
    try:
        start = time.perf_counter()
        with db.reader() as session:
            facts = session.execute(select(Claim.id, Claim.payer_id, Claim.first_service)).all()
            rules = {payer: payer_rules(session, payer) for payer in session.scalars(select(Payer.id))}
            # In sets, as the calendar and the due list read them: what derivation needs of every
            # claim's events, in one query.
            histories = load_event_facts(session)
        loading = time.perf_counter() - start

        def derive_all() -> tuple[int, int]:
            claims_with_deadlines = deadlines = 0
            for claim_id, payer, service in facts:
                found = claim_deadlines(rules[payer], [service], histories.get(claim_id, []), TODAY)
                claims_with_deadlines += bool(found)
                deadlines += len(found)
            return claims_with_deadlines, deadlines

        claims_with_deadlines, deadlines = derive_all()
        # The same claims have deadlines as had a next step stored when the claims were written.
        assert claims_with_deadlines == counts["with_next_step"]
        deriving = _median_ms(derive_all, runs=3)
    finally:
        db.close()
    with capsys.disabled():
        print(
            f"deadline derivation for all {CLAIMS:,} claims: {deriving / 1000:.2f} s "
            f"({deriving * 1000 / CLAIMS:.1f} µs a claim, median of 3; {deadlines:,} open deadlines); "
            f"loading their {counts['events']:,} events from the database first: {loading:.2f} s; "
            f"both together {loading + deriving / 1000:.2f} s (target 2 s)"
        )


def test_database_check_of_100k_claims(
    claims_db: tuple[Path, dict[str, int], float], capsys: pytest.CaptureFixture[str]
) -> None:
    """kettrack check's own invariants (each claim's stored state and money against its events and
    lines) over a clinic-sized database: what a billing desk waits for when it runs the check."""
    path, _, _ = claims_db
    ws = Workspace.open(path, today=lambda: TODAY)
    try:
        start = time.perf_counter()
        problems = ws.claims.invariant_problems()
        took = time.perf_counter() - start
    finally:
        ws.close()
    assert problems == []
    with capsys.disabled():
        print(
            f"claim invariants of the database check over {CLAIMS:,} claims: {took:.2f} s, no problems "
            "(target 3 s)"
        )
