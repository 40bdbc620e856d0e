"""Money parsing and the cents conversion: table-driven refusals and hypothesis round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kettrack.core.money import MAX_AMOUNT, format_usd, from_cents, parse_amount, to_cents
from kettrack.core.problems import InvalidInput

GOOD = [
    ("125", Decimal("125.00")),
    ("125.5", Decimal("125.50")),
    ("  $1,250.00 ", Decimal("1250.00")),
    ("$40", Decimal("40.00")),
    ("0.01", Decimal("0.01")),
    ("999,999.99", Decimal("999999.99")),
    ("12.340", Decimal("12.34")),  # a trailing zero is not a fraction of a cent
    ("+7", Decimal("7.00")),
    ("0", Decimal("0.00")),
    ("-0", Decimal("0.00")),  # never "-0.00"
    (Decimal("3.1"), Decimal("3.10")),
    (12, Decimal("12.00")),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_parse_amount_accepts(text: str | Decimal | int, expected: Decimal) -> None:
    value = parse_amount(text)
    assert value == expected
    assert value.as_tuple().exponent == -2
    assert not value.is_signed() or value < 0


BAD = [
    ("", "is empty: enter an amount such as 125.00"),
    ("   ", "is empty: enter an amount such as 125.00"),
    ("NaN", "'NaN' is not an amount: use digits like 125.00"),
    ("sNaN", "'sNaN' is not an amount: use digits like 125.00"),
    ("Infinity", "'Infinity' is not an amount: use digits like 125.00"),
    ("-inf", "'-inf' is not an amount: use digits like 125.00"),
    ("1e309", "'1e309' is not an amount: use digits like 125.00"),
    ("1E2", "'1E2' is not an amount: use digits like 125.00"),
    ("12.345", "has more than 2 decimal places (cents)"),
    ("0.001", "has more than 2 decimal places (cents)"),
    ("-5", "cannot be negative"),
    ("-$5", "cannot be negative"),
    ("1000000", "is larger than the largest amount allowed ($999,999.99)"),
    ("1,000,000.00", "is larger than the largest amount allowed ($999,999.99)"),
    ("12,34", "'12,34' has a misplaced comma: use commas only between thousands, like 1,250.00"),
    ("1,2,3", "'1,2,3' has a misplaced comma: use commas only between thousands, like 1,250.00"),
    ("1,0000", "'1,0000' has a misplaced comma: use commas only between thousands, like 1,250.00"),
    ("12.5.1", "'12.5.1' is not an amount: use digits like 125.00"),
    ("--5", "'--5' is not an amount: use digits like 125.00"),
    ("5-", "'5-' is not an amount: use digits like 125.00"),
    (".", "'.' is not an amount: use digits like 125.00"),
    ("$", "'$' is not an amount: use digits like 125.00"),
    ("１２３", "'１２３' is not an amount: use digits like 125.00"),  # full-width digits
    ("12\x0034", "'12\\x0034' is not an amount: use digits like 125.00"),
    ("1" * 40, "is too long to be an amount of money"),
    (Decimal("NaN"), "must be a finite amount of money"),
    (Decimal("sNaN"), "must be a finite amount of money"),
    (Decimal("Infinity"), "must be a finite amount of money"),
    (Decimal("1e309"), "is larger than the largest amount allowed ($999,999.99)"),
    (Decimal("1e-30"), "has more than 2 decimal places (cents)"),
    (True, "must be an amount of money"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_parse_amount_refuses_with_its_own_message(text: str | Decimal, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(text, "payments[1].amount")
    assert caught.value.for_field("payments[1].amount") == [message]


def test_negative_allowed_when_asked_and_custom_maximum() -> None:
    assert parse_amount("-5", allow_negative=True) == Decimal("-5.00")
    with pytest.raises(InvalidInput, match="larger than the largest amount allowed"):
        parse_amount("101", maximum=Decimal("100"))


two_place = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(two_place)
def test_cents_round_trip(amount: Decimal) -> None:
    cents = to_cents(amount)
    assert isinstance(cents, int)
    assert from_cents(cents) == amount
    assert to_cents(from_cents(cents)) == cents


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-99_999_999, max_value=99_999_999))
def test_from_cents_is_exact(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents
    assert from_cents(cents).as_tuple().exponent == -2


@settings(max_examples=200, deadline=None)
@given(two_place.filter(lambda d: d >= 0))
def test_formatted_amount_parses_back(amount: Decimal) -> None:
    assert parse_amount(format_usd(amount)) == amount


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_amount_only_ever_raises_invalid_input(text: str) -> None:
    try:
        value = parse_amount(text)
    except InvalidInput:
        return
    assert value.is_finite() and 0 <= value <= MAX_AMOUNT and value.as_tuple().exponent == -2


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("0.001"), Decimal("1.005")])
def test_to_cents_refuses_fractions_and_specials(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        to_cents(bad)


def test_format_usd() -> None:
    assert format_usd(Decimal("1250")) == "$1,250.00"
    assert format_usd(Decimal("-3.5")) == "-$3.50"
