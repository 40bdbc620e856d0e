"""What a new claim is made of, checked before it is written: its lines (from an issued superbill,
the lines chosen, or a primary claim's lines for a secondary claim), never lines already on a claim
to the same plan, and the claims it corrects or follows (a corrected claim replaces one for the same
patient; a secondary claim follows the primary plan's decision).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kettrack.core.claim_states import ClaimState, CloseReason
from kettrack.core.claims import ClaimLine, NewClaim
from kettrack.core.enums import CoverageRank
from kettrack.core.problems import InvalidInput
from kettrack.store.models import Claim, ClaimLineEntry, Coverage, Infusion, ServiceLine, SuperbillLine

__all__ = ["DECIDED_STATES", "check_links", "lines_for", "refuse_double_billing"]

# The states in which a plan has decided a claim: a secondary claim starts from such a decision.
DECIDED_STATES = {
    ClaimState.PAID,
    ClaimState.PARTIALLY_PAID,
    ClaimState.DENIED,
    ClaimState.APPEAL_DECIDED,
    ClaimState.CLOSED,
}


def lines_for(session: Session, new: NewClaim, coverage: Coverage) -> list[ClaimLine]:
    """The lines the new claim bills, checked to be the coverage's patient's."""
    ids = list(new.service_line_ids)
    if new.superbill_id is not None and not ids:
        ids = list(
            session.scalars(
                select(SuperbillLine.service_line_id).where(SuperbillLine.superbill_id == new.superbill_id)
            )
        )
        if not ids:
            raise InvalidInput.single("superbill", f"there is no issued superbill with id {new.superbill_id}")
    if not ids and new.primary_claim_id is not None:
        rows = session.scalars(
            select(ClaimLineEntry)
            .where(ClaimLineEntry.claim_id == new.primary_claim_id)
            .order_by(ClaimLineEntry.position)
        ).all()
        return [
            ClaimLine(r.service_line_id, r.service_date, r.code, r.modifiers, r.units, r.charge) for r in rows
        ]
    if not ids:
        raise InvalidInput.single("lines", "a claim needs service lines: start it from an issued superbill")
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
        refuse_double_billing(session, ids, coverage)
    return [
        ClaimLine(line.id, line.service_date, line.code, line.modifiers, line.units, line.charge)
        for line, _ in found
    ]


def refuse_double_billing(session: Session, ids: list[int], coverage: Coverage) -> None:
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


def check_links(session: Session, new: NewClaim, coverage: Coverage) -> Claim | None:
    """Check the claim the new one corrects and the primary claim it follows; returns the corrected
    claim (None: it corrects none)."""
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
        if primary.state not in DECIDED_STATES:
            raise InvalidInput.single(
                "primary", "the primary plan has not decided yet: the secondary claim starts from its EOB"
            )
    return replaced
