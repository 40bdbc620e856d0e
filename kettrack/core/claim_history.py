"""What a person records about a claim: who files it and how, its events as recorded (append-only),
and what an EOB says (its amounts and adjustment lines by group, reason and remark codes).

Plain data; the claim's money is ``kettrack.core.claim_money``, its states ``claim_states``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from kettrack.core.claim_states import CloseReason, EventKind, Transition
from kettrack.core.enums import LabeledEnum

ZERO = Decimal("0.00")
# Reason codes of a payment's contractual reduction: the part of the charge above the plan's allowance.
WRITE_OFFS = frozenset({"45"})
# Reason codes of the patient's cost sharing (group PR), by the EobAmounts field each one fills.
COST_SHARES: dict[str, str] = {"1": "deductible", "2": "coinsurance", "3": "copay"}


class Filer(LabeledEnum):
    """Who sends the claim: the patient (out of network, usually) or the clinic."""

    PATIENT = "patient"
    CLINIC = "clinic"


class SubmitMethod(LabeledEnum):
    PORTAL = "portal"
    MAIL = "mail"
    FAX = "fax"
    CLEARINGHOUSE = "clearinghouse"


class GroupCode(LabeledEnum):
    """Who an adjustment is charged to (X12 claim adjustment group codes)."""

    CO = "CO"  # contractual obligation: the provider writes it off
    PR = "PR"  # patient responsibility
    OA = "OA"  # other adjustment
    PI = "PI"  # payer-initiated reduction

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    GroupCode.CO: "CO: contractual (provider writes off)",
    GroupCode.PR: "PR: patient responsibility",
    GroupCode.OA: "OA: other adjustment",
    GroupCode.PI: "PI: payer-initiated reduction",
}

# Events that carry a payer's decision with money (an EOB or a denial letter).
DECISION_EVENTS = frozenset({EventKind.PAID, EventKind.PARTIALLY_PAID, EventKind.DENIED})
# Events whose notice starts an appeal clock (the date on the letter, and when it arrived).
NOTICE_EVENTS = DECISION_EVENTS | {EventKind.APPEAL_UPHELD, EventKind.APPEAL_OVERTURNED}


@dataclass(frozen=True)
class Adjustment:
    """One adjustment line of an EOB: group, reason (CARC), remark codes (RARC) and amount."""

    group: GroupCode
    reason: str
    amount: Decimal
    remarks: str = ""


@dataclass(frozen=True)
class EobAmounts:
    """What an EOB says about the money; any may be unknown (None)."""

    allowed: Decimal | None = None
    paid: Decimal | None = None
    deductible: Decimal | None = None
    coinsurance: Decimal | None = None
    copay: Decimal | None = None

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a for a in (self.deductible, self.coinsurance, self.copay) if a is not None), ZERO)

    def is_empty(self) -> bool:
        values = (self.allowed, self.paid, self.deductible, self.coinsurance, self.copay)
        return all(v is None for v in values)


@dataclass(frozen=True)
class NewEvent:
    """An event as a person records it (the store adds its id, recording time and author)."""

    kind: EventKind
    on: date  # the business date: the day it happened, which may lie in the past
    note: str = ""
    received_on: date | None = None  # for a notice: the day it arrived (appeal clocks count from it)
    appeal_level: str | None = None
    close_reason: CloseReason | None = None
    payer_claim_number: str = ""
    method: SubmitMethod | None = None
    amounts: EobAmounts = field(default_factory=EobAmounts)
    adjustments: tuple[Adjustment, ...] = ()

    def transition(self) -> Transition:
        return Transition(self.kind, self.appeal_level, self.close_reason)


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    claim_id: int
    event_id: int | None
    original_name: str
    media_type: str
    size: int
    sha256: str
    added_at: datetime
    description: str = ""


@dataclass(frozen=True)
class ClaimEvent:
    """A recorded event: never changed once written."""

    id: int
    kind: EventKind
    on: date
    recorded_at: datetime
    recorded_by: str
    note: str = ""
    received_on: date | None = None
    appeal_level: str | None = None
    close_reason: CloseReason | None = None
    payer_claim_number: str = ""
    method: SubmitMethod | None = None
    amounts: EobAmounts = field(default_factory=EobAmounts)
    adjustments: tuple[Adjustment, ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()

    def transition(self) -> Transition:
        return Transition(self.kind, self.appeal_level, self.close_reason)

    def describe(self) -> str:
        what = self.kind.label
        if self.kind is EventKind.APPEAL_FILED and self.appeal_level:
            what = f"Appeal filed ({self.appeal_level.replace('_', ' ')})"
        if self.kind is EventKind.CLOSED and self.close_reason:
            what = f"Closed: {self.close_reason.label.lower()}"
        return what
