"""Reading what is due: the dashboard (overdue, due within 7 and 30 days, later, and the money
totals), the open claims' next steps and approved authorizations ending soon (``kettrack due``), and
every open deadline for the calendar export. Nothing here writes.

``kettrack.store.claim_views.ClaimViews`` builds on this (``ws.claim_views.dashboard()`` and the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, false, func, select

from kettrack.core.calendar_export import CalendarItem
from kettrack.core.claim_deadlines import claim_deadlines, follow_up_action, reading_of
from kettrack.core.claim_states import ClaimState
from kettrack.core.claims import Dashboard, DueItem, Totals
from kettrack.core.deadlines import DeadlineKind, PayerRules, authorization_expiry
from kettrack.core.enums import AuthStatus
from kettrack.store.claim_records import load_event_facts, load_events, payer_rules, service_dates_of
from kettrack.store.database import Database
from kettrack.store.models import Claim, Coverage, Patient, Payer, PriorAuthorization
from kettrack.store.triage_context import triage_context, user_role

__all__ = ["DUE_HORIZON_DAYS", "LATER_ROWS", "DeadlineViews", "money_sum"]

DUE_HORIZON_DAYS = 30
LATER_ROWS = 25
# States whose next step comes from the triage of the payer's notice.
_DECIDED = (ClaimState.DENIED, ClaimState.PARTIALLY_PAID, ClaimState.PAID)


class DeadlineViews:
    """What the dashboard, ``kettrack due`` and the calendar export read."""

    def __init__(self, db: Database, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # --- the dashboard ----------------------------------------------------------------------------

    def dashboard(self) -> Dashboard:
        """What to do now: overdue first, then due within 7 and 30 days; and the money totals."""
        today = self.today()
        items = self.due(DUE_HORIZON_DAYS)
        horizon = today + timedelta(days=DUE_HORIZON_DAYS)
        with self.db.reader() as session:
            # Every open claim has a next step; the first few beyond 30 days show as "later".
            later = self._next_steps(session, Claim.next_due > horizon, LATER_ROWS)
            billed, paid, outstanding, open_count = session.execute(
                select(
                    func.coalesce(func.sum(Claim.billed), 0),
                    func.coalesce(func.sum(Claim.paid), 0),
                    func.coalesce(func.sum(Claim.outstanding), 0),
                    func.count(Claim.id).filter(Claim.closed == false()),
                )
            ).one()
        totals = Totals(money_sum(billed), money_sum(paid), money_sum(outstanding), int(open_count))
        return Dashboard(
            today,
            tuple(i for i in items if i.due < today),
            tuple(i for i in items if today <= i.due <= today + timedelta(days=7)),
            tuple(i for i in items if today + timedelta(days=7) < i.due),
            totals,
            tuple(later),
        )

    def _next_steps(
        self, session: Any, condition: ColumnElement[bool], limit: int | None = None
    ) -> list[DueItem]:
        """Open claims' next steps matching ``condition``, soonest first.

        "closed = false", not "closed IS false": SQLite cannot search the (closed, next_due) index with
        IS FALSE, so it read every claim and sorted them. And only the columns a dashboard line shows:
        whole claims as ORM objects took most of the time once thousands are due (benchmark in
        tests/bench/test_claims_dashboard.py).
        """
        today = self.today()
        query = (
            select(
                Claim.id,
                Claim.number,
                Claim.next_due,
                Claim.next_kind,
                Claim.next_action,
                Claim.next_trigger,
                Claim.next_confirmed,
                Patient.legal_name,
                Payer.name,
            )
            .join(Patient, Patient.id == Claim.patient_id)
            .join(Payer, Payer.id == Claim.payer_id)
            .where(Claim.closed == false(), Claim.next_due.is_not(None), condition)
            .order_by(Claim.next_due, Claim.id)
            .limit(limit)
        )
        items: list[DueItem] = []
        # On the connection: plain rows, without the ORM's result machinery.
        for (
            claim_id,
            number,
            due,
            kind,
            action,
            trigger,
            confirmed,
            patient,
            payer,
        ) in session.connection().execute(query):
            assert due is not None and kind is not None
            if trigger is not None:
                action = follow_up_action(kind, action, trigger, due, today)
            items.append(DueItem(due, action, "", claim_id, number, patient, payer, kind, confirmed))
        return items

    def due(self, within_days: int) -> list[DueItem]:
        """Every open claim's next step due by ``today + within_days`` (overdue ones included), and
        approved prior authorizations ending in that time; soonest first."""
        today = self.today()
        limit = today + timedelta(days=within_days)
        # "closed = false", not "closed IS false": SQLite cannot search the (closed, next_due) index with
        # IS FALSE, so it read every claim and sorted them. And only the columns a dashboard line shows:
        # whole claims as ORM objects took most of the time once thousands are due (benchmark in
        # tests/bench/test_claims_dashboard.py).
        items: list[DueItem] = []
        with self.db.reader() as session:
            items += self._next_steps(session, Claim.next_due <= limit)
            auths = session.execute(
                select(PriorAuthorization, Patient.legal_name, Payer.name)
                .join(Patient, Patient.id == PriorAuthorization.patient_id)
                .join(Coverage, Coverage.id == PriorAuthorization.coverage_id)
                .join(Payer, Payer.id == Coverage.payer_id)
                .where(
                    PriorAuthorization.status == AuthStatus.APPROVED,
                    PriorAuthorization.valid_to.is_not(None),
                    PriorAuthorization.valid_to >= today,
                    PriorAuthorization.valid_to <= limit,
                )
            ).all()
            for auth, patient, payer in auths:
                assert auth.valid_to is not None
                deadline = authorization_expiry(auth.valid_to, auth.auth_number)
                items.append(
                    DueItem(
                        deadline.due,
                        deadline.action,
                        deadline.explain(),
                        None,
                        "",
                        patient,
                        payer,
                        deadline.kind,
                        auth_id=auth.id,
                    )
                )
        return sorted(items, key=lambda i: (i.due, i.claim_id or 0))

    def calendar_items(self) -> list[CalendarItem]:
        """Every open deadline of every open claim (and authorization), for the .ics export. Keys name
        what a deadline is about, never its date, so a re-export updates the same calendar events."""
        today = self.today()
        items: list[CalendarItem] = []
        with self.db.reader() as session:
            claims = session.execute(
                select(Claim, Patient.legal_name, Payer.name)
                .join(Patient, Patient.id == Claim.patient_id)
                .join(Payer, Payer.id == Claim.payer_id)
                .where(Claim.closed == false())
                .order_by(Claim.id)
            ).all()
            rules: dict[int, PayerRules] = {}  # one payer's rules serve all its claims
            role = user_role(session)
            for start in range(0, len(claims), 5000):
                chunk = claims[start : start + 5000]
                ids = [c.id for c, _, _ in chunk]
                events = load_event_facts(session, ids)
                dates = service_dates_of(session, ids)
                # A decided claim's next step is what its notice says: those claims' whole events
                # (with their adjustment lines) are read for the triage, the others' facts suffice.
                decided = load_events(session, [c.id for c, _, _ in chunk if c.state in _DECIDED])
                for claim, patient, payer in chunk:
                    if claim.payer_id not in rules:
                        rules[claim.payer_id] = payer_rules(session, claim.payer_id)
                    reading = None
                    if claim.id in decided:
                        context = triage_context(session, claim, dates[claim.id], role=role)
                        reading = reading_of(decided[claim.id], claim.billed, context)
                    found = claim_deadlines(
                        rules[claim.payer_id], dates[claim.id], events[claim.id], today, reading
                    )
                    for deadline in found:
                        level = ""
                        if deadline.kind is DeadlineKind.APPEAL:
                            level = "/" + deadline.action
                        items.append(
                            CalendarItem(
                                key=f"claim-{claim.id}/{deadline.kind.value}{level}/{deadline.trigger}",
                                deadline=deadline,
                                summary=f"{deadline.action} ({claim.number}, {payer})",
                                description=f"Claim {claim.number} for {patient}, {payer}.",
                            )
                        )
            for auth in session.scalars(
                select(PriorAuthorization).where(
                    PriorAuthorization.status == AuthStatus.APPROVED,
                    PriorAuthorization.valid_to.is_not(None),
                    PriorAuthorization.valid_to >= today,
                )
            ):
                assert auth.valid_to is not None
                deadline = authorization_expiry(auth.valid_to, auth.auth_number)
                items.append(
                    CalendarItem(f"auth-{auth.id}/expires", deadline, deadline.action, "Prior authorization")
                )
        return items


def money_sum(value: object) -> Decimal:
    """A summed money column: Decimal dollars when SQLAlchemy typed the sum, raw cents otherwise."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return (Decimal(str(value or 0)) / 100).quantize(Decimal("0.01"))
