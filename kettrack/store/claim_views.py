"""Reading claims: the Claims table's rows and one claim's whole story; the dashboard, what is due and
every open deadline for the calendar export are ``kettrack.store.claim_deadline_views``, which
``ClaimViews`` builds on. Nothing here writes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select

from kettrack.core.claim_deadlines import claim_deadlines, follow_up_action, reading_of, status_of
from kettrack.core.claim_states import Outcome, Status
from kettrack.core.claims import (
    AttachmentInfo,
    ClaimDetail,
    ClaimFilter,
    ClaimLine,
    ClaimRow,
    LetterInfo,
    money_of,
)
from kettrack.core.deadlines import authorization_expiry
from kettrack.core.enums import AuthStatus, CoverageRank, PayerKind
from kettrack.core.problems import NotFound
from kettrack.store.claim_deadline_views import DUE_HORIZON_DAYS, LATER_ROWS, DeadlineViews, money_sum
from kettrack.store.claim_records import attachment_of, auth_of, load_events, payer_rules
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
from kettrack.store.triage_context import code_words, triage_context

__all__ = ["DUE_HORIZON_DAYS", "LATER_ROWS", "ClaimViews", "money_sum"]


class ClaimViews(DeadlineViews):
    """What the Claims section, the dashboard, ``kettrack due`` and the calendar export read."""

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
