"""The deadline engine: payer rule sets and the dates they produce. Pure functions, no database.

Every default comes from the billing reference with its source, and every rule can be overridden per
payer, because plans differ and rules change. Where sources disagree the earliest date wins: an early
reminder costs nothing, a missed appeal window costs the claim. Dates are calendar dates; a deadline
on a weekend or holiday is shown as the rule gives it, never moved.

Here: the deadlines and the functions that compute them. The rule sets they follow are made of the
values in ``kettrack.core.rule_sets``, with the defaults in ``kettrack.core.default_rules``; every
name stays importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kettrack.core.default_rules import DEFAULT_RULES, rules_for
from kettrack.core.rule_sets import Anchor, LevelRule, MonthEnd, PayerRules, Period, Unit, add_months

__all__ = [
    "DEFAULT_RULES",
    "Anchor",
    "Deadline",
    "DeadlineKind",
    "LevelRule",
    "MonthEnd",
    "PayerRules",
    "Period",
    "Unit",
    "add_months",
    "appeal_deadline",
    "authorization_expiry",
    "decision_due",
    "filing_deadline",
    "next_follow_up",
    "presumed_receipt",
    "rules_for",
]

_ANCHOR_WORDS = {
    Anchor.SERVICE: "the date of service",
    Anchor.NOTICE: "the date of the notice",
    Anchor.RECEIPT: "receipt of the decision",
    Anchor.FILED: "filing",
}


class DeadlineKind(StrEnum):
    FILE_CLAIM = "file_claim"
    APPEAL = "appeal"
    FOLLOW_UP = "follow_up"
    DECISION_DUE = "decision_due"
    AUTH_EXPIRES = "auth_expires"
    REMS_FORM = "rems_form"  # a session's Spravato REMS Patient Monitoring Form (kettrack.core.rems)


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
