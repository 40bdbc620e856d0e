"""Money: parse user amounts as Decimal, convert to and from integer cents, format for display.

Amounts are never floats. The database stores integer cents; everything above it sees Decimal.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from kettrack.core.problems import InvalidInput

CENT = Decimal("0.01")
# No single charge, payment or balance in this domain comes near a million dollars; anything larger
# is a typo (an extra zero row of keys) and is refused rather than stored.
MAX_AMOUNT = Decimal("999999.99")
_MAX_INPUT_CHARS = 32
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", re.ASCII)


def parse_amount(
    text: str | Decimal | int,
    field: str = "amount",
    *,
    allow_negative: bool = False,
    maximum: Decimal = MAX_AMOUNT,
) -> Decimal:
    """Parse a user amount like ``"1,250.00"`` or ``"$40"`` into a Decimal with two places.

    Refuses NaN, infinity, exponents, more than two decimals, negatives (unless allowed) and
    amounts beyond ``maximum``, each with its own message.
    """
    if isinstance(text, bool):
        raise InvalidInput.single(field, "must be an amount of money")
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        raw = text.strip()
        if not raw:
            raise InvalidInput.single(field, "is empty: enter an amount such as 125.00")
        if len(raw) > _MAX_INPUT_CHARS:
            raise InvalidInput.single(field, "is too long to be an amount of money")
        grouped = raw.replace("$", "").replace(" ", "")
        # A comma must group thousands: "12,34" is a European 12.34 (or a typo), never 1,234.
        if "," in grouped and not _THOUSANDS.fullmatch(grouped):
            raise InvalidInput.single(
                field, f"{raw!r} has a misplaced comma: use commas only between thousands, like 1,250.00"
            )
        cleaned = grouped.replace(",", "")
        if not cleaned or any(ch not in "0123456789.-+" for ch in cleaned):
            raise InvalidInput.single(field, f"{raw!r} is not an amount: use digits like 125.00")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise InvalidInput.single(field, f"{raw!r} is not an amount: use digits like 125.00") from None
    if not value.is_finite():
        raise InvalidInput.single(field, "must be a finite amount of money")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(CENT):
        raise InvalidInput.single(field, "has more than 2 decimal places (cents)")
    if abs(value) > maximum:
        raise InvalidInput.single(field, f"is larger than the largest amount allowed ({format_usd(maximum)})")
    if value < 0 and not allow_negative:
        raise InvalidInput.single(field, "cannot be negative")
    if value == 0:
        return Decimal("0.00")  # never "-0.00"
    return value.quantize(CENT)


def to_cents(amount: Decimal) -> int:
    """Exact conversion of a two-place Decimal to integer cents; refuses fractions of a cent."""
    if not amount.is_finite():
        raise ValueError("amount is not finite")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def format_usd(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount).quantize(CENT):,.2f}"
