"""Claim records in the database, read in sets: each claim's events with their adjustments, the service
dates of its lines, the payer's rules, attachments and prior authorizations as plain data
(``kettrack.core.claims``). The claims service and the read models (``claim_views``) build on these;
whole-database work (the check, deadline derivation, the calendar) reads 100,000 claims' histories
with ``load_event_sets`` in two queries of plain columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

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


def _event_of(row: ClaimEventEntry, adjustments: Sequence[Adjustment] = (), attachments=()) -> ClaimEvent:  # type: ignore[no-untyped-def]
    return ClaimEvent(
        id=row.id,
        kind=row.kind,
        on=row.business_date,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        note=row.note,
        received_on=row.received_on,
        appeal_level=row.appeal_level,
        close_reason=row.close_reason,
        payer_claim_number=row.payer_claim_number,
        method=row.method,
        amounts=EobAmounts(row.allowed, row.paid, row.deductible, row.coinsurance, row.copay),
        adjustments=tuple(adjustments),
        attachments=tuple(attachments),
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


def _raw(column: Any) -> Any:
    """A column read as the driver returns it: the typed columns' per-value conversion (hundreds of
    thousands of calls over a clinic's history) is done below with caches instead."""
    return type_coerce(column, NullType())


class _Converter:
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
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def load_event_sets(session: Session, claim_ids: Sequence[int] | None = None) -> dict[int, list[ClaimEvent]]:
    """Every event (with its adjustments) of the given claims, or of all claims, in two queries of
    plain columns: whole-database work (the check, deadline derivation, the calendar) reads 100,000
    claims' histories at once instead of building ORM objects claim by claim."""
    e = ClaimEventEntry
    events = select(
        e.claim_id,
        e.id,
        _raw(e.kind),
        _raw(e.business_date),
        _raw(e.recorded_at),
        e.recorded_by,
        e.note,
        _raw(e.received_on),
        e.appeal_level,
        _raw(e.close_reason),
        e.payer_claim_number,
        _raw(e.method),
        _raw(e.allowed),
        _raw(e.paid),
        _raw(e.deductible),
        _raw(e.coinsurance),
        _raw(e.copay),
    )
    a = ClaimAdjustmentEntry
    adjustments = select(a.event_id, _raw(a.group_code), a.reason, _raw(a.amount), a.remarks)
    if claim_ids is not None:
        wanted = list(claim_ids)
        if not wanted:
            return {}
        events = events.where(e.claim_id.in_(wanted))
        adjustments = adjustments.join(e, e.id == a.event_id).where(e.claim_id.in_(wanted))
    convert = _Converter()
    kinds = {k.value: k for k in EventKind}
    reasons = {r.value: r for r in CloseReason}
    methods = {m.value: m for m in SubmitMethod}
    groups = {g.value: g for g in GroupCode}
    # Core rows through the session's connection: the ORM's row handling would cost seconds here.
    connection = session.connection()
    by_event: dict[int, list[Adjustment]] = {}
    for event_id, group, reason, amount, remarks in connection.execute(
        adjustments.order_by(a.event_id, a.position)
    ).all():
        by_event.setdefault(event_id, []).append(
            Adjustment(groups[group], reason, convert.amount(amount), remarks)  # type: ignore[arg-type]
        )
    found: dict[int, list[ClaimEvent]] = {} if claim_ids is None else {i: [] for i in claim_ids}
    day, amount_of, moment = convert.day, convert.amount, convert.moment
    for row in connection.execute(events.order_by(e.claim_id, e.sequence)).all():
        money = row[12:17]
        amounts = (
            _NO_AMOUNTS
            if money == (None, None, None, None, None)
            else EobAmounts(*(amount_of(m) for m in money))
        )
        adjusted = by_event.get(row[1])
        found.setdefault(row[0], []).append(
            ClaimEvent(
                row[1],
                kinds[row[2]],
                day(row[3]),  # type: ignore[arg-type]
                moment(row[4]),
                row[5],
                row[6],
                day(row[7]),
                row[8],
                reasons[row[9]] if row[9] is not None else None,
                row[10],
                methods[row[11]] if row[11] is not None else None,
                amounts,
                tuple(adjusted) if adjusted else (),
            )
        )
    return found


def service_dates_of(session: Session, claim_ids: Sequence[int]) -> dict[int, list[date]]:
    """The service dates of each claim's lines, for many claims in one query."""
    found: dict[int, list[date]] = {i: [] for i in claim_ids}
    convert = _Converter()
    for claim_id, on in session.connection().execute(
        select(ClaimLineEntry.claim_id, _raw(ClaimLineEntry.service_date)).where(
            ClaimLineEntry.claim_id.in_(list(claim_ids))
        )
    ):
        found[claim_id].append(convert.day(on))  # type: ignore[arg-type]
    return found


def load_events(session: Session, claim_ids: Sequence[int]) -> dict[int, list[ClaimEvent]]:
    rows = session.scalars(
        select(ClaimEventEntry)
        .where(ClaimEventEntry.claim_id.in_(claim_ids))
        .order_by(ClaimEventEntry.claim_id, ClaimEventEntry.sequence)
    ).all()
    adjustments: dict[int, list[Adjustment]] = {}
    if rows:
        for adj in session.scalars(
            select(ClaimAdjustmentEntry)
            .where(ClaimAdjustmentEntry.event_id.in_([r.id for r in rows]))
            .order_by(ClaimAdjustmentEntry.event_id, ClaimAdjustmentEntry.position)
        ):
            adjustments.setdefault(adj.event_id, []).append(
                Adjustment(adj.group_code, adj.reason, adj.amount, adj.remarks)
            )
    found: dict[int, list[ClaimEvent]] = {claim_id: [] for claim_id in claim_ids}
    for row in rows:
        found[row.claim_id].append(_event_of(row, adjustments.get(row.id, ())))
    return found


def service_dates(session: Session, claim_id: int) -> list[date]:
    return list(
        session.scalars(select(ClaimLineEntry.service_date).where(ClaimLineEntry.claim_id == claim_id))
    )
