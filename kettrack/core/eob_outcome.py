"""What a recorded EOB or denial means, decided once for the window and the command line alike: the
faces pass what the person typed (amounts, adjustments, and "paid in full" or "partly paid" only
when the person said so), and these rules decide what is recorded."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kettrack.core.claim_states import EventKind
from kettrack.core.claims import ZERO, Adjustment, EobAmounts
from kettrack.core.denial_triage import TriageRoute, triage


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
    """Paid in full or partly paid: what the person stated, else decided from the EOB by the denial
    triage (kettrack.core.denial_triage), the one reading of an EOB.

    Paid when the EOB is paid as expected: nothing on it refuses anything (only the patient's share,
    PR-1/PR-2/PR-3, and the contractual reduction, CO-45, beside the payment), and the payment, the
    reduction (CO-45 lines, or billed less the allowed amount) and the patient's share (PR lines or
    the deductible, coinsurance and copay stated) cover what was still open; partly paid otherwise."""
    if stated is not None:
        if stated not in (EventKind.PAID, EventKind.PARTIALLY_PAID):
            raise ValueError(f"an EOB is paid or partly paid, not {stated.value}")
        return stated
    reading = triage(
        adjustments,
        billed=outstanding,
        paid=amounts.paid or ZERO,
        patient_share=amounts.patient_responsibility,
        allowed=amounts.allowed,
    )
    return EventKind.PAID if reading.route is TriageRoute.PAID_AS_EXPECTED else EventKind.PARTIALLY_PAID
