"""The deadline engine: payer rule sets and the dates they produce. Pure functions, no database.

Every default comes from the billing reference with its source, and every rule can be overridden per
payer, because plans differ and rules change. Where sources disagree the earliest date wins: an early
reminder costs nothing, a missed appeal window costs the claim. Dates are calendar dates; a deadline
on a weekend or holiday is shown as the rule gives it, never moved.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from kettrack.core.enums import PayerKind


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


_ANCHOR_WORDS = {
    Anchor.SERVICE: "the date of service",
    Anchor.NOTICE: "the date of the notice",
    Anchor.RECEIPT: "receipt of the decision",
    Anchor.FILED: "filing",
}


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


_MEDICARE_LEVELS = (
    LevelRule(
        "redetermination",
        "Redetermination",
        "File a redetermination with Medicare",
        Period(120),
        Anchor.RECEIPT,
        "42 CFR 405.942",
        decision_days=60,
    ),
    LevelRule(
        "reconsideration",
        "QIC reconsideration",
        "Ask the QIC for a reconsideration",
        Period(180),
        Anchor.RECEIPT,
        "42 CFR 405.962",
        decision_days=60,
    ),
    LevelRule(
        "alj",
        "ALJ hearing",
        "Request an ALJ hearing",
        Period(60),
        Anchor.RECEIPT,
        "42 CFR 405.1014",
        minimum_amount=Decimal("200"),
    ),
    LevelRule(
        "council",
        "Appeals Council review",
        "Ask the Medicare Appeals Council for review",
        Period(60),
        Anchor.RECEIPT,
        "42 CFR 405.1102",
    ),
    LevelRule(
        "court",
        "Federal court review",
        "File in federal district court",
        Period(60),
        Anchor.RECEIPT,
        "42 CFR 405.1130",
        minimum_amount=Decimal("1960"),
    ),
)

_ERISA_LEVELS = (
    LevelRule(
        "internal",
        "Internal appeal",
        "File an internal appeal with the plan",
        Period(180),
        Anchor.RECEIPT,
        "29 CFR 2560.503-1(h)(3)(i); 45 CFR 147.136(b)",
        decision_days=60,
    ),
    LevelRule(
        "external",
        "External review",
        "Request an external review",
        Period(4, Unit.MONTHS, MonthEnd.NEXT_FIRST),
        Anchor.RECEIPT,
        "45 CFR 147.136(d); DOL Technical Release 2010-01",
        decision_days=45,
    ),
)

DEFAULT_RULES: dict[PayerKind, PayerRules] = {
    PayerKind.ORIGINAL_MEDICARE: PayerRules(
        PayerKind.ORIGINAL_MEDICARE,
        Period(12, Unit.MONTHS),
        "42 CFR 424.44",
        _MEDICARE_LEVELS,
        presumed_receipt_days=5,
        claim_decision_days=30,
    ),
    PayerKind.MEDICARE_ADVANTAGE: PayerRules(
        PayerKind.MEDICARE_ADVANTAGE,
        Period(12, Unit.MONTHS),
        "plan contract (default 12 months)",
        (
            LevelRule(
                "reconsideration",
                "Plan reconsideration",
                "Ask the plan for a reconsideration",
                Period(60),
                Anchor.NOTICE,
                "CMS Part C reconsideration (42 CFR 422.582)",
                decision_days=60,
            ),
            LevelRule(
                "ire",
                "Independent Review Entity",
                "The plan forwards an upheld denial to the IRE",
                Period(0),
                Anchor.NOTICE,
                "42 CFR 422.592",
                automatic=True,
            ),
            LevelRule(
                "alj",
                "ALJ hearing",
                "Request an ALJ hearing",
                Period(60),
                Anchor.RECEIPT,
                "42 CFR 422.602",
                minimum_amount=Decimal("200"),
            ),
        ),
        presumed_receipt_days=5,
        claim_decision_days=30,
        confirmed=False,
    ),
    PayerKind.MEDICAID: PayerRules(
        PayerKind.MEDICAID,
        Period(12, Unit.MONTHS),
        "42 CFR 447.45(d)",
        (
            LevelRule(
                "fair_hearing",
                "State fair hearing",
                "Request a state fair hearing",
                Period(90),
                Anchor.NOTICE,
                "42 CFR 431.221(d)",
            ),
        ),
    ),
    PayerKind.MEDICAID_MANAGED_CARE: PayerRules(
        PayerKind.MEDICAID_MANAGED_CARE,
        Period(12, Unit.MONTHS),
        "42 CFR 447.45(d)",
        (
            LevelRule(
                "plan_appeal",
                "Plan appeal",
                "File an appeal with the Medicaid plan",
                Period(60),
                Anchor.NOTICE,
                "42 CFR 438.402(c)(2)(ii)",
                decision_days=30,
            ),
            LevelRule(
                "fair_hearing",
                "State fair hearing",
                "Request a state fair hearing",
                Period(120),
                Anchor.NOTICE,
                "42 CFR 438.408(f)(2)",
            ),
        ),
    ),
    PayerKind.VA_COMMUNITY_CARE: PayerRules(
        PayerKind.VA_COMMUNITY_CARE,
        Period(180),
        "38 CFR 17.4020(c)",
        (
            LevelRule(
                "reconsideration",
                "VA reconsideration",
                "Ask the VA to reconsider",
                Period(12, Unit.MONTHS),
                Anchor.NOTICE,
                "38 CFR 17.133",
            ),
        ),
    ),
    PayerKind.TRICARE: PayerRules(
        PayerKind.TRICARE,
        Period(12, Unit.MONTHS),
        "32 CFR 199.7(d) (not in kettrack's reference: confirm)",
        (
            LevelRule(
                "reconsideration",
                "Reconsideration",
                "Ask TRICARE for a reconsideration",
                Period(90),
                Anchor.NOTICE,
                "32 CFR 199.10 (not in kettrack's reference: confirm)",
            ),
        ),
        confirmed=False,
    ),
    PayerKind.COMMERCIAL: PayerRules(
        PayerKind.COMMERCIAL,
        Period(90),
        "plan rule: member claims commonly 90-365 days; 90 until confirmed",
        _ERISA_LEVELS,
        claim_decision_days=30,
        confirmed=False,
    ),
    PayerKind.EMPLOYER_PLAN: PayerRules(
        PayerKind.EMPLOYER_PLAN,
        Period(90),
        "plan rule: member claims commonly 90-365 days; 90 until confirmed",
        _ERISA_LEVELS,
        claim_decision_days=30,
        confirmed=False,
    ),
    PayerKind.OTHER: PayerRules(
        PayerKind.OTHER,
        Period(90),
        "unknown plan rule: 90 days until confirmed",
        _ERISA_LEVELS,
        claim_decision_days=30,
        confirmed=False,
    ),
}


def rules_for(kind: PayerKind, **overrides: object) -> PayerRules:
    """The default rules for a kind of payer with a payer's own overrides applied (then confirmed)."""
    rules = DEFAULT_RULES[kind]
    if overrides:
        rules = replace(rules, **overrides)  # type: ignore[arg-type]
        rules = replace(rules, confirmed=True)
    return rules


class DeadlineKind(StrEnum):
    FILE_CLAIM = "file_claim"
    APPEAL = "appeal"
    FOLLOW_UP = "follow_up"
    DECISION_DUE = "decision_due"
    AUTH_EXPIRES = "auth_expires"


@dataclass(frozen=True)
class Deadline:
    """A date to act by, what to do, and the rule (with its source) it came from."""

    kind: DeadlineKind
    due: date
    action: str
    rule: str
    source: str
    trigger: date
    confirmed: bool = True

    def explain(self) -> str:
        unconfirmed = " (default rule, not yet confirmed for this plan)" if not self.confirmed else ""
        return f"{self.rule}, {self.source}{unconfirmed}"


def filing_deadline(rules: PayerRules, service_date: date) -> Deadline:
    return Deadline(
        DeadlineKind.FILE_CLAIM,
        rules.filing.after(service_date),
        "File the claim",
        f"File the claim: {rules.filing.words()} after the date of service",
        rules.filing_source,
        service_date,
        rules.confirmed,
    )


def presumed_receipt(rules: PayerRules, notice_date: date, received_on: date | None) -> date:
    """The day a notice counts as received: the real day when known, else the rule's presumption.

    A person cannot have received a notice before its date, so an earlier "received" date is ignored.
    """
    if received_on is not None and received_on >= notice_date:
        return received_on
    return notice_date + timedelta(days=rules.presumed_receipt_days)


def appeal_deadline(
    rules: PayerRules, level: LevelRule, notice_date: date, received_on: date | None = None
) -> Deadline:
    """Deadline to file ``level`` after a decision dated ``notice_date`` (received ``received_on``)."""
    start = (
        presumed_receipt(rules, notice_date, received_on) if level.anchor is Anchor.RECEIPT else notice_date
    )
    basis = _ANCHOR_WORDS[level.anchor]
    if level.anchor is Anchor.RECEIPT and (received_on is None or received_on < notice_date):
        if rules.presumed_receipt_days:
            basis += f" (presumed {rules.presumed_receipt_days} days after the notice date)"
        else:
            basis += " (the notice date, until you record when it arrived)"
    return Deadline(
        DeadlineKind.APPEAL,
        level.period.after(start),
        level.action,
        f"{level.name}: {level.period.words()} from {basis}",
        level.source,
        notice_date,
        rules.confirmed,
    )


def decision_due(rules: PayerRules, filed_on: date, level: LevelRule | None = None) -> Deadline | None:
    """When the payer owes an answer to a claim (``level`` None) or to an appeal at ``level``."""
    days = rules.claim_decision_days if level is None else level.decision_days
    if days is None:
        return None
    what = "the claim" if level is None else f"the {level.name.lower()}"
    source = "29 CFR 2560.503-1(i); payer decision rules" if level is None else level.source
    return Deadline(
        DeadlineKind.DECISION_DUE,
        filed_on + timedelta(days=days),
        f"Call the payer if there is no decision on {what}",
        f"Decision on {what}: due {days} days after filing",
        source,
        filed_on,
        rules.confirmed,
    )


def next_follow_up(rules: PayerRules, submitted_on: date, last_contact: date | None, today: date) -> Deadline:
    """The next day to chase a payer that has not answered: 30 days after submission, then every 14."""
    first = submitted_on + timedelta(days=rules.follow_up_first_days)
    if last_contact is not None and last_contact >= submitted_on:
        due = max(first, last_contact + timedelta(days=rules.follow_up_every_days))
    else:
        due = first
    waited = (max(today, due) - submitted_on).days
    return Deadline(
        DeadlineKind.FOLLOW_UP,
        due,
        f"Call the plan: no answer for {waited} days",
        f"Follow up: {rules.follow_up_first_days} days after submission, then every "
        f"{rules.follow_up_every_days} days",
        "kettrack default (payer decision times)",
        submitted_on,
    )


def authorization_expiry(valid_to: date, auth_number: str) -> Deadline:
    return Deadline(
        DeadlineKind.AUTH_EXPIRES,
        valid_to,
        f"Renew prior authorization {auth_number}".strip(),
        "Prior authorization ends on its last valid day",
        "the authorization letter",
        valid_to,
    )
