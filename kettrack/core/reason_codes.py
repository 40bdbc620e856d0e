"""Claim adjustment reason codes (CARC) and remark codes (RARC) that ketamine claims meet most,
each with kettrack's own short description in plain words (not the official code-list text).
Users add the codes they meet that are not here; theirs take precedence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.validation import text_problem

_CARC = re.compile(r"^(?:\d{1,3}|[A-Z]\d{1,2})$")
_RARC = re.compile(r"^[A-Z]{1,2}\d{1,3}$")
_CARC_FORM = "a reason code (CARC) is 1-3 digits or a letter and digits, like 50 or B7"


@dataclass(frozen=True)
class ReasonCode:
    code: str
    kind: str  # "carc" or "rarc"
    description: str
    user_added: bool = False


STARTER_CARCS: dict[str, str] = {
    "1": "Deductible: you pay this part before the plan starts paying",
    "2": "Coinsurance: your percentage share of the allowed amount",
    "3": "Copay: your fixed share for the visit",
    "4": "The procedure code does not fit the modifier used, or a modifier is missing",
    "11": "The diagnosis does not match the procedure billed",
    "16": "The claim is missing information or has a billing error; fix and resubmit",
    "18": "Duplicate of a claim already received",
    "22": "Another plan may pay first (coordination of benefits)",
    "23": "Reduced because of what another plan already paid",
    "27": "Service after the coverage ended",
    "29": "Filed after the plan's filing deadline",
    "45": "Charge above the plan's fee schedule or allowed amount",
    "50": "Not medically necessary in the plan's view; appeal with evidence",
    "96": "Not covered by the plan",
    "97": "Included in the payment for another service billed",
    "109": "Not covered by this payer; send it to the right one",
    "119": "Benefit maximum for the period has been reached",
    "167": "The diagnosis is not covered",
    "170": "Not paid when this type of provider bills it",
    "197": "Prior authorization was missing",
    "198": "More than the authorized number of visits or units",
    "204": "Not covered under the current benefit plan",
    "242": "Out-of-network provider",
    "252": "An attachment or other documentation is needed",
    "B7": "The provider was not certified for this service on this date",
}

STARTER_RARCS: dict[str, str] = {
    "M15": "Separately billed services were bundled",
    "M51": "The procedure code is missing, incomplete or invalid",
    "M76": "The diagnosis is missing, incomplete or invalid",
    "N4": "Prior insurance payment information is missing",
    "N30": "The patient is not eligible for this service",
    "N115": "Decided under a local coverage determination",
    "N130": "Check the plan's benefit documents for limits",
    "N386": "Decided under a national coverage determination",
    "N657": "This should be billed with the right place of service",
    "MA130": "The claim cannot be appealed as sent; correct it and resubmit",
}


def starter_codes() -> list[ReasonCode]:
    return [ReasonCode(c, "carc", d) for c, d in STARTER_CARCS.items()] + [
        ReasonCode(c, "rarc", d) for c, d in STARTER_RARCS.items()
    ]


def normalize_code(code: str) -> str:
    return code.strip().upper()


def check_reason_code(code: str, kind: str, description: str) -> ReasonCode:
    """A user's code if well-formed: CARCs are 1-3 digits or a letter and digits, RARCs letters+digits."""
    problems: list[Problem] = []
    value = normalize_code(code)
    if kind not in ("carc", "rarc"):
        problems.append(Problem("kind", "choose 'carc' (reason code) or 'rarc' (remark code)"))
    elif kind == "carc" and not _CARC.match(value):
        problems.append(Problem("code", _CARC_FORM))
    elif kind == "rarc" and not _RARC.match(value):
        problems.append(Problem("code", "a remark code (RARC) is letters then digits, like N130 or MA130"))
    if not description.strip():
        problems.append(Problem("description", "say in a few words what the code means"))
    elif problem := text_problem(description, max_len=200):
        problems.append(Problem("description", problem))
    if problems:
        raise InvalidInput(problems)
    return ReasonCode(value, kind, description.strip(), user_added=True)


def split_remarks(text: str) -> tuple[str, ...]:
    """ "N130, M15" or "N130 M15" into its codes, upper-cased."""
    return tuple(normalize_code(part) for part in re.split(r"[\s,;]+", text) if part.strip())


def check_remarks(text: str, field: str = "remarks") -> str:
    codes = split_remarks(text)
    bad = [c for c in codes if not _RARC.match(c)]
    if bad:
        raise InvalidInput.single(field, f"not remark codes: {', '.join(bad)} (like N130 or MA130)")
    if len(codes) > 5:
        raise InvalidInput.single(field, "at most 5 remark codes per adjustment")
    return " ".join(codes)


def check_carc(code: str, field: str = "reason") -> str:
    value = normalize_code(code)
    if not _CARC.match(value):
        raise InvalidInput.single(field, _CARC_FORM)
    return value
