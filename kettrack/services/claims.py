"""The claims use cases: create claims from issued superbills, record their events (append-only),
attachments, prior authorizations and payer rules, and keep each claim's derived state, money and
next deadline in step with its events.

The events are the truth. Every write goes through ``_refresh``, the one place that folds a claim's
events (``kettrack.core.claim_states``) and derives its deadlines (``kettrack.core.claim_deadlines``)
into the columns the tables sort on; ``invariant_problems`` checks the two still agree.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kettrack.core.claim_deadlines import (
    check_appeal_level,
    claim_deadlines,
    next_step,
    status_of,
)
from kettrack.core.claim_states import (
    ClaimState,
    CloseReason,
    EventKind,
    IllegalTransition,
    Status,
    apply,
)
from kettrack.core.claims import (
    DECISION_EVENTS,
    ZERO,
    AttachmentInfo,
    ClaimEvent,
    ClaimLine,
    NewClaim,
    NewEvent,
    NextStep,
    money_of,
)
from kettrack.core.deadlines import DeadlineKind, PayerRules
from kettrack.core.enums import CoverageRank
from kettrack.core.money import MAX_AMOUNT
from kettrack.core.payer_rules import RuleOverrides, check_overrides
from kettrack.core.problems import InvalidInput, NotFound, Problem
from kettrack.core.reason_codes import (
    check_carc,
    check_remarks,
)
from kettrack.core.validation import plausible_date_problem, text_problem
from kettrack.store import audit, documents
from kettrack.store.attachments import IncomingFile, read_in
from kettrack.store.claim_records import (
    ValueConverter,
    attachment_of,
    bulk_allocation,
    driver_rows,
    load_event_sets,
    load_events,
    payer_rules,
    raw_column,
    service_dates,
)
from kettrack.store.database import Database
from kettrack.store.models import (
    Claim,
    ClaimAdjustmentEntry,
    ClaimAttachment,
    ClaimEventEntry,
    ClaimLineEntry,
    Coverage,
    Infusion,
    Payer,
    PayerRuleOverride,
    ServiceLine,
    SuperbillLine,
)

_DECIDED = {
    ClaimState.PAID,
    ClaimState.PARTIALLY_PAID,
    ClaimState.DENIED,
    ClaimState.APPEAL_DECIDED,
    ClaimState.CLOSED,
}


class ClaimChanged(InvalidInput):
    """Someone (another desk) recorded an event on the claim since it was read; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            [Problem("claim", "someone else recorded an event on this claim meanwhile: look again")]
        )


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a container): still record the change
        return "unknown"


class ClaimService:
    """Claims, their events, attachments, prior authorizations and payer rules."""

    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # --- payer rules ------------------------------------------------------------------------------

    def rules(self, payer_id: int) -> tuple[PayerRules, RuleOverrides]:
        """The rules a payer's deadlines follow, and what the user changed of its kind's defaults."""
        with self.db.reader() as session:
            row = session.get(PayerRuleOverride, payer_id)
            return payer_rules(session, payer_id), RuleOverrides.from_json(
                row.overrides
            ) if row else RuleOverrides()

    def set_rules(self, payer_id: int, overrides: RuleOverrides) -> int:
        """Save a payer's rules and re-derive the deadlines of its open claims; returns how many."""
        with self.db.session() as session:
            payer = session.get(Payer, payer_id)
            if payer is None:
                raise NotFound("payer", payer_id)
            check_overrides(payer.kind, overrides)
            row = session.get(PayerRuleOverride, payer_id)
            if row is None:
                session.add(PayerRuleOverride(payer_id=payer_id, overrides=overrides.to_json()))
            else:
                row.overrides = overrides.to_json()
            session.flush()
            claims = session.scalars(
                select(Claim).where(Claim.payer_id == payer_id, Claim.closed == false())
            ).all()
            for claim in claims:
                self._refresh(session, claim)
            audit.record(session, "update", "payer", payer_id, "filing, appeal and follow-up rules")
            return len(claims)

    # --- creating -------------------------------------------------------------------------------

    def create(self, new: NewClaim) -> int:
        """A draft claim for the lines of a superbill (or the lines given); returns its id."""
        with self.db.session() as session:
            coverage = session.get(Coverage, new.coverage_id)
            if coverage is None:
                raise InvalidInput.single("coverage", f"there is no coverage with id {new.coverage_id}")
            if problem := text_problem(new.note, max_len=2000, multiline=True):
                raise InvalidInput.single("note", problem)
            lines = self._lines_for(session, new, coverage)
            replaced = self._check_links(session, new, coverage)
            claim = Claim(
                number="",
                patient_id=coverage.patient_id,
                coverage_id=coverage.id,
                payer_id=coverage.payer_id,
                superbill_id=new.superbill_id,
                replaces_id=new.replaces_id,
                primary_claim_id=new.primary_claim_id,
                filer=new.filer,
                method=new.method,
                first_service=min(line.service_date for line in lines),
                last_service=max(line.service_date for line in lines),
                billed=sum((line.charge for line in lines), ZERO),
                state=ClaimState.DRAFT,
            )
            session.add(claim)
            session.flush()
            claim.number = f"CL-{claim.id:06d}"
            for position, line in enumerate(lines):
                session.add(
                    ClaimLineEntry(
                        claim_id=claim.id,
                        position=position,
                        service_line_id=line.service_line_id,
                        service_date=line.service_date,
                        code=line.code,
                        modifiers=line.modifiers,
                        units=line.units,
                        charge=line.charge,
                    )
                )
            if new.note:
                self._append(session, claim, NewEvent(EventKind.NOTE, self.today(), note=new.note), 0)
            if replaced is not None and not replaced.closed:
                note = f"Replaced by corrected claim {claim.number}"
                event = NewEvent(EventKind.CLOSED, self.today(), note=note, close_reason=CloseReason.REPLACED)
                self._append(session, replaced, event, replaced.event_count)
                self._refresh(session, replaced)
            self._refresh(session, claim)
            audit.record(
                session, "create", "claim", claim.id, f"{claim.number} for patient {claim.patient_id}"
            )
            return claim.id

    def _lines_for(self, session: Session, new: NewClaim, coverage: Coverage) -> list[ClaimLine]:
        ids = list(new.service_line_ids)
        if new.superbill_id is not None and not ids:
            ids = list(
                session.scalars(
                    select(SuperbillLine.service_line_id).where(
                        SuperbillLine.superbill_id == new.superbill_id
                    )
                )
            )
            if not ids:
                raise InvalidInput.single(
                    "superbill", f"there is no issued superbill with id {new.superbill_id}"
                )
        if not ids and new.primary_claim_id is not None:
            rows = session.scalars(
                select(ClaimLineEntry)
                .where(ClaimLineEntry.claim_id == new.primary_claim_id)
                .order_by(ClaimLineEntry.position)
            ).all()
            return [
                ClaimLine(r.service_line_id, r.service_date, r.code, r.modifiers, r.units, r.charge)
                for r in rows
            ]
        if not ids:
            raise InvalidInput.single(
                "lines", "a claim needs service lines: start it from an issued superbill"
            )
        found = session.execute(
            select(ServiceLine, Infusion.patient_id)
            .join(Infusion, Infusion.id == ServiceLine.infusion_id)
            .where(ServiceLine.id.in_(ids))
            .order_by(ServiceLine.service_date, ServiceLine.infusion_id, ServiceLine.position)
        ).all()
        missing = set(ids) - {line.id for line, _ in found}
        if missing:
            raise InvalidInput.single("lines", f"no service line with id {min(missing)}")
        if any(patient_id != coverage.patient_id for _, patient_id in found):
            raise InvalidInput.single("coverage", "the lines belong to another patient than this coverage")
        if new.replaces_id is None:
            self._refuse_double_billing(session, ids, coverage)
        return [
            ClaimLine(line.id, line.service_date, line.code, line.modifiers, line.units, line.charge)
            for line, _ in found
        ]

    def _refuse_double_billing(self, session: Session, ids: list[int], coverage: Coverage) -> None:
        """The same line sent twice to the same plan is a duplicate claim (CARC 18): refuse it."""
        clash = session.execute(
            select(Claim.number)
            .join(ClaimLineEntry, ClaimLineEntry.claim_id == Claim.id)
            .where(
                ClaimLineEntry.service_line_id.in_(ids),
                Claim.coverage_id == coverage.id,
                or_(Claim.close_reason.is_(None), Claim.close_reason != CloseReason.REPLACED),
            )
            .limit(1)
        ).scalar()
        if clash:
            raise InvalidInput.single(
                "lines",
                f"these lines are already on claim {clash} to this plan; record a corrected claim instead",
            )

    def _check_links(self, session: Session, new: NewClaim, coverage: Coverage) -> Claim | None:
        replaced = None
        if new.replaces_id is not None:
            replaced = session.get(Claim, new.replaces_id)
            if replaced is None:
                raise InvalidInput.single("replaces", f"there is no claim with id {new.replaces_id}")
            if replaced.patient_id != coverage.patient_id:
                raise InvalidInput.single("replaces", "a corrected claim is for the same patient")
        if new.primary_claim_id is not None:
            primary = session.get(Claim, new.primary_claim_id)
            if primary is None:
                raise InvalidInput.single("primary", f"there is no claim with id {new.primary_claim_id}")
            if coverage.rank is CoverageRank.PRIMARY:
                raise InvalidInput.single("coverage", "a secondary claim goes to the secondary coverage")
            if primary.patient_id != coverage.patient_id:
                raise InvalidInput.single("primary", "the primary claim is for another patient")
            if primary.state not in _DECIDED:
                raise InvalidInput.single(
                    "primary", "the primary plan has not decided yet: the secondary claim starts from its EOB"
                )
        return replaced

    # --- events ---------------------------------------------------------------------------------

    def record(
        self,
        claim_id: int,
        event: NewEvent,
        *,
        expected_events: int | None = None,
        attachments: Sequence[tuple[Path, str]] = (),
    ) -> int:
        """Append ``event`` (with files to attach) to a claim; returns the event id.

        ``expected_events`` is the number of events the person saw: if someone recorded another one
        meanwhile, nothing is written and ClaimChanged says so.
        """
        incoming = [read_in(path, description) for path, description in attachments]
        # The files are kept inside the database, in the event's transaction: both or neither.
        with self.db.session() as session:
            event_id = self.record_in(session, claim_id, event, expected_events=expected_events)
            for item in incoming:
                session.add(_attachment_row(session, claim_id, event_id, item))
            return event_id

    def record_in(
        self, session: Session, claim_id: int, event: NewEvent, *, expected_events: int | None = None
    ) -> int:
        """Check and append ``event`` inside the caller's unit of work (the appeal letter's issuing
        writes its letter row in the same transaction), then re-derive the claim; returns the event id."""
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise NotFound("claim", claim_id)
        if expected_events is not None and claim.event_count != expected_events:
            raise ClaimChanged()
        checked = self._check_event(session, claim, event)
        event_id = self._append(session, claim, checked, claim.event_count)
        self._refresh(session, claim)
        audit.record(session, "update", "claim", claim.id, f"event {checked.kind.value} recorded")
        return event_id

    def attach(self, claim_id: int, path: Path, description: str = "") -> AttachmentInfo:
        """Keep a file with a claim without recording an event (an EOB found later, say)."""
        if problem := text_problem(description, max_len=200):
            raise InvalidInput.single("description", problem)
        item = read_in(path, description)
        with self.db.session() as session:
            if session.get(Claim, claim_id) is None:
                raise NotFound("claim", claim_id)
            row = _attachment_row(session, claim_id, None, item)
            session.add(row)
            session.flush()
            audit.record(session, "update", "claim", claim_id, f"file attached ({item.media_type})")
            return attachment_of(row)

    def attachment_content(self, attachment_id: int) -> tuple[str, bytes]:
        """An attachment's original name and bytes, checked against its recorded SHA-256."""
        with self.db.reader() as session:
            row = session.get(ClaimAttachment, attachment_id)
            if row is None:
                raise NotFound("attachment", attachment_id)
            return row.original_name, documents.content(
                session, row.sha256, f"attachment {row.original_name!r}"
            )

    def _check_event(self, session: Session, claim: Claim, event: NewEvent) -> NewEvent:
        problems: list[Problem] = []
        today = self.today()
        if event.on > today:
            problems.append(Problem("date", "this date is in the future"))
        elif problem := plausible_date_problem(event.on, today):
            problems.append(Problem("date", problem))
        if event.received_on is not None and (problem := plausible_date_problem(event.received_on, today)):
            problems.append(Problem("received_on", problem))
        if event.on < claim.first_service and event.kind is not EventKind.NOTE:
            problems.append(
                Problem("date", f"this is before the first date of service ({claim.first_service})")
            )
        last = session.scalar(
            select(func.max(ClaimEventEntry.business_date)).where(
                ClaimEventEntry.claim_id == claim.id, ClaimEventEntry.kind != EventKind.NOTE
            )
        )
        if last is not None and event.on < last and event.kind is not EventKind.NOTE:
            problems.append(Problem("date", f"the claim's last event is dated {last}: events go in order"))
        if event.received_on is not None:
            if event.received_on < event.on:
                problems.append(
                    Problem("received_on", "a letter cannot arrive before the date printed on it")
                )
            elif event.received_on > today:
                problems.append(Problem("received_on", "this date is in the future"))
        if problem := text_problem(event.note, max_len=4000, multiline=True):
            problems.append(Problem("note", problem))
        if problem := text_problem(event.payer_claim_number, max_len=50):
            problems.append(Problem("payer_claim_number", problem))
        problems += self._check_money(claim, event)
        status = self._status(session, claim)
        if event.kind is EventKind.APPEAL_FILED and event.appeal_level:
            reason = check_appeal_level(payer_rules(session, claim.payer_id), status, event.appeal_level)
            if reason:
                problems.append(Problem("level", reason))
        try:
            apply(status, event.transition())
        except IllegalTransition as exc:
            problems.append(Problem("event", str(exc)))
        if problems:
            raise InvalidInput(problems)
        adjustments = tuple(
            replace(a, reason=check_carc(a.reason), remarks=check_remarks(a.remarks))
            for a in event.adjustments
        )
        return replace(event, adjustments=adjustments)

    def _check_money(self, claim: Claim, event: NewEvent) -> list[Problem]:
        problems: list[Problem] = []
        amounts = event.amounts
        for name in ("allowed", "paid", "deductible", "coinsurance", "copay"):
            value: Decimal | None = getattr(amounts, name)
            if value is None:
                continue
            if value < 0:
                problems.append(Problem(name, "cannot be negative"))
            elif value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
                problems.append(Problem(name, "is not a sensible amount"))
        if amounts.paid is not None and amounts.paid > claim.billed:
            problems.append(Problem("paid", f"is more than was billed ({claim.billed})"))
        if amounts.allowed is not None and amounts.allowed > claim.billed:
            problems.append(Problem("allowed", f"is more than was billed ({claim.billed})"))
        if event.kind is EventKind.PAID or event.kind is EventKind.PARTIALLY_PAID:
            if amounts.paid is None:
                problems.append(Problem("paid", "say how much the plan paid"))
            elif amounts.paid == 0:
                problems.append(Problem("paid", "nothing paid: record a denial instead"))
        if not amounts.is_empty() and event.kind not in DECISION_EVENTS:
            problems.append(Problem("amounts", "amounts go with a payment or a denial (an EOB)"))
        if len(event.adjustments) > 20:
            problems.append(Problem("adjustments", "at most 20 adjustment lines"))
        for adjustment in event.adjustments:
            if abs(adjustment.amount) > MAX_AMOUNT:
                problems.append(
                    Problem("adjustments", f"adjustment {adjustment.reason} is not a sensible amount")
                )
        return problems

    def _append(self, session: Session, claim: Claim, event: NewEvent, count: int) -> int:
        row = ClaimEventEntry(
            claim_id=claim.id,
            sequence=count + 1,
            kind=event.kind,
            business_date=event.on,
            received_on=event.received_on,
            recorded_by=_actor(),
            note=event.note,
            appeal_level=event.appeal_level,
            close_reason=event.close_reason,
            payer_claim_number=event.payer_claim_number,
            method=event.method,
            allowed=event.amounts.allowed,
            paid=event.amounts.paid,
            deductible=event.amounts.deductible,
            coinsurance=event.amounts.coinsurance,
            copay=event.amounts.copay,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            raise ClaimChanged() from exc
        for position, adjustment in enumerate(event.adjustments):
            session.add(
                ClaimAdjustmentEntry(
                    event_id=row.id,
                    position=position,
                    group_code=adjustment.group,
                    reason=adjustment.reason,
                    remarks=adjustment.remarks,
                    amount=adjustment.amount,
                )
            )
        if event.payer_claim_number:
            claim.payer_claim_number = event.payer_claim_number
        if event.method is not None:
            claim.method = event.method
        claim.event_count = count + 1
        return row.id

    # --- deriving -------------------------------------------------------------------------------

    def _status(self, session: Session, claim: Claim) -> Status:
        return status_of(load_events(session, [claim.id])[claim.id])

    def _refresh(self, session: Session, claim: Claim) -> None:
        """Copy what the events say (state, money, next deadline) onto the claim row."""
        events = load_events(session, [claim.id])[claim.id]
        rules = payer_rules(session, claim.payer_id)
        derived = self._derive(rules, claim, events, service_dates(session, claim.id))
        for name, value in derived.items():
            setattr(claim, name, value)

    def _derive(
        self, rules: PayerRules, claim: Claim, events: list[ClaimEvent], service_dates: list[date]
    ) -> dict[str, object]:
        status = status_of(events)
        money = money_of(claim.billed, events)
        step = next_step(claim_deadlines(rules, service_dates, events, self.today()))
        return {
            "state": status.state,
            "closed": status.state is ClaimState.CLOSED,
            "appeal_level": status.appeal_level,
            "outcome": status.outcome.value if status.outcome else None,
            "close_reason": status.close_reason,
            "paid": money.paid,
            "outstanding": ZERO if status.state is ClaimState.CLOSED else money.outstanding,
            "event_count": len(events),
            "next_due": step.due if step else None,
            "next_kind": step.kind if step else None,
            "next_action": step.action[:200] if step else "",
            "next_trigger": _trigger(step, events),
            "next_confirmed": step.confirmed if step else True,
        }

    def invariant_problems(self) -> list[str]:
        """Claims whose stored state, money or event count differ from what their events say, and
        attachments whose content is missing or changed. Empty when all is well.

        Done in sets (every claim, event and line read in one query each, as plain columns), so a
        clinic's 100,000 claims check in seconds; deadlines are not derived: the check compares
        only what the events alone decide."""
        problems: list[str] = []
        with self.db.reader() as session, bulk_allocation():
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


def _attachment_row(
    session: Session, claim_id: int, event_id: int | None, item: IncomingFile
) -> ClaimAttachment:
    return ClaimAttachment(
        claim_id=claim_id,
        event_id=event_id,
        file_name=item.stored_name,
        original_name=item.original_name,
        media_type=item.media_type,
        size=item.size,
        sha256=documents.put(session, item.content, item.media_type),
        description=item.description,
        added_by=_actor(),
    )


def _trigger(step: NextStep | None, events: list[ClaimEvent]) -> date | None:
    """The date a follow-up counts "no answer for N days" from: the submission (or filing)."""
    if step is None or step.kind is not DeadlineKind.FOLLOW_UP:
        return None
    for event in reversed(events):
        if event.kind in (EventKind.SUBMITTED, EventKind.APPEAL_FILED, EventKind.EXTERNAL_REVIEW_FILED):
            return event.on
    return None
