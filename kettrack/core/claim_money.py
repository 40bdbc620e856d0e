"""A claim's money from its billed lines and its EOB events: payments, the plan's allowance, the
patient's share (stated amounts or PR-1/PR-2/PR-3 lines), the contractual reduction and what the payer
may still owe."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kettrack.core.claim_history import (
    COST_SHARES,
    WRITE_OFFS,
    ZERO,
    Adjustment,
    ClaimEvent,
    EobAmounts,
    GroupCode,
)
from kettrack.core.claim_states import EventKind


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
