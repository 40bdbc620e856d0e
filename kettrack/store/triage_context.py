"""What a claim's denial triage (``kettrack.core.denial_triage``) needs besides its events, read from
the database: who uses kettrack (a clinic bills the patient's share, a patient has nothing to chase),
who filed the claim, the prior authorizations on file for it (linked to it, or approved for its
coverage) and the person's own words for reason codes. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kettrack.core.claims import Filer
from kettrack.core.denial_triage import TriageContext
from kettrack.core.enums import AuthStatus, UserRole
from kettrack.store.claim_records import auth_of
from kettrack.store.models import AppSetting, ClaimAuthorization, PriorAuthorization, ReasonCodeEntry
from kettrack.store.settings import ROLE

__all__ = ["code_words", "triage_context", "user_role"]


class ClaimFacts(Protocol):
    """What the context reads of a claim (the ORM row has it)."""

    @property
    def id(self) -> int: ...
    @property
    def coverage_id(self) -> int: ...
    @property
    def filer(self) -> Filer: ...


def user_role(session: Session) -> UserRole | None:
    """The role set at first run (``kettrack.store.settings``), or None."""
    row = session.get(AppSetting, ROLE)
    if row is None or row.value not in {r.value for r in UserRole}:
        return None
    return UserRole(row.value)


def code_words(session: Session) -> dict[tuple[str, str], str]:
    """The person's own descriptions of reason and remark codes, by (code, "carc"/"rarc")."""
    return {(row.code, row.kind): row.description for row in session.scalars(select(ReasonCodeEntry))}


def triage_context(
    session: Session,
    claim: ClaimFacts,
    service_dates: Sequence[date],
    *,
    role: UserRole | None = None,
    words: dict[tuple[str, str], str] | None = None,
) -> TriageContext:
    """The context of ``claim``'s triage (``role`` read here unless given; ``words`` only when the
    explanation is shown, not for the stored next step)."""
    linked = select(ClaimAuthorization.auth_id).where(ClaimAuthorization.claim_id == claim.id)
    auths = session.scalars(
        select(PriorAuthorization)
        .where(
            or_(
                PriorAuthorization.id.in_(linked),
                (PriorAuthorization.coverage_id == claim.coverage_id)
                & (PriorAuthorization.status == AuthStatus.APPROVED),
            )
        )
        .order_by(PriorAuthorization.id)
    ).all()
    return TriageContext(
        role=role if role is not None else user_role(session),
        filer=claim.filer,
        auths=tuple(auth_of(a) for a in auths),
        service_dates=tuple(sorted(set(service_dates))),
        words=words or {},
    )
