"""Denial triage: what a recorded EOB or denial means, read by group code (CO, PR, OA, PI), reason
code (CARC) and remark codes (RARC), turned into plain words for the person and the next step.

The route decides what kettrack offers next (a patient balance, a corrected claim, the authorization
route, an appeal and which arguments the appeal letter carries). Words for the person (``explanation``,
``next_step``) are advice: they never go into a letter sent to a payer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kettrack.core.claims import Adjustment


class TriageRoute(StrEnum):
    """What to do about an EOB or denial."""

    PAID_AS_EXPECTED = "paid_as_expected"  # PR-1/2/3, CO-45 with the plan paying the rest
    CORRECTED_CLAIM = "corrected_claim"  # CO-16, MA130, M119, M51, M76, N-codes: information missing
    AUTHORIZATION = "authorization"  # CO-197, CO-15, CO-198
    MEDICAL_NECESSITY = "medical_necessity"  # CO-50, CO-167, CO-11
    EXPERIMENTAL = "experimental"  # CO-55, CO-56: evidence arguments
    TIMELY_FILING = "timely_filing"  # CO-29
    NETWORK_GAP = "network_gap"  # CO-242, CO-243
    COORDINATION_OF_BENEFITS = "coordination_of_benefits"  # CO-22, N479
    DUPLICATE = "duplicate"  # CO-18
    UNKNOWN = "unknown"  # codes kettrack does not understand: the payer's general appeal rule


@dataclass(frozen=True)
class Triage:
    """The reading of one EOB or denial."""

    route: TriageRoute
    explanation: str  # plain words for the person: what the payer said
    next_step: str  # plain words for the person: what to do next
    codes: tuple[str, ...] = ()  # the codes read, like ("CO-197", "N54")
    unknown_codes: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # for a corrected claim: what information is missing
    patient_share: Decimal = Decimal("0.00")  # PR adjustments (or the stated deductible/coinsurance/copay)


def triage(
    adjustments: Iterable[Adjustment],
    remarks: Iterable[str] = (),
    *,
    billed: Decimal | None = None,
    paid: Decimal | None = None,
    patient_share: Decimal | None = None,
) -> Triage:
    """Read an EOB or denial. Filled in by the triage work of issue 11."""
    raise NotImplementedError
