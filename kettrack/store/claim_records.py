"""Claim records in the database, read in sets: each claim's events with their adjustments, the service
dates of its lines, the payer's rules, attachments and prior authorizations as plain data
(``kettrack.core.claims``). The claims service and the read models (``claim_views``) build on these;
whole-database work (the check, deadline derivation, the calendar) reads 100,000 claims' histories
with ``load_event_sets`` in two queries of plain columns.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from kettrack.core.claim_deadlines import EventFact
from kettrack.core.claim_states import CloseReason, EventKind
from kettrack.core.claims import (
    Adjustment,
    AttachmentInfo,
    ClaimEvent,
    EobAmounts,
    GroupCode,
    PriorAuthInfo,
    SubmitMethod,
)
from kettrack.core.deadlines import PayerRules
from kettrack.core.payer_rules import RuleOverrides, effective_rules
from kettrack.core.problems import NotFound
from kettrack.store.models import (
    ClaimAdjustmentEntry,
    ClaimAttachment,
    ClaimEventEntry,
    ClaimLineEntry,
    Payer,
    PayerRuleOverride,
    PriorAuthorization,
)


def attachment_of(row: ClaimAttachment) -> AttachmentInfo:
    return AttachmentInfo(
        row.id,
        row.claim_id,
        row.event_id,
        row.original_name,
        row.media_type,
        row.size,
        row.sha256,
        row.added_at,
        row.description,
    )


def auth_of(row: PriorAuthorization, claim_ids: Iterable[int] = ()) -> PriorAuthInfo:
    return PriorAuthInfo(
        row.id,
        row.patient_id,
        row.coverage_id,
        row.auth_number,
        row.status.value,
        row.requested_on,
        row.decided_on,
        row.codes,
        row.units,
        row.valid_from,
        row.valid_to,
        row.notes,
        tuple(claim_ids),
    )


def payer_rules(session: Session, payer_id: int) -> PayerRules:
    """The rules a payer's deadlines follow: its kind's defaults with the user's overrides."""
    payer = session.get(Payer, payer_id)
    if payer is None:
        raise NotFound("payer", payer_id)
    row = session.get(PayerRuleOverride, payer_id)
    return effective_rules(payer.kind, RuleOverrides.from_json(row.overrides) if row else None)


_NO_AMOUNTS = EobAmounts()


def raw_column(column: Any) -> Any:
    """A column read as the driver returns it: the typed columns' per-value conversion (hundreds of
    thousands of calls over a clinic's history) is done below with caches instead."""
    return type_coerce(column, NullType())


class ValueConverter:
    """Driver values to domain values, cached: dates, amounts and codes repeat a great deal."""

    def __init__(self) -> None:
        self.days: dict[object, date] = {}
        self.amounts: dict[object, Decimal] = {}

    def day(self, value: object) -> date | None:
        if value is None:
            return None
        found = self.days.get(value)
        if found is None:
            found = value if isinstance(value, date) else date.fromisoformat(str(value))
            self.days[value] = found
        return found

    def amount(self, value: object) -> Decimal | None:
        if value is None:
            return None
        found = self.amounts.get(value)
        if found is None:
            found = Decimal(int(value)).scaleb(-2)  # type: ignore[call-overload]
            self.amounts[value] = found
        return found

    @staticmethod
    def moment(value: object) -> datetime:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        text = str(value)
        # SQLite keeps the UTC moment without its offset (store.types.UTCDateTime); parsing it with the
        # offset appended is several times faster than parsing and then replacing the tzinfo.
        return datetime.fromisoformat(text if "+" in text[19:] else text + "+00:00")


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """No cyclic garbage collection while hundreds of thousands of small objects are built: each of
    its passes walks every object made so far, about a third of a whole-database load. Nothing built
    here forms a cycle, so nothing is kept longer; collection resumes when the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def driver_rows(session: Session, statement: Any) -> list[tuple[Any, ...]]:
    """The rows of a SELECT as the database driver returns them (plain tuples), in the session's
    transaction: for whole-database reads, where SQLAlchemy's Row objects alone cost a second per
    million values. Parameters are rendered into the statement, so use it with ids and constants only.
    What the session holds unwritten is flushed first, as the ORM's own queries do (autoflush)."""
    session.flush()
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def load_event_sets(session: Session, claim_ids: Sequence[int] | None = None) -> dict[int, list[ClaimEvent]]:
    """Every event (with its adjustments) of the given claims, or of all claims, in two queries of
    plain columns: whole-database work (the check, deadline derivation, the calendar) reads 100,000
    claims' histories at once instead of building ORM objects claim by claim."""
    e = ClaimEventEntry
    events = select(
        e.claim_id,
        e.id,
        raw_column(e.kind),
        raw_column(e.business_date),
        raw_column(e.recorded_at),
        e.recorded_by,
        e.note,
        raw_column(e.received_on),
        e.appeal_level,
        raw_column(e.close_reason),
        e.payer_claim_number,
        raw_column(e.method),
        raw_column(e.allowed),
        raw_column(e.paid),
        raw_column(e.deductible),
        raw_column(e.coinsurance),
        raw_column(e.copay),
    )
    a = ClaimAdjustmentEntry
    adjustments = select(a.event_id, raw_column(a.group_code), a.reason, raw_column(a.amount), a.remarks)
    if claim_ids is not None:
        wanted = list(claim_ids)
        if not wanted:
            return {}
        events = events.where(e.claim_id.in_(wanted))
        adjustments = adjustments.join(e, e.id == a.event_id).where(e.claim_id.in_(wanted))
    with bulk_allocation():
        return _build_events(session, events, adjustments, claim_ids)


def _build_events(
    session: Session, events: Any, adjustments: Any, claim_ids: Sequence[int] | None
) -> dict[int, list[ClaimEvent]]:
    e, a = ClaimEventEntry, ClaimAdjustmentEntry
    convert = ValueConverter()
    kinds = {k.value: k for k in EventKind}
    reasons = {r.value: r for r in CloseReason}
    methods = {m.value: m for m in SubmitMethod}
    groups = {g.value: g for g in GroupCode}
    by_event: dict[int, list[Adjustment]] = {}
    for event_id, group, reason, amount, remarks in driver_rows(
        session, adjustments.order_by(a.event_id, a.position)
    ):
        by_event.setdefault(event_id, []).append(
            Adjustment(groups[group], reason, convert.amount(amount), remarks)  # type: ignore[arg-type]
        )
    found: dict[int, list[ClaimEvent]] = {} if claim_ids is None else {i: [] for i in claim_ids}
    day, amount_of, moment, days = convert.day, convert.amount, convert.moment, convert.days
    for (
        claim_id,
        event_id,
        kind,
        on,
        at,
        by,
        note,
        received,
        level,
        reason,
        number,
        method,
        allowed,
        paid,
        deductible,
        coinsurance,
        copay,
    ) in driver_rows(session, events.order_by(e.claim_id, e.sequence)):
        if allowed is None and paid is None and deductible is None and coinsurance is None and copay is None:
            amounts = _NO_AMOUNTS
        else:
            amounts = EobAmounts(
                amount_of(allowed),
                amount_of(paid),
                amount_of(deductible),
                amount_of(coinsurance),
                amount_of(copay),
            )
        adjusted = by_event.get(event_id)
        history = found.get(claim_id)
        if history is None:
            history = found[claim_id] = []
        history.append(
            ClaimEvent(
                event_id,
                kinds[kind],
                days.get(on) or day(on),  # type: ignore[arg-type]
                moment(at),
                by,
                note,
                None if received is None else day(received),
                level,
                reasons[reason] if reason is not None else None,
                number,
                methods[method] if method is not None else None,
                amounts,
                tuple(adjusted) if adjusted else (),
            )
        )
    return found


def load_event_facts(session: Session, claim_ids: Sequence[int] | None = None) -> dict[int, list[EventFact]]:
    """What deadline derivation reads of every event (kind, dates, level, reason) of the given claims,
    or of all claims, in one query: the calendar and the due list derive 100,000 claims' deadlines
    from these, without building whole recorded events."""
    e = ClaimEventEntry
    query = select(
        e.claim_id,
        raw_column(e.kind),
        raw_column(e.business_date),
        raw_column(e.received_on),
        e.appeal_level,
        raw_column(e.close_reason),
    )
    if claim_ids is not None:
        wanted = list(claim_ids)
        if not wanted:
            return {}
        query = query.where(e.claim_id.in_(wanted))
    convert = ValueConverter()
    day, days = convert.day, convert.days
    kinds = {k.value: k for k in EventKind}
    reasons = {r.value: r for r in CloseReason}
    found: dict[int, list[EventFact]] = {} if claim_ids is None else {i: [] for i in claim_ids}
    with bulk_allocation():
        for claim_id, kind, on, received, level, reason in driver_rows(
            session, query.order_by(e.claim_id, e.sequence)
        ):
            history = found.get(claim_id)
            if history is None:
                history = found[claim_id] = []
            history.append(
                EventFact(
                    kinds[kind],
                    days.get(on) or day(on),  # type: ignore[arg-type]
                    None if received is None else day(received),
                    level,
                    None if reason is None else reasons[reason],
                )
            )
    return found


def service_dates_of(session: Session, claim_ids: Sequence[int]) -> dict[int, list[date]]:
    """The service dates of each claim's lines, for many claims in one query."""
    found: dict[int, list[date]] = {i: [] for i in claim_ids}
    convert = ValueConverter()
    for claim_id, on in session.connection().execute(
        select(ClaimLineEntry.claim_id, raw_column(ClaimLineEntry.service_date)).where(
            ClaimLineEntry.claim_id.in_(list(claim_ids))
        )
    ):
        found[claim_id].append(convert.day(on))  # type: ignore[arg-type]
    return found


def load_events(session: Session, claim_ids: Sequence[int]) -> dict[int, list[ClaimEvent]]:
    """Each claim's events with their adjustments (an empty list for a claim without any)."""
    return load_event_sets(session, claim_ids)


def service_dates(session: Session, claim_id: int) -> list[date]:
    return service_dates_of(session, [claim_id])[claim_id]
