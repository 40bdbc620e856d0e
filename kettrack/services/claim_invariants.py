"""The check that the claims' stored columns still agree with their events: state, money and event
count as the events alone decide them, the billed amount as the lines sum up, and every attachment's
content present and unchanged. Done in sets, for ``kettrack check``.
"""

from __future__ import annotations

from sqlalchemy import select

from kettrack.core.claim_deadlines import status_of
from kettrack.core.claim_states import ClaimState, IllegalTransition
from kettrack.core.claims import ZERO, money_of
from kettrack.store import documents
from kettrack.store.claim_records import (
    ValueConverter,
    bulk_allocation,
    driver_rows,
    load_event_sets,
    raw_column,
)
from kettrack.store.database import Database
from kettrack.store.models import Claim, ClaimAttachment, ClaimLineEntry

__all__ = ["invariant_problems"]


def invariant_problems(db: Database) -> list[str]:
    """Claims whose stored state, money or event count differ from what their events say, and
    attachments whose content is missing or changed. Empty when all is well.

    Done in sets (every claim, event and line read in one query each, as plain columns), so a
    clinic's 100,000 claims check in seconds; deadlines are not derived: the check compares
    only what the events alone decide."""
    problems: list[str] = []
    with db.reader() as session, bulk_allocation():
        events = load_event_sets(session)
        convert = ValueConverter()
        billed: dict[int, int] = {}  # cents
        for claim_id, charge in driver_rows(
            session, select(ClaimLineEntry.claim_id, raw_column(ClaimLineEntry.charge))
        ):
            billed[claim_id] = billed.get(claim_id, 0) + int(charge)
        states = {s.value: s for s in ClaimState}
        c = Claim
        for number, claim_id, state, closed, cents, paid, outstanding, count in driver_rows(
            session,
            select(
                c.number,
                c.id,
                raw_column(c.state),
                c.closed,
                raw_column(c.billed),
                raw_column(c.paid),
                raw_column(c.outstanding),
                c.event_count,
            ).order_by(c.id),
        ):
            history = events.get(claim_id, [])
            stored = {
                "state": states[state],
                "closed": bool(closed),
                "paid": convert.amount(paid),
                "outstanding": convert.amount(outstanding),
                "event_count": count,
            }
            try:
                status = status_of(history)
            except IllegalTransition as exc:
                problems.append(f"claim {number}: its events are impossible ({exc})")
                continue
            money = money_of(convert.amount(cents), history)  # type: ignore[arg-type]
            derived = {
                "state": status.state,
                "closed": status.state is ClaimState.CLOSED,
                "paid": money.paid,
                "outstanding": ZERO if status.state is ClaimState.CLOSED else money.outstanding,
                "event_count": len(history),
            }
            for name, value in derived.items():
                if stored[name] != value:
                    problems.append(
                        f"claim {number}: stored {name.replace('_', ' ')} "
                        f"'{stored[name]}' differs from its events' '{value}'"
                    )
            if billed.get(claim_id, 0) != int(cents):
                problems.append(f"claim {number}: billed amount differs from the sum of its lines")
        rows = list(
            session.execute(
                select(ClaimAttachment.original_name, ClaimAttachment.claim_id, ClaimAttachment.sha256)
            )
        )
        broken = documents.problems(session, (r.sha256 for r in rows))
        for name, owner, sha in rows:
            if sha in broken:
                problems.append(f"attachment {name!r} of claim id {owner}: {broken[sha]}")
    return problems
