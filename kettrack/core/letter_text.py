"""A letter as plain data, and the appeal's (and external review request's) first draft.

A letter is its facts (sender, recipient, the reference lines, the signer, enclosures, scores: taken
from the record when it is rendered) and its text blocks (the part the person edits). Advice to the
person travels beside the blocks in ``DraftText.advice`` and is never rendered: the renderer takes a
``LetterDocument``, which has no place for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kettrack.core.appeal import AppealCase, ScorePoint
from kettrack.core.enums import PayerKind
from kettrack.core.letter_arguments import ARGUMENT_TEXT, FILL_IN, dates_text
from kettrack.core.letter_kinds import Argument, LetterKind
from kettrack.core.money import format_usd
from kettrack.core.problems import InvalidInput
from kettrack.core.validation import text_problem

MAX_BLOCKS = 40
MAX_BLOCK_CHARS = 8000
_PLACEHOLDER = re.compile(r"\[fill in:[^\]]*\]", re.IGNORECASE)


@dataclass(frozen=True)
class LetterBlock:
    """One editable part of a letter: ``key`` names what it is, ``title`` is printed above it."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class LetterFacts:
    """What a letter prints around its text, from the record (not edited in the draft)."""

    kind: LetterKind
    sender: tuple[str, ...]  # the sender's name, then address lines and phone
    recipient: tuple[str, ...]  # the payer's name, then its address lines
    subject: str
    references: tuple[str, ...]  # "Patient: ...", "Claim number: ...", "Amount in dispute: ..."
    signer: tuple[str, ...]  # the name under the signature line, then the role
    enclosures: tuple[str, ...] = ()
    scores: tuple[ScorePoint, ...] = ()
    payer_claim_number: str = ""
    patient_name: str = ""
    amount_in_dispute: Decimal | None = None


@dataclass(frozen=True)
class LetterDocument:
    """A letter ready to render."""

    facts: LetterFacts
    blocks: tuple[LetterBlock, ...]
    number: str
    issued_on: date


@dataclass(frozen=True)
class DraftText:
    """A first draft: the letter's blocks, and separately the advice for the person."""

    kind: LetterKind
    blocks: tuple[LetterBlock, ...]
    advice: tuple[str, ...] = ()


# --- checks ----------------------------------------------------------------------------------------


def check_blocks(blocks: Sequence[LetterBlock]) -> tuple[LetterBlock, ...]:
    """The blocks as they will be printed: blank ones dropped, each checked (field ``text``)."""
    kept = tuple(
        LetterBlock(b.key, " ".join(b.title.split()), b.text.strip()) for b in blocks if b.text.strip()
    )
    if not kept:
        raise InvalidInput.single("text", "the letter has no text: write at least one paragraph")
    if len(kept) > MAX_BLOCKS:
        raise InvalidInput.single("text", f"at most {MAX_BLOCKS} parts")
    for number, block in enumerate(kept, 1):
        if problem := text_problem(block.text, max_len=MAX_BLOCK_CHARS, multiline=True):
            raise InvalidInput.single("text", f"part {number} ({block.title or block.key}) {problem}")
        if problem := text_problem(block.title, max_len=200):
            raise InvalidInput.single("text", f"the title of part {number} {problem}")
    return kept


def placeholder_problem(blocks: Sequence[LetterBlock]) -> str | None:
    """Why the letter cannot be issued yet: a ``[fill in: ...]`` the person has not replaced."""
    for number, block in enumerate(blocks, 1):
        found = _PLACEHOLDER.search(block.text)
        if found:
            return (
                f"part {number} ({block.title or block.key}) still says {found.group(0)}: "
                "replace it with the facts before issuing"
            )
    return None


# --- the appeal's text ------------------------------------------------------------------------------

_WHAT_WAS_DECIDED = {
    Argument.MEDICAL_NECESSITY: "found the treatment not medically necessary",
    Argument.EXPERIMENTAL: "found the treatment experimental or investigational",
    Argument.AUTHORIZATION: "refused payment for lack of prior authorization",
    Argument.TIMELY_FILING: "refused the claim as filed late",
    Argument.NETWORK_GAP: "refused or reduced payment because the provider is out of network",
    Argument.GENERAL: "did not pay the claim in full",
}


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def in_sentence(name: str) -> str:
    """A level's name inside a sentence: "Internal appeal" -> "internal appeal", "QIC ..." kept."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return name
    return name[:1].lower() + name[1:]


def _claim_words(case: AppealCase) -> str:
    if case.claim_number:
        return f"claim {case.claim_number}"
    if case.submitted_on:
        return f"the claim submitted on {case.submitted_on.isoformat()} (the plan gave it no claim number)"
    return "the claim for these services (the plan gave it no claim number)"


def claim_file_request(payer_kind: PayerKind | None, clinic: bool) -> str:
    """The request for the claim file and the criteria the plan relied on, with the rule that
    entitles the claimant to them (ERISA plans: 29 CFR 2560.503-1(h)(2)(iii))."""
    who = "us" if clinic else "me"
    text = (
        f"Please send {who}, free of charge, copies of all documents, records and other information "
        "relevant to this claim, including the complete claim file and any internal rule, guideline, "
        "protocol, clinical criteria or medical policy the plan relied on in its decision"
    )
    if payer_kind is PayerKind.EMPLOYER_PLAN:
        return text + ", as 29 CFR 2560.503-1(h)(2)(iii) provides."
    if payer_kind is PayerKind.COMMERCIAL:
        return text + ", as 45 CFR 147.136(b) provides."
    if payer_kind in (PayerKind.ORIGINAL_MEDICARE, PayerKind.MEDICARE_ADVANTAGE):
        return text + ", and any local or national coverage determination it applied."
    return text + "."


def appeal_blocks(
    case: AppealCase, kind: LetterKind, issued_on: date | None = None
) -> tuple[LetterBlock, ...]:
    """The first draft of an appeal (or an external review request) on ``case``'s arguments."""
    clinic = case.filer_is_clinic
    we, us, our = ("We", "us", "our") if clinic else ("I", "me", "my")
    primary = case.arguments[0] if case.arguments else Argument.GENERAL
    codes = f" (adjustment codes {case.denial_codes})" if case.denial_codes else ""
    patient = f"our patient {case.patient_name}" if clinic else case.patient_name
    amount = format_usd(case.disputed)
    if kind is LetterKind.EXTERNAL_REVIEW:
        opening = (
            f"{we} request an external review, by an independent review organization, of the plan's final "
            f"decision dated {case.denial_date.isoformat()} on {_claim_words(case)} for {patient}, member ID "
            f"{case.member_id}, covering services on {dates_text(case.service_dates)}. The plan "
            f"{_WHAT_WAS_DECIDED[primary]}{codes} and upheld that decision on internal appeal. The amount in "
            f"dispute is {amount}."
        )
    else:
        level = in_sentence(case.level_name)
        opening = (
            f"{we} {'are' if clinic else 'am'} writing to request {_article(level)} {level} of the plan's "
            f"decision dated {case.denial_date.isoformat()} on {_claim_words(case)} for {patient}, member ID "
            f"{case.member_id}, covering services on {dates_text(case.service_dates)}. The plan "
            f"{_WHAT_WAS_DECIDED[primary]}{codes}. The amount in dispute is {amount}."
        )
    blocks = [LetterBlock("opening", "", opening)]
    for argument in case.arguments or (Argument.GENERAL,):
        blocks.append(LetterBlock(argument.value, argument.heading, ARGUMENT_TEXT[argument](case)))
    blocks.append(
        LetterBlock("claim_file", "Request for the claim file", claim_file_request(case.payer_kind, clinic))
    )
    if case.deadline is not None:
        if issued_on is not None and issued_on > case.deadline.due:
            timing = (
                f"{we} know this request comes after the usual deadline of {case.deadline.due.isoformat()}. "
                f"{we} ask that it be accepted for good cause: {FILL_IN}why it is late]."
            )
        else:
            timing = "This request is made within the time the plan allows for it."
        blocks.append(LetterBlock("timeliness", "", timing))
    if kind is LetterKind.EXTERNAL_REVIEW:
        closing = (
            "Please assign this request to an independent review organization, send it the plan's complete "
            f"file on this claim, and send {us} its decision in writing at the address above."
        )
    else:
        closing = (
            f"Please review the enclosed documents, reverse the decision and pay the {amount} in dispute. "
            f"Please send {our} copy of the decision to the address above."
        )
    blocks.append(LetterBlock("closing", "", closing))
    return tuple(blocks)


def draft_paragraphs(case: AppealCase, issued_on: date | None = None) -> tuple[str, ...]:
    """The appeal's first draft as plain paragraphs (the blocks' texts, for callers without titles)."""
    return tuple(block.text for block in appeal_blocks(case, LetterKind.APPEAL, issued_on))


def appeal_facts(case: AppealCase, kind: LetterKind) -> LetterFacts:
    """The facts an appeal letter prints: the payer's claim number only, never kettrack's own."""
    service = sorted(case.service_dates)
    references = [
        f"Patient: {case.patient_name}"
        + (f", born {case.patient_dob.isoformat()}" if case.patient_dob else ""),
        f"Member ID: {case.member_id}" + (f", group {case.group_number}" if case.group_number else ""),
        f"Claim number: {case.claim_number or 'none given by the plan'}",
        "Dates of service: "
        + (
            ", ".join(d.isoformat() for d in service)
            if len(service) <= 6
            else f"{service[0].isoformat()} to {service[-1].isoformat()} ({len(service)} sessions)"
        ),
        f"Decision dated {case.denial_date.isoformat()}"
        + (f"; adjustment codes {case.denial_codes}" if case.denial_codes else ""),
        f"Amount billed: {format_usd(case.amount_billed)}; amount in dispute: {format_usd(case.disputed)}",
    ]
    if case.provider_name:
        references.append(
            f"Treating provider: {case.provider_name}"
            + (f", NPI {case.provider_npi}" if case.provider_npi else "")
        )
    recipient = [case.payer_name, *case.appeals_address]
    if not any("appeal" in line.lower() or "review" in line.lower() for line in case.appeals_address):
        recipient.insert(1, "External review" if kind is LetterKind.EXTERNAL_REVIEW else "Appeals department")
    subject = (
        "Re: Request for external review" if kind is LetterKind.EXTERNAL_REVIEW else f"Re: {case.level_name}"
    ) + (f" of claim {case.claim_number}" if case.claim_number else "")
    if case.filer_is_clinic:
        signer = (case.sender_name, f"Authorized representative of the patient, {case.patient_name}")
    else:
        signer = (case.patient_name, "Patient")
    enclosures = list(case.enclosures)
    if case.authorization is not None and Argument.AUTHORIZATION in case.arguments:
        enclosures.append(f"Prior authorization approval {case.authorization.auth_number}".rstrip())
    enclosures += [p for p in case.submission_proof if Argument.TIMELY_FILING in case.arguments]
    medical = Argument.MEDICAL_NECESSITY in case.arguments
    return LetterFacts(
        kind=kind,
        sender=tuple(p for p in (case.sender_name, *case.sender_address, case.sender_phone) if p),
        recipient=tuple(recipient),
        subject=subject,
        references=tuple(references),
        signer=signer,
        enclosures=tuple(dict.fromkeys(enclosures)),
        scores=case.scores if medical else (),
        payer_claim_number=case.claim_number,
        patient_name=case.patient_name,
        amount_in_dispute=case.disputed,
    )
