"""The default filing, appeal and follow-up rules of each kind of payer, every period with its source
(the billing reference). Where sources disagree the earliest date wins; rules marked unconfirmed stay
so until the user confirms or overrides them for a payer (``rules_for``).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from kettrack.core.enums import PayerKind
from kettrack.core.rule_sets import Anchor, LevelRule, MonthEnd, PayerRules, Period, Unit

__all__ = ["DEFAULT_RULES", "rules_for"]

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

# 42 CFR 447.45(d) sets 12 months as the longest a state may allow; states may require less, so the
# default stays unconfirmed until the user enters the state's (or plan's) own rule.
_MEDICAID_FILING = "42 CFR 447.45(d): 12 months at most; many states allow less, confirm your state's rule"

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
        _MEDICAID_FILING,
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
        confirmed=False,  # 12 months is the federal ceiling; many states allow less
    ),
    PayerKind.MEDICAID_MANAGED_CARE: PayerRules(
        PayerKind.MEDICAID_MANAGED_CARE,
        Period(12, Unit.MONTHS),
        _MEDICAID_FILING,
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
        confirmed=False,  # 12 months is the federal ceiling; many states and plans allow less
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
