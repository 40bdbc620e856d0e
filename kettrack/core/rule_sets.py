"""What a payer's deadline rules are made of: periods (days, or calendar months with an explicit rule
for days a short month lacks), what a period counts from, the appeal levels, and the rule set of a
kind of payer (or of one payer, once overridden). Plain values; the defaults with their sources are
in ``kettrack.core.default_rules``, the dates they produce in ``kettrack.core.deadlines``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from kettrack.core.enums import PayerKind

__all__ = ["Anchor", "LevelRule", "MonthEnd", "PayerRules", "Period", "Unit", "add_months"]


class Unit(StrEnum):
    DAYS = "days"
    MONTHS = "months"


class MonthEnd(StrEnum):
    """What "N months later" means when the target month is too short for the day."""

    CLAMP = "clamp"  # to the month's last day (42 CFR 424.44: a Feb 29 service is due Feb 28)
    NEXT_FIRST = "next_first"  # to the first day of the following month (45 CFR 147.136(d), DOL TR 2010-01)


class Anchor(StrEnum):
    """What a period counts from."""

    SERVICE = "service"  # the date of service
    NOTICE = "notice"  # the date printed on the notice
    RECEIPT = "receipt"  # the day the notice was received (or presumed received)
    FILED = "filed"  # the day the claim or appeal was filed


def add_months(start: date, months: int, month_end: MonthEnd = MonthEnd.CLAMP) -> date:
    """Calendar-month arithmetic with an explicit rule for days the target month lacks."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day <= last:
        return date(year, month, start.day)
    if month_end is MonthEnd.CLAMP:
        return date(year, month, last)
    return date(year, month, last) + timedelta(days=1)


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit = Unit.DAYS
    month_end: MonthEnd = MonthEnd.CLAMP

    def after(self, start: date) -> date:
        if self.unit is Unit.DAYS:
            return start + timedelta(days=self.amount)
        return add_months(start, self.amount, self.month_end)

    def words(self) -> str:
        return f"{self.amount} {'days' if self.unit is Unit.DAYS else 'months'}"


@dataclass(frozen=True)
class LevelRule:
    """One level of appeal: how long a person has, counted from what, and who decides how fast."""

    key: str
    name: str
    action: str
    period: Period
    anchor: Anchor
    source: str
    decision_days: int | None = None
    minimum_amount: Decimal | None = None
    automatic: bool = False  # the plan forwards it itself (Medicare Advantage to the IRE)


@dataclass(frozen=True)
class PayerRules:
    """Filing, appeal and follow-up rules for a kind of payer (or one payer, once overridden)."""

    kind: PayerKind
    filing: Period
    filing_source: str
    levels: tuple[LevelRule, ...]
    presumed_receipt_days: int = 0
    claim_decision_days: int | None = None
    follow_up_first_days: int = 30
    follow_up_every_days: int = 14
    confirmed: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def level(self, key: str) -> LevelRule:
        for rule in self.levels:
            if rule.key == key:
                return rule
        raise KeyError(f"{self.kind.label} has no appeal level {key!r}")

    def next_level(self, key: str | None) -> LevelRule | None:
        """The level after ``key`` (None: the first level)."""
        if key is None:
            return self.levels[0] if self.levels else None
        keys = [rule.key for rule in self.levels]
        position = keys.index(key)
        return self.levels[position + 1] if position + 1 < len(self.levels) else None
