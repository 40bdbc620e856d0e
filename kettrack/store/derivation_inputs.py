"""What re-deriving many claims at once reads and writes, in sets: the claims (what derivation reads of
each and what it stored last time), the service dates of their lines, each claim's triage context
(``kettrack.store.triage_context``, built here from a handful of queries instead of two per claim), and
the derived columns written back for the claims whose values changed.

The claims service re-derives with these after an upgrade, a change of the user's role and a new or
linked prior authorization (``kettrack.services.claim_derivation.rederive_in``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import false, select, update
from sqlalchemy.orm import Session

from kettrack.core.claim_states import ClaimState, CloseReason
from kettrack.core.claims import ZERO, Filer, PriorAuthInfo
from kettrack.core.deadlines import DeadlineKind
from kettrack.core.denial_triage import TriageContext
from kettrack.core.enums import AuthStatus, UserRole
from kettrack.store.claim_records import ValueConverter, auth_of, driver_rows, raw_column
from kettrack.store.models import Claim, ClaimAuthorization, ClaimLineEntry, PriorAuthorization
from kettrack.store.triage_context import user_role

__all__ = [
    "DERIVED_COLUMNS",
    "ClaimToDerive",
    "TriageContexts",
    "claims_to_derive",
    "service_dates_by_claim",
    "write_derived",
]

# The claim row's columns that derivation writes (kettrack.services.claim_derivation.derive).
DERIVED_COLUMNS = (
    "state",
    "closed",
    "appeal_level",
    "outcome",
    "close_reason",
    "paid",
    "outstanding",
    "event_count",
    "next_due",
    "next_kind",
    "next_action",
    "next_trigger",
    "next_confirmed",
)


@dataclass(frozen=True)
class ClaimToDerive:
    """What derivation reads of a claim, and the derived columns it holds now."""

    id: int
    payer_id: int
    coverage_id: int
    filer: Filer
    billed: Decimal
    stored: Mapping[str, object] = field(default_factory=dict)


def claims_to_derive(
    session: Session,
    *,
    claim_ids: Sequence[int] | None = None,
    patient_id: int | None = None,
    open_only: bool = True,
) -> list[ClaimToDerive]:
    """The claims named (or all), of one patient when ``patient_id`` is given, open ones only unless
    ``open_only`` is False, in one query, with the derived columns they hold (compared with what is
    derived, so only the claims that change are written)."""
    c = Claim
    query = select(
        c.id,
        c.payer_id,
        c.coverage_id,
        raw_column(c.filer),
        raw_column(c.billed),
        raw_column(c.state),
        c.closed,
        c.appeal_level,
        c.outcome,
        raw_column(c.close_reason),
        raw_column(c.paid),
        raw_column(c.outstanding),
        c.event_count,
        raw_column(c.next_due),
        raw_column(c.next_kind),
        c.next_action,
        raw_column(c.next_trigger),
        c.next_confirmed,
    )
    if open_only:
        query = query.where(c.closed == false())
    if patient_id is not None:
        query = query.where(c.patient_id == patient_id)
    # Plain driver rows converted here with caches: 100,000 claims' typed rows cost seconds.
    convert = ValueConverter()
    day, amount = convert.day, convert.amount
    filers = {f.value: f for f in Filer}
    states = {s.value: s for s in ClaimState}
    reasons = {r.value: r for r in CloseReason}
    kinds = {k.value: k for k in DeadlineKind}
    found: list[ClaimToDerive] = []
    for chunk in _chunks(claim_ids):
        chosen = query if chunk is None else query.where(c.id.in_(chunk))
        for (
            claim_id,
            payer_id,
            coverage_id,
            filer,
            billed,
            state,
            closed,
            level,
            outcome,
            reason,
            paid,
            outstanding,
            count,
            due,
            kind,
            action,
            trigger,
            confirmed,
        ) in driver_rows(session, chosen.order_by(c.id)):
            stored = {
                "state": states[state],
                "closed": bool(closed),
                "appeal_level": level,
                "outcome": outcome,
                "close_reason": None if reason is None else reasons[reason],
                "paid": amount(paid),
                "outstanding": amount(outstanding),
                "event_count": count,
                "next_due": day(due),
                "next_kind": None if kind is None else kinds[kind],
                "next_action": action,
                "next_trigger": day(trigger),
                "next_confirmed": bool(confirmed),
            }
            billed_amount = amount(billed) or ZERO
            found.append(ClaimToDerive(claim_id, payer_id, coverage_id, filers[filer], billed_amount, stored))
    return found


def service_dates_by_claim(
    session: Session, claim_ids: Sequence[int], *, every: bool = False
) -> dict[int, list[date]]:
    """The service dates of each claim's lines (``every``: read all lines in one query instead of
    naming the claims, for whole-database work)."""
    found: dict[int, list[date]] = {i: [] for i in claim_ids}
    convert = ValueConverter()
    query = select(ClaimLineEntry.claim_id, raw_column(ClaimLineEntry.service_date)).order_by(
        ClaimLineEntry.claim_id, ClaimLineEntry.position
    )
    for chunk in [None] if every else _chunks(claim_ids):
        chosen = query if chunk is None else query.where(ClaimLineEntry.claim_id.in_(chunk))
        for claim_id, on in driver_rows(session, chosen):
            dates = found.get(claim_id)
            if dates is not None:
                dates.append(convert.day(on))  # type: ignore[arg-type]
    return found


class TriageContexts:
    """Each claim's triage context as ``triage_context`` reads it (the role, who filed, the
    authorizations linked to the claim or approved for its coverage), from three queries in all."""

    def __init__(self, session: Session, *, role: UserRole | None = None) -> None:
        self.role = role if role is not None else user_role(session)
        rows = session.scalars(select(PriorAuthorization).order_by(PriorAuthorization.id)).all()
        self.auths: dict[int, PriorAuthInfo] = {row.id: auth_of(row) for row in rows}
        self.approved: dict[int, set[int]] = {}
        for row in rows:
            if row.status is AuthStatus.APPROVED:
                self.approved.setdefault(row.coverage_id, set()).add(row.id)
        self.linked: dict[int, set[int]] = {}
        for claim_id, auth_id in session.execute(
            select(ClaimAuthorization.claim_id, ClaimAuthorization.auth_id)
        ):
            self.linked.setdefault(claim_id, set()).add(auth_id)

    def of(self, claim: ClaimToDerive, service_dates: Iterable[date]) -> TriageContext:
        ids = self.linked.get(claim.id, set()) | self.approved.get(claim.coverage_id, set())
        return TriageContext(
            role=self.role,
            filer=claim.filer,
            auths=tuple(self.auths[i] for i in sorted(ids)),
            service_dates=tuple(sorted(set(service_dates))),
        )


def write_derived(session: Session, changed: Sequence[dict[str, Any]]) -> None:
    """Write the derived columns of the claims that changed (each dict: ``id`` and the columns), in
    executemany batches by primary key."""
    if changed:
        session.execute(update(Claim), list(changed))


_CHUNK = 5_000  # ids named in one IN list: far below SQLite's limit on bound parameters


def _chunks(ids: Sequence[int] | None) -> list[list[int] | None]:
    if ids is None:
        return [None]
    wanted = list(ids)
    return [wanted[n : n + _CHUNK] for n in range(0, len(wanted), _CHUNK)]
