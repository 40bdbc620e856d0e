"""Table-driven deadline tests; each row cites the rule it checks (see the billing reference)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kettrack.core.deadlines import (
    DEFAULT_RULES,
    MonthEnd,
    Period,
    Unit,
    add_months,
    appeal_deadline,
    authorization_expiry,
    decision_due,
    filing_deadline,
    next_follow_up,
    rules_for,
)
from kettrack.core.enums import PayerKind as K

FILING = [
    # kind, date of service, due, source
    (K.ORIGINAL_MEDICARE, date(2026, 3, 15), date(2027, 3, 15), "42 CFR 424.44: 12 months"),
    (
        K.ORIGINAL_MEDICARE,
        date(2024, 2, 29),
        date(2025, 2, 28),
        "42 CFR 424.44: a Feb 29 service is due Feb 28",
    ),
    (K.ORIGINAL_MEDICARE, date(2026, 1, 31), date(2027, 1, 31), "42 CFR 424.44"),
    (K.MEDICARE_ADVANTAGE, date(2026, 5, 1), date(2027, 5, 1), "plan contract, default 12 months"),
    (K.MEDICAID, date(2026, 8, 31), date(2027, 8, 31), "42 CFR 447.45(d): 12 months"),
    (K.MEDICAID_MANAGED_CARE, date(2027, 2, 28), date(2028, 2, 28), "42 CFR 447.45(d)"),
    (K.COMMERCIAL, date(2026, 11, 1), date(2027, 1, 30), "plan rule, default 90 days"),
    (K.EMPLOYER_PLAN, date(2026, 12, 31), date(2027, 3, 31), "plan rule, default 90 days"),
    (K.VA_COMMUNITY_CARE, date(2026, 1, 1), date(2026, 6, 30), "38 CFR 17.4020(c): 180 days"),
    (K.TRICARE, date(2026, 7, 4), date(2027, 7, 4), "32 CFR 199.7(d): 1 year"),
]


@pytest.mark.parametrize(("kind", "service", "due", "source"), FILING)
def test_filing_deadlines(kind: K, service: date, due: date, source: str) -> None:
    deadline = filing_deadline(DEFAULT_RULES[kind], service)
    assert deadline.due == due, source
    assert deadline.trigger == service


APPEALS = [
    # kind, level, notice date, received, due, source
    (
        K.ORIGINAL_MEDICARE,
        "redetermination",
        date(2026, 3, 2),
        None,
        date(2026, 7, 5),
        "42 CFR 405.942: 120 days from receipt, presumed 5 days after the notice",
    ),
    (
        K.ORIGINAL_MEDICARE,
        "redetermination",
        date(2026, 3, 2),
        date(2026, 3, 20),
        date(2026, 7, 18),
        "42 CFR 405.942: the real receipt date when known",
    ),
    (
        K.ORIGINAL_MEDICARE,
        "reconsideration",
        date(2026, 1, 10),
        None,
        date(2026, 7, 14),
        "42 CFR 405.962: 180 days from receipt",
    ),
    (K.ORIGINAL_MEDICARE, "alj", date(2026, 6, 1), None, date(2026, 8, 5), "42 CFR 405.1014: 60 days"),
    (K.ORIGINAL_MEDICARE, "council", date(2026, 6, 1), date(2026, 6, 3), date(2026, 8, 2), "42 CFR 405.1102"),
    (K.ORIGINAL_MEDICARE, "court", date(2026, 6, 1), None, date(2026, 8, 5), "42 CFR 405.1130"),
    (
        K.MEDICARE_ADVANTAGE,
        "reconsideration",
        date(2026, 4, 1),
        date(2026, 4, 20),
        date(2026, 5, 31),
        "CMS Part C: 60 days from the date of the notice, not receipt",
    ),
    (K.MEDICAID, "fair_hearing", date(2026, 2, 1), None, date(2026, 5, 2), "42 CFR 431.221(d): 90 days"),
    (
        K.MEDICAID_MANAGED_CARE,
        "plan_appeal",
        date(2026, 2, 1),
        None,
        date(2026, 4, 2),
        "42 CFR 438.402(c)(2)(ii): 60 days",
    ),
    (
        K.MEDICAID_MANAGED_CARE,
        "fair_hearing",
        date(2026, 5, 1),
        None,
        date(2026, 8, 29),
        "42 CFR 438.408(f)(2): 120 days",
    ),
    (
        K.COMMERCIAL,
        "internal",
        date(2026, 3, 1),
        None,
        date(2026, 8, 28),
        "29 CFR 2560.503-1(h)(3)(i): 180 days from receipt (notice date until receipt is recorded)",
    ),
    (
        K.COMMERCIAL,
        "internal",
        date(2026, 3, 1),
        date(2026, 3, 9),
        date(2026, 9, 5),
        "29 CFR 2560.503-1(h)(3)(i): from the day the denial arrived",
    ),
    (
        K.EMPLOYER_PLAN,
        "external",
        date(2026, 6, 15),
        None,
        date(2026, 10, 15),
        "45 CFR 147.136(d): 4 months from receipt",
    ),
    (
        K.EMPLOYER_PLAN,
        "external",
        date(2026, 10, 31),
        None,
        date(2027, 3, 1),
        "DOL TR 2010-01: Oct 31 + 4 months has no Feb 31: first day of the fifth month",
    ),
    (
        K.COMMERCIAL,
        "external",
        date(2027, 10, 30),
        None,
        date(2028, 3, 1),
        "DOL TR 2010-01: Feb 30 does not exist even in a leap year: March 1",
    ),
    (
        K.COMMERCIAL,
        "external",
        date(2027, 10, 29),
        None,
        date(2028, 2, 29),
        "leap year: Feb 29 exists in 2028",
    ),
    (
        K.VA_COMMUNITY_CARE,
        "reconsideration",
        date(2026, 2, 28),
        None,
        date(2027, 2, 28),
        "38 CFR 17.133: within 1 year of the decision",
    ),
    (K.TRICARE, "reconsideration", date(2026, 9, 1), None, date(2026, 11, 30), "32 CFR 199.10: 90 days"),
]


@pytest.mark.parametrize(("kind", "level", "notice", "received", "due", "source"), APPEALS)
def test_appeal_deadlines(
    kind: K, level: str, notice: date, received: date | None, due: date, source: str
) -> None:
    rules = DEFAULT_RULES[kind]
    deadline = appeal_deadline(rules, rules.level(level), notice, received)
    assert deadline.due == due, source
    assert rules.level(level).source.split(";")[0].split(" (")[0] in deadline.explain()


def test_deadline_explains_its_rule_and_source() -> None:
    rules = DEFAULT_RULES[K.EMPLOYER_PLAN]
    deadline = appeal_deadline(rules, rules.level("internal"), date(2026, 3, 1), date(2026, 3, 4))
    assert deadline.explain().startswith(
        "Internal appeal: 180 days from receipt of the decision, 29 CFR 2560.503-1"
    )
    assert "not yet confirmed" in deadline.explain()  # the plan's rules are defaults until the user confirms


def test_a_received_date_before_the_notice_is_ignored() -> None:
    rules = DEFAULT_RULES[K.ORIGINAL_MEDICARE]
    level = rules.level("redetermination")
    assert appeal_deadline(rules, level, date(2026, 3, 2), date(2026, 2, 1)).due == date(2026, 7, 5)


def test_weekends_are_not_moved() -> None:
    # 2026-03-03 + 180 days is Sunday 2026-08-30: shown as the rule gives it (billing reference, last line).
    rules = DEFAULT_RULES[K.COMMERCIAL]
    deadline = appeal_deadline(rules, rules.level("internal"), date(2026, 3, 3))
    assert deadline.due == date(2026, 8, 30) and deadline.due.weekday() == 6


def test_overrides_per_payer() -> None:
    rules = rules_for(K.COMMERCIAL, filing=Period(365))
    assert filing_deadline(rules, date(2026, 1, 1)).due == date(2027, 1, 1)
    assert rules.confirmed
    assert not DEFAULT_RULES[K.COMMERCIAL].confirmed


def test_levels_follow_one_another() -> None:
    rules = DEFAULT_RULES[K.ORIGINAL_MEDICARE]
    order = []
    level = rules.next_level(None)
    while level is not None:
        order.append(level.key)
        level = rules.next_level(level.key)
    assert order == ["redetermination", "reconsideration", "alj", "council", "court"]


def test_decision_and_follow_up_dates() -> None:
    rules = DEFAULT_RULES[K.COMMERCIAL]
    assert decision_due(rules, date(2026, 1, 10)).due == date(2026, 2, 9)  # post-service claim: 30 days
    assert decision_due(rules, date(2026, 1, 10), rules.level("internal")).due == date(
        2026, 3, 11
    )  # appeal: 60
    assert decision_due(DEFAULT_RULES[K.MEDICAID], date(2026, 1, 10)) is None
    first = next_follow_up(rules, date(2026, 1, 10), None, date(2026, 3, 1))
    assert first.due == date(2026, 2, 9) and "no answer for 50 days" in first.action
    again = next_follow_up(rules, date(2026, 1, 10), date(2026, 2, 9), date(2026, 2, 9))
    assert again.due == date(2026, 2, 23)
    assert authorization_expiry(date(2026, 6, 30), "PA-1").due == date(2026, 6, 30)


@pytest.mark.parametrize(
    ("start", "months", "rule", "expected"),
    [
        (date(2026, 1, 31), 1, MonthEnd.CLAMP, date(2026, 2, 28)),
        (date(2026, 1, 31), 1, MonthEnd.NEXT_FIRST, date(2026, 3, 1)),
        (date(2027, 12, 31), 2, MonthEnd.CLAMP, date(2028, 2, 29)),
        (date(2026, 12, 15), 14, MonthEnd.CLAMP, date(2028, 2, 15)),
    ],
)
def test_add_months(start: date, months: int, rule: MonthEnd, expected: date) -> None:
    assert add_months(start, months, rule) == expected


@given(
    st.sampled_from(list(K)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.one_of(st.none(), st.integers(min_value=-30, max_value=60)),
)
def test_no_deadline_lies_before_its_trigger(kind: K, day: date, received_shift: int | None) -> None:
    rules = DEFAULT_RULES[kind]
    assert filing_deadline(rules, day).due >= day
    received = None if received_shift is None else day + timedelta(days=received_shift)
    for level in rules.levels:
        assert appeal_deadline(rules, level, day, received).due >= day
    assert next_follow_up(rules, day, None, day).due >= day


def test_period_words() -> None:
    assert Period(4, Unit.MONTHS).words() == "4 months"
    assert Period(180).words() == "180 days"
