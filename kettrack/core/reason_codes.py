"""Claim adjustment reason codes (CARC) and remark codes (RARC): the starter list (the codes kettrack
understands, from ``kettrack.core.denial_codes``, each with kettrack's own description, not the
official code-list text), and the checks of the codes a person types. Users add the codes they meet
that are not here, or re-describe one; theirs take precedence for descriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kettrack.core.denial_codes import table
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


# The starter list is the table of codes kettrack understands (kettrack.core.denial_codes): one source
# of truth for what a code means and where it leads. The descriptions say what the code means, never
# what to do about it, since an appeal letter may quote them.
STARTER_CARCS: dict[str, str] = {c.code: c.meaning for c in table() if c.kind == "carc"}
STARTER_RARCS: dict[str, str] = {c.code: c.meaning for c in table() if c.kind == "rarc"}


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
