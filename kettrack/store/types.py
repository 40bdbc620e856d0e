"""Column types that keep the domain's promises: fixed-point Decimals as integers, UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class FixedPoint(TypeDecorator[Decimal]):
    """A Decimal with a fixed number of places, stored as an exact integer (money: places=2, cents).

    SQLite's NUMERIC is a float underneath, so Decimal columns are never used.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"FixedPoint takes Decimal, not {type(value).__name__}")
        scaled = value.scaleb(self.places)
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            raise ValueError(f"{value} does not fit {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places)

    def copy(self, **kw: Any) -> FixedPoint:
        return FixedPoint(self.places)


def Money() -> FixedPoint:  # noqa: N802 - reads as a column type
    """Money in integer cents."""
    return FixedPoint(2)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime; naive values are refused, SQLite's naive results made aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: events are stored as timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
