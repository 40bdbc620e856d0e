"""A payer's own rules: overrides of its kind's defaults, stored as JSON beside the payer.

Plans differ (a commercial plan may allow 365 days to file, not 90), so every rule can be
overridden; saving overrides marks the rules as confirmed by the user, which removes the
"default, not confirmed" mark from every deadline they produce.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from kettrack.core.codes import code_system
from kettrack.core.deadlines import DEFAULT_RULES, MonthEnd, PayerRules, Period, Unit
from kettrack.core.enums import PayerKind
from kettrack.core.problems import InvalidInput, Problem

_PERIOD = re.compile(r"^\s*(\d{1,4})\s*(d|day|days|m|month|months)\s*$", re.IGNORECASE)
_MAX_DAYS = 3650
_MAX_MONTHS = 120
_DAY_RULES = ("presumed_receipt_days", "claim_decision_days", "follow_up_first_days", "follow_up_every_days")


def parse_period(text: str, field_name: str, *, month_end: MonthEnd = MonthEnd.CLAMP) -> Period:
    """ "90 days", "12 months", "90d", "12m" into a Period, or InvalidInput saying what is wrong."""
    match = _PERIOD.match(text)
    if not match:
        raise InvalidInput.single(
            field_name, "write a number of days or months, like '180 days' or '12 months'"
        )
    amount = int(match.group(1))
    months = match.group(2).lower().startswith("m")
    if amount < 0 or (months and amount > _MAX_MONTHS) or (not months and amount > _MAX_DAYS):
        raise InvalidInput.single(field_name, "that period is longer than any payer rule (10 years)")
    return Period(amount, Unit.MONTHS if months else Unit.DAYS, month_end)


@dataclass(frozen=True)
class RuleOverrides:
    """What the user changed of a payer's default rules; None means "the kind's default"."""

    filing: Period | None = None
    filing_source: str = ""
    levels: dict[str, Period] = field(default_factory=dict)
    presumed_receipt_days: int | None = None
    claim_decision_days: int | None = None
    follow_up_first_days: int | None = None
    follow_up_every_days: int | None = None
    confirmed: bool = False
    note: str = ""
    # Codes this payer takes in place of the ones due (e.g. {"J0013": "S0013"} for a payer whose
    # systems still wanted the retired S0013 after 2026-01-01). Applied to proposed lines and checked
    # before a superbill is issued (kettrack.core.line_rules); the note says where the payer said so.
    code_overrides: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return self == RuleOverrides()

    def to_json(self) -> str:
        def period(p: Period) -> dict[str, object]:
            return {"amount": p.amount, "unit": p.unit.value, "month_end": p.month_end.value}

        data: dict[str, object] = {
            "filing": period(self.filing) if self.filing else None,
            "filing_source": self.filing_source,
            "levels": {key: period(p) for key, p in sorted(self.levels.items())},
            "presumed_receipt_days": self.presumed_receipt_days,
            "claim_decision_days": self.claim_decision_days,
            "follow_up_first_days": self.follow_up_first_days,
            "follow_up_every_days": self.follow_up_every_days,
            "confirmed": self.confirmed,
            "note": self.note,
        }
        if self.code_overrides:  # left out when empty: files saved before overrides existed stay the same
            data["code_overrides"] = dict(sorted(self.code_overrides.items()))
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RuleOverrides:
        if not text.strip():
            return cls()
        data = json.loads(text)

        def period(raw: dict[str, object] | None) -> Period | None:
            if raw is None:
                return None
            return Period(int(str(raw["amount"])), Unit(str(raw["unit"])), MonthEnd(str(raw["month_end"])))

        def number(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        raw_levels = dict(data.get("levels") or {})
        levels = {str(k): p for k, v in raw_levels.items() if (p := period(v)) is not None}
        return cls(
            filing=period(data.get("filing")),
            filing_source=str(data.get("filing_source") or ""),
            levels=levels,
            presumed_receipt_days=number("presumed_receipt_days"),
            claim_decision_days=number("claim_decision_days"),
            follow_up_first_days=number("follow_up_first_days"),
            follow_up_every_days=number("follow_up_every_days"),
            confirmed=bool(data.get("confirmed")),
            note=str(data.get("note") or ""),
            code_overrides={str(k): str(v) for k, v in dict(data.get("code_overrides") or {}).items()},
        )


def check_overrides(kind: PayerKind, overrides: RuleOverrides) -> RuleOverrides:
    """The overrides if they make sense for ``kind``; InvalidInput naming each bad field otherwise."""
    problems: list[Problem] = []
    keys = {rule.key for rule in DEFAULT_RULES[kind].levels}
    for key in overrides.levels:
        if key not in keys:
            problems.append(Problem(f"level {key}", f"{kind.label} has no appeal level '{key}'"))
    for name in _DAY_RULES:
        value = getattr(overrides, name)
        if value is not None and not 0 <= value <= _MAX_DAYS:
            problems.append(Problem(name, "must be between 0 and 3650 days"))
    if overrides.follow_up_every_days == 0:
        problems.append(Problem("follow_up_every_days", "follow-ups need at least 1 day between them"))
    for due, instead in overrides.code_overrides.items():
        if code_system(due) is None or code_system(instead) is None or due == instead:
            problems.append(Problem("code_overrides", f"{due} -> {instead} is not a code for another code"))
    if len(overrides.note) > 500 or len(overrides.filing_source) > 200:
        problems.append(Problem("note", "keep the note under 500 and the source under 200 characters"))
    if problems:
        raise InvalidInput(problems)
    return overrides


def effective_rules(kind: PayerKind, overrides: RuleOverrides | None) -> PayerRules:
    """The rules a payer's deadlines follow: its kind's defaults with the user's overrides applied."""
    rules = DEFAULT_RULES[kind]
    if overrides is None or overrides.is_empty():
        return rules
    levels = tuple(
        replace(rule, period=overrides.levels[rule.key], source=f"{rule.source}; period set for this plan")
        if rule.key in overrides.levels
        else rule
        for rule in rules.levels
    )
    changed = replace(rules, levels=levels, confirmed=rules.confirmed or overrides.confirmed)
    if overrides.filing is not None:
        source = overrides.filing_source or "this plan's rule, as entered"
        changed = replace(changed, filing=overrides.filing, filing_source=source, confirmed=True)
    for name in _DAY_RULES:
        value = getattr(overrides, name)
        if value is not None:
            changed = replace(changed, **{name: value})
    return changed
