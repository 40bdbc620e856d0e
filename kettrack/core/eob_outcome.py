"""What a recorded EOB or denial means, decided once for the window and the command line alike: the
faces pass what the person typed (amounts, adjustments, and "paid in full" or "partly paid" only
when the person said so), and these rules decide what is recorded."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kettrack.core.claim_states import EventKind
from kettrack.core.claims import ZERO, Adjustment, EobAmounts, GroupCode


def denial_amounts(allowed: Decimal | None = None) -> EobAmounts:
    """A denial pays nothing: it is recorded as paid 0.00 (so the claim's money shows the whole amount
    still open), with the allowed amount when the notice states one."""
    return EobAmounts(allowed=allowed, paid=ZERO)


def eob_kind(
    outstanding: Decimal,
    amounts: EobAmounts,
    adjustments: Iterable[Adjustment] = (),
    stated: EventKind | None = None,
) -> EventKind:
    """Paid in full or partly paid: what the person stated, else decided from the amounts.

    In full when the payment, the contractual write-offs (group CO: the provider may not bill them)
    and the patient's share (group PR, or the deductible, coinsurance and copay stated on the EOB)
    together cover what was still open on the claim; partly paid otherwise."""
    if stated is not None:
        if stated not in (EventKind.PAID, EventKind.PARTIALLY_PAID):
            raise ValueError(f"an EOB is paid or partly paid, not {stated.value}")
        return stated
    adjusted = list(adjustments)
    written_off = sum((a.amount for a in adjusted if a.group is GroupCode.CO), ZERO)
    patient_share = sum((a.amount for a in adjusted if a.group is GroupCode.PR), ZERO)
    patient_share = max(patient_share, amounts.patient_responsibility)
    covered = (amounts.paid or ZERO) + written_off + patient_share
    return EventKind.PAID if covered >= outstanding else EventKind.PARTIALLY_PAID
