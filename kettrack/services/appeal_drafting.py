"""What drafting an appeal letter takes from a claim's record, as plain functions: whether the claim can
be appealed now and at which level (or why not), the decision notice's reason codes and their reasons
in plain words, the list of enclosures, and the checks a letter's paragraphs must pass before it is
rendered or issued.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from kettrack.core.appeal import plain_reason
from kettrack.core.claim_deadlines import check_appeal_level, level_names
from kettrack.core.claim_states import ClaimState, EventKind, Outcome, Status
from kettrack.core.claims import WRITE_OFFS, Adjustment, ClaimDetail, ClaimEvent, GroupCode, PriorAuthInfo
from kettrack.core.deadlines import LevelRule, PayerRules
from kettrack.core.enums import AuthStatus
from kettrack.core.letter_amounts import DisputeLine
from kettrack.core.problems import InvalidInput
from kettrack.core.reason_codes import split_remarks
from kettrack.core.validation import text_problem

__all__ = [
    "MAX_PARAGRAPHS",
    "MAX_PARAGRAPH_CHARS",
    "appeal_refusal",
    "authorization_on_file",
    "check_paragraphs",
    "codes_and_reasons",
    "dispute_lines",
    "enclosures",
    "last_event",
    "next_level",
    "submission",
    "text_lines",
]

MAX_PARAGRAPHS = 60
MAX_PARAGRAPH_CHARS = 6000
# Cost sharing (deductible, coinsurance, copay) is the patient's part under the plan, not a denial.
_COST_SHARING = {"1", "2", "3"}


def check_paragraphs(paragraphs: Sequence[str]) -> tuple[str, ...]:
    """The letter's paragraphs as they will be printed: blank ones dropped, each checked."""
    kept = tuple(p.strip() for p in paragraphs if p.strip())
    if not kept:
        raise InvalidInput.single("text", "the letter has no text: write at least one paragraph")
    if len(kept) > MAX_PARAGRAPHS:
        raise InvalidInput.single("text", f"at most {MAX_PARAGRAPHS} paragraphs")
    for number, text in enumerate(kept, 1):
        if problem := text_problem(text, max_len=MAX_PARAGRAPH_CHARS, multiline=True):
            raise InvalidInput.single("text", f"paragraph {number} {problem}")
    return kept


def appeal_refusal(status: Status) -> str | None:
    """Why a claim in ``status`` has nothing to appeal now (None: it can be appealed)."""
    state = status.state
    if state in (ClaimState.DENIED, ClaimState.PARTIALLY_PAID):
        return None
    if state is ClaimState.APPEAL_DECIDED:
        if status.outcome is Outcome.UPHELD:
            return None
        return "the appeal was won (overturned): record the payment instead of another appeal"
    if state in (ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.ACKNOWLEDGED, ClaimState.INFO_REQUESTED):
        return (
            f"the plan has not decided this claim yet (it is {status.describe().lower()}): "
            "an appeal letter answers a denial"
        )
    if state in (ClaimState.APPEAL_FILED, ClaimState.EXTERNAL_REVIEW):
        return (
            f"an appeal is already under way ({status.describe().lower()}): wait for its decision, "
            "and appeal again only if it is upheld"
        )
    if state is ClaimState.PAID:
        return "the claim is paid: there is nothing to appeal"
    return f"the claim is {status.describe().lower()}: there is nothing to appeal"


def next_level(rules: PayerRules, status: Status) -> LevelRule:
    """The appeal level the claim goes to next; InvalidInput saying why when it cannot be appealed."""
    refusal = appeal_refusal(status)
    if refusal:
        raise InvalidInput.single("claim", refusal)
    current = status.appeal_level if status.appeal_level in level_names(rules) else None
    level = rules.next_level(current)
    if level is None:
        raise InvalidInput.single("claim", "every appeal level of this plan has been used")
    if level.automatic:
        raise InvalidInput.single(
            "claim",
            f"the plan sends the case to the {level.name} itself: no letter is needed "
            "(follow up if nothing happens)",
        )
    if reason := check_appeal_level(rules, status, level.key):
        raise InvalidInput.single("level", reason)
    return level


def last_event(
    events: Sequence[ClaimEvent], kinds: frozenset[EventKind] | set[EventKind]
) -> ClaimEvent | None:
    """The latest of ``events`` whose kind is one of ``kinds``."""
    return next((e for e in reversed(events) if e.kind in kinds), None)


def codes_and_reasons(
    adjustments: Sequence[Adjustment], words: dict[tuple[str, str], str]
) -> tuple[str, str]:
    """ "CO-50, N115" and the reasons in plain words, from an EOB's adjustment lines."""
    codes: list[str] = []
    reasons: list[str] = []
    for adjustment in adjustments:
        if adjustment.group is GroupCode.PR and adjustment.reason in _COST_SHARING:
            continue
        if adjustment.group is GroupCode.CO and adjustment.reason in WRITE_OFFS:
            continue  # the contractual reduction is the contract, not the reason for the denial
        code = f"{adjustment.group.value}-{adjustment.reason}"
        if code not in codes:
            codes.append(code)
            reasons.append(plain_reason(words.get((adjustment.reason, "carc"), f"reason code {code}")))
        for remark in split_remarks(adjustment.remarks):
            if remark not in codes:
                codes.append(remark)
                if (remark, "rarc") in words:
                    reasons.append(plain_reason(words[(remark, "rarc")]))
    return ", ".join(codes), "; ".join(r for r in reasons if r)


def text_lines(text: str) -> tuple[str, ...]:
    """The non-blank lines of ``text`` (an address typed in a box), trimmed."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def enclosures(detail: ClaimDetail, notice: ClaimEvent, superbill: str) -> tuple[str, ...]:
    """The claim's attachments by name (with a copy of the decision notice when none was attached to
    it), the superbill, and the earlier appeal letters."""
    found: list[str] = []
    if not any(a.event_id == notice.id for a in detail.attachments):
        found.append(f"Copy of the decision notice dated {notice.on.isoformat()}")
    for attachment in detail.attachments:
        name = attachment.original_name
        found.append(f"{attachment.description} ({name})" if attachment.description else name)
    if superbill:
        found.append(superbill)
    for letter in detail.letters:
        found.append(f"Earlier appeal letter {letter.number} ({letter.issued_at:%Y-%m-%d})")
    return tuple(dict.fromkeys(found))


def dispute_lines(detail: ClaimDetail) -> tuple[DisputeLine, ...]:
    """The claim's lines, numbered from 1 in their order on the claim."""
    return tuple(
        DisputeLine(n, line.service_date, line.code, line.charge) for n, line in enumerate(detail.lines, 1)
    )


def authorization_on_file(auths: Sequence[PriorAuthInfo], days: Sequence[date]) -> PriorAuthInfo | None:
    """The approved authorization linked to the claim that covers its dates (or any approved one)."""
    approved = [a for a in auths if a.status == AuthStatus.APPROVED.value]

    def covers(auth: PriorAuthInfo) -> bool:
        return all(
            (auth.valid_from is None or auth.valid_from <= d)
            and (auth.valid_to is None or d <= auth.valid_to)
            for d in days
        )

    return next((a for a in approved if covers(a)), approved[0] if approved else None)


def submission(detail: ClaimDetail) -> tuple[date | None, str, tuple[str, ...]]:
    """When the claim was first sent, how, and the files kept as proof with that event."""
    first = next((e for e in detail.events if e.kind is EventKind.SUBMITTED), None)
    if first is None:
        return None, "", ()
    method = (first.method or detail.method).label.lower()
    proof = tuple(
        f"Proof of submission: {a.description or a.original_name}"
        for a in detail.attachments
        if a.event_id == first.id
    )
    return first.on, method, proof
