"""Claims as plain data: what a person records about a submission and what the window shows of it.

A claim's money and status come from its events (submission, EOBs, denials, appeals, decisions);
the store keeps the events append-only and derives everything else from them through these modules
and ``claim_states``. Nothing here touches a database. The names live in three modules, all
importable from here: ``claim_history`` (what is recorded: events, EOB amounts and adjustments),
``claim_money`` (the money they add up to) and ``claim_rows`` (what the faces show).
"""

from __future__ import annotations

from kettrack.core.claim_history import (
    COST_SHARES,
    DECISION_EVENTS,
    NOTICE_EVENTS,
    WRITE_OFFS,
    ZERO,
    Adjustment,
    AttachmentInfo,
    ClaimEvent,
    EobAmounts,
    Filer,
    GroupCode,
    NewEvent,
    SubmitMethod,
)
from kettrack.core.claim_money import Money, contractual_reduction, cost_shares, money_of
from kettrack.core.claim_rows import (
    ClaimDetail,
    ClaimFilter,
    ClaimLine,
    ClaimRow,
    Dashboard,
    DueItem,
    LetterInfo,
    NewClaim,
    NewPriorAuth,
    NextStep,
    PriorAuthInfo,
    Totals,
)

__all__ = [
    "COST_SHARES",
    "DECISION_EVENTS",
    "NOTICE_EVENTS",
    "WRITE_OFFS",
    "ZERO",
    "Adjustment",
    "AttachmentInfo",
    "ClaimDetail",
    "ClaimEvent",
    "ClaimFilter",
    "ClaimLine",
    "ClaimRow",
    "Dashboard",
    "DueItem",
    "EobAmounts",
    "Filer",
    "GroupCode",
    "LetterInfo",
    "Money",
    "NewClaim",
    "NewEvent",
    "NewPriorAuth",
    "NextStep",
    "PriorAuthInfo",
    "SubmitMethod",
    "Totals",
    "contractual_reduction",
    "cost_shares",
    "money_of",
]
