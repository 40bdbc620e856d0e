"""What an EOB or a denial records is decided once, in core, for both faces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kettrack.core.claim_states import EventKind
from kettrack.core.claims import Adjustment, EobAmounts, GroupCode
from kettrack.core.eob_outcome import denial_amounts, eob_kind

D = Decimal


def test_a_denial_records_that_nothing_was_paid() -> None:
    assert denial_amounts() == EobAmounts(paid=D("0.00"))
    assert denial_amounts(D("120.00")) == EobAmounts(allowed=D("120.00"), paid=D("0.00"))


@pytest.mark.parametrize(
    ("outstanding", "paid", "adjustments", "amounts", "expected"),
    [
        # The plan paid everything that was open.
        ("450.00", "450.00", [], {}, EventKind.PAID),
        # Paid the allowed amount; the rest is a contractual write-off (CO-45).
        ("450.00", "300.00", [("CO", "45", "150.00")], {}, EventKind.PAID),
        # Paid the allowed amount less coinsurance: the patient's share as PR-2 closes the gap.
        ("450.00", "240.00", [("CO", "45", "150.00"), ("PR", "2", "60.00")], {}, EventKind.PAID),
        # The same share stated as coinsurance on the EOB instead of a PR line.
        ("450.00", "240.00", [("CO", "45", "150.00")], {"coinsurance": "60.00"}, EventKind.PAID),
        # Something is still open: partly paid.
        ("450.00", "200.00", [("CO", "45", "150.00")], {}, EventKind.PARTIALLY_PAID),
        # An OA or PI adjustment is not the patient's and not a write-off the provider agreed to.
        ("450.00", "300.00", [("OA", "23", "150.00")], {}, EventKind.PARTIALLY_PAID),
        ("450.00", "0.00", [], {}, EventKind.PARTIALLY_PAID),
        # A normal EOB: the allowance stated, the patient's coinsurance typed as a PR-2 line only.
        ("450.00", "240.00", [("PR", "2", "60.00")], {"allowed": "300.00"}, EventKind.PAID),
        # A refusal beside the payment is not a write-off, whatever its group (CO-50 here).
        (
            "450.00",
            "240.00",
            [("CO", "45", "100.00"), ("CO", "50", "50.00"), ("PR", "2", "60.00")],
            {},
            EventKind.PARTIALLY_PAID,
        ),
    ],
)
def test_paid_in_full_is_decided_from_the_amounts(
    outstanding: str,
    paid: str,
    adjustments: list[tuple[str, str, str]],
    amounts: dict[str, str],
    expected: EventKind,
) -> None:
    lines = [Adjustment(GroupCode(group), reason, D(amount)) for group, reason, amount in adjustments]
    stated = EobAmounts(paid=D(paid), **{k: D(v) for k, v in amounts.items()})
    assert eob_kind(D(outstanding), stated, lines) is expected


def test_what_the_person_stated_wins() -> None:
    amounts = EobAmounts(paid=D("1.00"))
    assert eob_kind(D("450.00"), amounts, stated=EventKind.PAID) is EventKind.PAID
    assert eob_kind(D("450.00"), EobAmounts(paid=D("450.00")), stated=EventKind.PARTIALLY_PAID) is (
        EventKind.PARTIALLY_PAID
    )
    with pytest.raises(ValueError):
        eob_kind(D("450.00"), amounts, stated=EventKind.DENIED)
