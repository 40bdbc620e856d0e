"""Claims as plain data: what a person records about a submission and what the window shows of it.

A claim's money and status come from its events (submission, EOBs, denials, appeals, decisions);
the store keeps the events append-only and derives everything else from them through this module
and ``claim_states``. Nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from kettrack.core.claim_states import ClaimState, CloseReason, EventKind, Status, Transition
from kettrack.core.deadlines import Deadline, DeadlineKind
from kettrack.core.enums import AuthStatus, CoverageRank, LabeledEnum, PayerKind

if TYPE_CHECKING:
    from kettrack.core.denial_triage import Triage

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


@dataclass(frozen=True)
class Money:
    """A claim's money, derived from its billed lines and its EOB events."""

    billed: Decimal = ZERO
    allowed: Decimal | None = None
    paid: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO
    copay: Decimal = ZERO
    adjustments: tuple[Adjustment, ...] = ()
    written_off: Decimal = ZERO
    balance: Decimal = ZERO  # PR-45: above the allowance, the patient's (out of network)

    @property
    def patient_responsibility(self) -> Decimal:
        return self.deductible + self.coinsurance + self.copay + self.balance

    @property
    def outstanding(self) -> Decimal:
        """What the payer may still owe: billed, less payments, the contractual reduction to the plan's
        allowance (CO-45) and the patient's own share. Other CO codes (not necessary, no authorization,
        bundled) stay outstanding: they are what an appeal argues against."""
        return max(ZERO, self.billed - self.paid - self.written_off - self.patient_responsibility)


def cost_shares(adjustments: tuple[Adjustment, ...] | list[Adjustment]) -> EobAmounts | None:
    """The patient's deductible, coinsurance and copay as an EOB's PR-1/PR-2/PR-3 lines state them;
    None when it has none (a person often types the share as adjustment lines, not as amounts)."""
    found: dict[str, Decimal] = {}
    for adjustment in adjustments:
        name = COST_SHARES.get(adjustment.reason) if adjustment.group is GroupCode.PR else None
        if name is not None:
            found[name] = found.get(name, ZERO) + adjustment.amount
    return EobAmounts(**found) if found else None  # type: ignore[arg-type]


def contractual_reduction(
    billed: Decimal, allowed: Decimal | None, adjustments: tuple[Adjustment, ...] | list[Adjustment]
) -> Decimal:
    """The part of ``billed`` above the plan's allowance on one EOB: its CO-45 lines, or, when it has
    none but states the allowed amount, what lies between the charge and the allowance beyond the
    other reductions (a person who typed only the patient's share leaves it implicit)."""
    lines = [a for a in adjustments if a.reason in WRITE_OFFS and a.group is not GroupCode.PR]
    if lines:
        return sum((a.amount for a in lines), ZERO)
    if allowed is None:
        return ZERO
    others = sum(
        (
            a.amount
            for a in adjustments
            if a.group is not GroupCode.PR and a.reason not in WRITE_OFFS and a.reason not in COST_SHARES
        ),
        ZERO,
    )
    return max(ZERO, billed - allowed - others)


def money_of(billed: Decimal, events: tuple[ClaimEvent, ...] | list[ClaimEvent]) -> Money:
    """The claim's money: payments add up over EOBs (an appeal's payment comes on top of the first);
    allowed and patient shares are those of the latest EOB that states them (as amounts, or else as
    PR-1/PR-2/PR-3 adjustment lines)."""
    paid = ZERO
    allowed: Decimal | None = None
    deductible = coinsurance = copay = balance = ZERO
    adjustments: list[Adjustment] = []
    written_off = ZERO
    for event in events:
        amounts = event.amounts
        if amounts.paid is not None:
            paid += amounts.paid
        if amounts.allowed is not None:
            allowed = amounts.allowed
        stated = (amounts.deductible, amounts.coinsurance, amounts.copay)
        shares = amounts if any(a is not None for a in stated) else cost_shares(event.adjustments)
        if shares is not None:
            deductible = shares.deductible or ZERO
            coinsurance = shares.coinsurance or ZERO
            copay = shares.copay or ZERO
        if event.adjustments:
            adjustments = list(event.adjustments)  # a later EOB restates the adjustments
            balance = sum(
                (a.amount for a in event.adjustments if a.group is GroupCode.PR and a.reason in WRITE_OFFS),
                ZERO,
            )
        if event.kind in (EventKind.PAID, EventKind.PARTIALLY_PAID) and (
            event.adjustments or amounts.allowed is not None
        ):
            # The allowance is the plan's for the whole claim, so it is measured against the charge.
            written_off = contractual_reduction(billed, amounts.allowed, event.adjustments)
    return Money(
        billed, allowed, paid, deductible, coinsurance, copay, tuple(adjustments), written_off, balance
    )


@dataclass(frozen=True)
class ClaimLine:
    """A service line the claim bills (copied when the claim is made, so history stays true)."""

    service_line_id: int | None
    service_date: date
    code: str
    modifiers: str
    units: int
    charge: Decimal


@dataclass(frozen=True)
class NewClaim:
    """A claim as a person starts it: usually from an issued superbill."""

    coverage_id: int
    superbill_id: int | None = None
    service_line_ids: tuple[int, ...] = ()
    filer: Filer = Filer.PATIENT
    method: SubmitMethod = SubmitMethod.MAIL
    replaces_id: int | None = None
    primary_claim_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class NextStep:
    """The one thing to do next on a claim, as the dashboard and the claims table show it."""

    kind: DeadlineKind
    due: date
    action: str
    explanation: str
    confirmed: bool = True


@dataclass(frozen=True)
class ClaimRow:
    """A claim as the Claims table and the dashboard list it."""

    id: int
    number: str
    patient_id: int
    patient_name: str
    payer_id: int
    payer_name: str
    payer_kind: PayerKind
    rank: CoverageRank
    state: ClaimState
    status_text: str
    first_service: date
    last_service: date
    billed: Decimal
    paid: Decimal
    outstanding: Decimal
    payer_claim_number: str
    next_due: date | None
    next_action: str
    next_kind: DeadlineKind | None
    next_confirmed: bool = True

    def is_overdue(self, today: date) -> bool:
        return self.next_due is not None and self.next_due < today


@dataclass(frozen=True)
class PriorAuthInfo:
    id: int
    patient_id: int
    coverage_id: int
    auth_number: str
    status: str
    requested_on: date | None
    decided_on: date | None
    codes: str
    units: int | None
    valid_from: date | None
    valid_to: date | None
    notes: str = ""
    claim_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LetterInfo:
    """An issued appeal letter: its number, level, file and SHA-256."""

    id: int
    claim_id: int
    number: str
    level: str
    issued_at: datetime
    file_name: str
    sha256: str


@dataclass(frozen=True)
class ClaimDetail:
    """Everything the claim view shows: the row, its lines, timeline, money and deadlines."""

    row: ClaimRow
    coverage_id: int
    member_id: str
    filer: Filer
    method: SubmitMethod
    superbill_id: int | None
    replaces_id: int | None
    replaced_by_id: int | None
    primary_claim_id: int | None
    status: Status
    lines: tuple[ClaimLine, ...]
    events: tuple[ClaimEvent, ...]
    money: Money
    deadlines: tuple[Deadline, ...]
    attachments: tuple[AttachmentInfo, ...]
    auths: tuple[PriorAuthInfo, ...]
    letters: tuple[LetterInfo, ...]
    rules_confirmed: bool = True
    triage: Triage | None = None  # what the latest EOB or denial says, and the next step it leads to


@dataclass(frozen=True)
class DueItem:
    """A line of the dashboard: a claim (or an authorization) with the thing to do and by when."""

    due: date
    action: str
    explanation: str
    claim_id: int | None
    claim_number: str
    patient_name: str
    payer_name: str
    kind: DeadlineKind
    confirmed: bool = True
    auth_id: int | None = None
    session_id: int | None = None  # a session's Spravato REMS form (kettrack.core.rems)

    def days_left(self, today: date) -> int:
        return (self.due - today).days


@dataclass(frozen=True)
class Totals:
    billed: Decimal = ZERO
    reimbursed: Decimal = ZERO
    outstanding: Decimal = ZERO
    open_claims: int = 0


@dataclass(frozen=True)
class Dashboard:
    today: date
    overdue: tuple[DueItem, ...]
    within_7: tuple[DueItem, ...]
    within_30: tuple[DueItem, ...]
    totals: Totals
    later: tuple[DueItem, ...] = ()  # the next few steps beyond 30 days, so every open claim has a line


@dataclass(frozen=True)
class ClaimFilter:
    states: tuple[ClaimState, ...] = ()
    payer_id: int | None = None
    patient_id: int | None = None
    overdue_only: bool = False
    open_only: bool = False
    text: str = ""


@dataclass(frozen=True)
class NewPriorAuth:
    coverage_id: int
    status: AuthStatus
    auth_number: str = ""
    requested_on: date | None = None
    decided_on: date | None = None
    codes: str = ""
    units: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    notes: str = ""
    claim_ids: tuple[int, ...] = ()
