"""Reading claims: the Claims table's rows, one claim's whole story, the dashboard, what is due,
and every open deadline for the calendar export. Nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select

from kettrack.core.calendar_export import CalendarItem
from kettrack.core.claim_deadlines import claim_deadlines, follow_up_action, reading_of, status_of
from kettrack.core.claim_states import ClaimState, Outcome, Status
from kettrack.core.claims import (
    AttachmentInfo,
    ClaimDetail,
    ClaimFilter,
    ClaimLine,
    ClaimRow,
    Dashboard,
    DueItem,
    LetterInfo,
    Totals,
    money_of,
)
from kettrack.core.deadlines import DeadlineKind, PayerRules, authorization_expiry
from kettrack.core.enums import AuthStatus, CoverageRank, PayerKind
from kettrack.core.problems import NotFound
from kettrack.store.claim_records import (
    attachment_of,
    auth_of,
    load_event_facts,
    load_events,
    payer_rules,
    service_dates_of,
)
from kettrack.store.database import Database
from kettrack.store.models import (
    AppealLetterEntry,
    Claim,
    ClaimAttachment,
    ClaimAuthorization,
    ClaimLineEntry,
    Coverage,
    Patient,
    Payer,
    PriorAuthorization,
)
from kettrack.store.triage_context import code_words, triage_context, user_role

DUE_HORIZON_DAYS = 30
LATER_ROWS = 25
# States whose next step comes from the triage of the payer's notice.
_DECIDED = (ClaimState.DENIED, ClaimState.PARTIALLY_PAID, ClaimState.PAID)


class ClaimViews:
    """What the Claims section, the dashboard, ``kettrack due`` and the calendar export read."""

    def __init__(self, db: Database, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # --- the claims table --------------------------------------------------------------------------------

    def _row_query(self) -> Select[Claim, str, str, PayerKind, CoverageRank]:
        return (
            select(Claim, Patient.legal_name, Payer.name, Payer.kind, Coverage.rank)
            .join(Patient, Patient.id == Claim.patient_id)
            .join(Payer, Payer.id == Claim.payer_id)
            .join(Coverage, Coverage.id == Claim.coverage_id)
        )

    def _row(self, found: Any) -> ClaimRow:
        """A ClaimRow from a ``_row_query`` result row."""
        claim, patient, payer, kind, rank = found
        outcome = None if claim.outcome is None else Outcome(claim.outcome)
        status = Status(claim.state, claim.appeal_level, outcome, claim.close_reason)
        action = claim.next_action
        if claim.next_kind is not None and claim.next_due is not None and claim.next_trigger is not None:
            action = follow_up_action(
                claim.next_kind, action, claim.next_trigger, claim.next_due, self.today()
            )
        return ClaimRow(
            id=claim.id,
            number=claim.number,
            patient_id=claim.patient_id,
            patient_name=patient,
            payer_id=claim.payer_id,
            payer_name=payer,
            payer_kind=kind,
            rank=rank,
            state=claim.state,
            status_text=status.describe(),
            first_service=claim.first_service,
            last_service=claim.last_service,
            billed=claim.billed,
            paid=claim.paid,
            outstanding=claim.outstanding,
            payer_claim_number=claim.payer_claim_number,
            next_due=claim.next_due,
            next_action=action,
            next_kind=claim.next_kind,
            next_confirmed=claim.next_confirmed,
        )

    def _where(self, flt: ClaimFilter | None) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if flt is None:
            return conditions
        if flt.states:
            conditions.append(Claim.state.in_(flt.states))
        if flt.payer_id is not None:
            conditions.append(Claim.payer_id == flt.payer_id)
        if flt.patient_id is not None:
            conditions.append(Claim.patient_id == flt.patient_id)
        if flt.open_only or flt.overdue_only:
            conditions.append(Claim.closed == false())
        if flt.overdue_only:
            conditions.append(Claim.next_due < self.today())
        if flt.text.strip():
            words = f"%{flt.text.strip().lower()}%"
            conditions.append(
                or_(
                    func.lower(Claim.number).like(words),
                    func.lower(Claim.payer_claim_number).like(words),
                    func.lower(Patient.legal_name).like(words),
                    func.lower(Payer.name).like(words),
                )
            )
        return conditions

    def rows(
        self, flt: ClaimFilter | None = None, *, offset: int = 0, limit: int | None = None
    ) -> list[ClaimRow]:
        """Claims matching ``flt``: those with a deadline first (soonest first), then the newest."""
        query = (
            self._row_query()
            .where(*self._where(flt))
            .order_by(Claim.next_due.is_(None), Claim.next_due, Claim.id.desc())
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.reader() as session:
            return [self._row(row) for row in session.execute(query).all()]

    def count(self, flt: ClaimFilter | None = None) -> int:
        query = (
            select(func.count(Claim.id))
            .select_from(Claim)
            .join(Patient, Patient.id == Claim.patient_id)
            .join(Payer, Payer.id == Claim.payer_id)
            .where(*self._where(flt))
        )
        with self.db.reader() as session:
            return int(session.scalar(query) or 0)

    def row(self, claim_id: int) -> ClaimRow:
        with self.db.reader() as session:
            found = session.execute(self._row_query().where(Claim.id == claim_id)).first()
            if found is None:
                raise NotFound("claim", claim_id)
            return self._row(found)

    def get(self, claim_id: int) -> ClaimDetail:
        """Everything about one claim: lines, timeline with attachments, money, deadlines, letters."""
        with self.db.reader() as session:
            found = session.execute(self._row_query().where(Claim.id == claim_id)).first()
            if found is None:
                raise NotFound("claim", claim_id)
            claim: Claim = found[0]
            row = self._row(found)
            coverage = session.get(Coverage, claim.coverage_id)
            assert coverage is not None
            attachments = [
                attachment_of(a)
                for a in session.scalars(
                    select(ClaimAttachment)
                    .where(ClaimAttachment.claim_id == claim_id)
                    .order_by(ClaimAttachment.id)
                )
            ]
            by_event: dict[int | None, list[AttachmentInfo]] = {}
            for attachment in attachments:
                by_event.setdefault(attachment.event_id, []).append(attachment)
            events = [
                replace(e, attachments=tuple(by_event.get(e.id, ())))
                for e in load_events(session, [claim_id])[claim_id]
            ]
            lines = tuple(
                ClaimLine(r.service_line_id, r.service_date, r.code, r.modifiers, r.units, r.charge)
                for r in session.scalars(
                    select(ClaimLineEntry)
                    .where(ClaimLineEntry.claim_id == claim_id)
                    .order_by(ClaimLineEntry.position)
                )
            )
            rules = payer_rules(session, claim.payer_id)
            dates = [line.service_date for line in lines]
            # The same reading the stored next step was derived from, with the person's words for codes.
            context = triage_context(session, claim, dates, words=code_words(session))
            reading = reading_of(events, claim.billed, context)
            deadlines = claim_deadlines(rules, dates, events, self.today(), reading)
            auth_ids = list(
                session.scalars(
                    select(ClaimAuthorization.auth_id).where(ClaimAuthorization.claim_id == claim_id)
                )
            )
            auths = [
                auth_of(a)
                for a in session.scalars(
                    select(PriorAuthorization).where(PriorAuthorization.id.in_(auth_ids))
                )
            ]
            for auth in auths:
                if (
                    auth.valid_to is not None
                    and auth.status == AuthStatus.APPROVED.value
                    and not claim.closed
                ):
                    deadlines.append(authorization_expiry(auth.valid_to, auth.auth_number))
            letters = [
                LetterInfo(r.id, r.claim_id, r.number, r.level, r.issued_at, r.file_name, r.sha256)
                for r in session.scalars(
                    select(AppealLetterEntry)
                    .where(AppealLetterEntry.claim_id == claim_id)
                    .order_by(AppealLetterEntry.id)
                )
            ]
            replaced_by = session.scalar(select(Claim.id).where(Claim.replaces_id == claim_id).limit(1))
            return ClaimDetail(
                row=row,
                coverage_id=claim.coverage_id,
                member_id=coverage.member_id,
                filer=claim.filer,
                method=claim.method,
                superbill_id=claim.superbill_id,
                replaces_id=claim.replaces_id,
                replaced_by_id=replaced_by,
                primary_claim_id=claim.primary_claim_id,
                status=status_of(events),
                lines=lines,
                events=tuple(events),
                money=money_of(claim.billed, events),
                deadlines=tuple(sorted(deadlines, key=lambda d: d.due)),
                attachments=tuple(attachments),
                auths=tuple(auths),
                letters=tuple(letters),
                rules_confirmed=rules.confirmed,
                triage=reading,
            )

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
