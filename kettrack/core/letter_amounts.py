"""The amount a letter says is in dispute: what the plan should still pay on the disputed lines.

That is the disputed lines' charges, less what the plan paid on them and the patient's own share
(deductible, coinsurance, copay, whether stated as amounts or as PR adjustment lines), and less the
contractual reduction (CO-45), which a contract settles and an appeal does not. Never the whole claim
when only part of it was refused.

EOBs here are kept per claim, not per line: when only some lines are disputed, the plan's payment
and the patient's share are taken to belong to the other lines first (a refused line is usually
paid nothing), so the amount is the smaller of those lines' charges and what is open on the claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kettrack.core.claims import ZERO, Adjustment, GroupCode, Money


@dataclass(frozen=True)
class DisputeLine:
    """A billed line of the claim: its position, date, code and charge."""

    position: int
    service_date: date
    code: str
    charge: Decimal


def patient_share(money: Money, adjustments: Iterable[Adjustment]) -> Decimal:
    """The patient's share: the stated deductible, coinsurance and copay, or the PR adjustment lines
    when those say more (an EOB typed in as adjustment lines only)."""
    from_lines = sum((a.amount for a in adjustments if a.group is GroupCode.PR), ZERO)
    return max(money.patient_responsibility, from_lines)


def open_amount(money: Money, adjustments: Iterable[Adjustment]) -> Decimal:
    """What is open on the whole claim: billed less paid, the patient's share and the contractual
    reduction (CO-45)."""
    adjustments = tuple(adjustments)
    contractual = max(
        money.written_off,
        sum((a.amount for a in adjustments if a.group is GroupCode.CO and a.reason == "45"), ZERO),
    )
    return max(ZERO, money.billed - money.paid - patient_share(money, adjustments) - contractual)


def amount_in_dispute(
    lines: Sequence[DisputeLine],
    disputed: Iterable[int] | None,
    money: Money,
    adjustments: Iterable[Adjustment],
) -> Decimal:
    """The amount in dispute on the ``disputed`` line positions (None or empty: every line)."""
    chosen = set(disputed or ())
    open_on_claim = open_amount(money, adjustments)
    if not chosen or chosen >= {line.position for line in lines}:
        return open_on_claim
    charges = sum((line.charge for line in lines if line.position in chosen), ZERO)
    return min(charges, open_on_claim)


def disputed_dates(lines: Sequence[DisputeLine], disputed: Iterable[int] | None) -> tuple[date, ...]:
    """The dates of service of the disputed lines (every line's when none are chosen)."""
    chosen = set(disputed or ())
    picked = [line.service_date for line in lines if not chosen or line.position in chosen]
    return tuple(sorted(set(picked)))
