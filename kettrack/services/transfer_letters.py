"""The letters part of an export (format 5): letter drafts of every kind, the letters of medical
necessity (LMN-...) and prior authorization requests (PAR-...) as issued, whose PDFs travel in the
file's ``documents`` section by SHA-256 like appeal letters, and the person's evidence library; and the
prior authorizations each issued superbill printed (``superbill_auths``).

They are table rows, carried and checked like the claims rows (``kettrack.services.transfer_claims``:
each value against its column, every foreign id, every unique key); here are the rules they have
beyond their columns: a letter's text as kettrack keeps it (JSON blocks that pass the letter checks
of ``kettrack.core.letter_text``), an issued letter's number, kind, file name and hash, a draft's
arguments and disputed lines, a citation as the library keeps it; and, across tables, that a letter
is about its own patient's claim and coverage, that a draft marked issued names a letter the file
holds, and that a superbill printed its own patient's authorizations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kettrack.core.letter_evidence import check_citation
from kettrack.core.letter_kinds import Argument, LetterKind
from kettrack.core.letter_text import MAX_BLOCKS, LetterBlock, check_blocks
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.validation import file_name_problem, text_problem
from kettrack.services.transfer_claim_values import RowContext, TableRule
from kettrack.services.transfer_documents import PDF, DocumentRef, sha256_problem

__all__ = [
    "LETTER_RULES",
    "LETTER_TABLES",
    "SUPERBILL_AUTHS",
    "LetterLinks",
    "check_letter_links",
    "documents_named",
    "letter_refs",
]

SUPERBILL_AUTHS = "superbill_auths"
# In insertion order (a draft before the letter issued from it); after the claims tables.
LETTER_TABLES = ("letter_drafts", "issued_letters", "evidence_references")
# As kettrack.services.letter_drafts numbers them: the prefix of each kind, then at least 6 digits.
_NUMBER = {
    LetterKind.MEDICAL_NECESSITY: re.compile(r"LMN-[0-9]{6,16}"),
    LetterKind.PRIOR_AUTHORIZATION: re.compile(r"PAR-[0-9]{6,16}"),
}
_POSITIONS = re.compile(r"[1-9][0-9]{0,5}")
_KEY_MAX = 100
_TITLE_MAX = 200


# --- a row against its table's rules -------------------------------------------------------------


def _blocks(raw: str) -> tuple[tuple[LetterBlock, ...] | None, str | None]:
    """A letter's stored blocks, or what is wrong with them."""
    wrong = "is not a letter's text as kettrack keeps it (a JSON list of [key, title, text])"
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return None, wrong
    if not isinstance(parsed, list) or not all(
        isinstance(b, list) and len(b) == 3 and all(isinstance(x, str) for x in b) for b in parsed
    ):
        return None, wrong
    if len(parsed) > MAX_BLOCKS:
        return None, f"has {len(parsed)} parts; a letter has at most {MAX_BLOCKS}"
    return tuple(LetterBlock(k, t, x) for k, t, x in parsed), None


def _block_problems(blocks: tuple[LetterBlock, ...]) -> str | None:
    """Each part as the letter checks take it (an empty part may wait in a draft)."""
    for number, block in enumerate(blocks, 1):
        if problem := text_problem(block.key, max_len=_KEY_MAX):
            return f"part {number}: its key {problem}"
        if problem := text_problem(block.title, max_len=_TITLE_MAX):
            return f"part {number}: its title {problem}"
        if block.text.strip():
            try:
                check_blocks([block])
            except InvalidInput as exc:
                return exc.problems[0].message
    return None


def _draft_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kind = LetterKind(row["kind"])
    if kind.about_a_claim and row["claim_id"] is None:
        found.append(("claim_id", "must name the claim the letter answers (an appeal or external review)"))
    arguments = [a for a in row["arguments"].split(",") if a] if row["arguments"] else []
    known = {a.value for a in Argument}
    if any(a not in known for a in arguments) or len(set(arguments)) != len(arguments):
        found.append(
            ("arguments", f"must be arguments kettrack knows ({', '.join(sorted(known))}), once each")
        )
    lines = row["disputed_lines"].split(",") if row["disputed_lines"] else []
    if not all(_POSITIONS.fullmatch(n) for n in lines) or len(set(lines)) != len(lines):
        found.append(("disputed_lines", "must be claim line numbers separated by commas, like 1,3"))
    if row["codes"] != " ".join(row["codes"].upper().split()):
        found.append(
            ("codes", "must be codes in capitals separated by single spaces, as the draft keeps them")
        )
    if row["period_from"] and row["period_to"] and row["period_to"] < row["period_from"]:
        found.append(("period_to", "ends before it starts"))
    blocks, problem = _blocks(row["blocks"])
    if problem is None and blocks is not None:
        problem = _block_problems(blocks)
    if problem is not None:
        found.append(("blocks", problem))
    return found


def _issued_letter_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kind = LetterKind(row["kind"])
    pattern = _NUMBER.get(kind)
    if pattern is None:
        # Appeals and external review requests are issued as appeal_letters with their claim event.
        found.append(("kind", f"{kind.value} letters are issued as appeal_letters, not here"))
    elif not pattern.fullmatch(row["number"]):
        prefix = pattern.pattern[:4]
        found.append(
            ("number", f"{row['number'][:24]!r} is not a {kind.label.lower()} number ({prefix}000001)")
        )
    if problem := file_name_problem(row["file_name"]):
        found.append(("file_name", problem))
    elif not row["file_name"].lower().endswith(".pdf"):
        found.append(("file_name", "must end in .pdf"))
    if problem := sha256_problem(row["sha256"]):
        found.append(("sha256", problem))
    blocks, problem = _blocks(row["blocks"])
    if problem is None and blocks is not None:
        # As issued: the blocks the letter checks kept, exactly.
        try:
            if check_blocks(blocks) != blocks:
                problem = "is not an issued letter's text as kettrack keeps it (blank or untrimmed parts)"
        except InvalidInput as exc:
            problem = exc.problems[0].message
    if problem is not None:
        found.append(("blocks", problem))
    return found


def _evidence_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    try:
        kept = check_citation(row["citation"])
    except InvalidInput as exc:
        return [("citation", exc.problems[0].message)]
    if kept != row["citation"]:
        return [("citation", "is not a reference as the library keeps it (one line, single spaces)")]
    return []


LETTER_RULES: dict[str, TableRule] = {
    "letter_drafts": _draft_rules,
    "issued_letters": _issued_letter_rules,
    "evidence_references": _evidence_rules,
}


# --- across tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterLinks:
    """What the letters' cross-checks read from the file's other sections."""

    coverage_patients: dict[int, int]  # coverage id -> its patient
    claim_patients: dict[int, int]  # claim id -> its patient
    appeal_numbers: set[str]  # the appeal_letters' numbers
    superbill_patients: dict[int, int]  # superbill id -> its patient
    auth_patients: dict[int, int]  # prior authorization id -> its patient


def check_letter_links(
    rows: dict[str, list[dict[str, Any]]], labels: dict[str, list[str]], links: LetterLinks
) -> list[Problem]:
    """A letter is about its own patient's claim and coverage; a draft marked issued names a letter the
    file holds, and an issued letter's draft says it was issued as that letter; a superbill printed
    its own patient's authorizations."""
    problems: list[Problem] = []

    def add(label: str, column: str, message: str) -> None:
        problems.append(Problem(f"{label}.{column}", message))

    def same_patient(label: str, row: dict[str, Any], column: str, owners: dict[int, int]) -> None:
        owner = owners.get(row[column]) if row.get(column) is not None else None
        if owner is not None and owner != row["patient_id"]:
            add(label, column, f"is patient {owner}'s, not patient {row['patient_id']}'s")

    issued = {row["number"]: row for row in rows.get("issued_letters", [])}
    drafts = {row["id"]: row for row in rows.get("letter_drafts", [])}
    for label, row in zip(labels.get("letter_drafts", []), rows.get("letter_drafts", []), strict=True):
        same_patient(label, row, "claim_id", links.claim_patients)
        same_patient(label, row, "coverage_id", links.coverage_patients)
        number = row["issued_number"]
        if not number:
            continue
        kind = LetterKind(row["kind"])
        if kind.about_a_claim and number not in links.appeal_numbers:
            add(label, "issued_number", f"there is no appeal letter {number[:24]!r} in the file")
        elif not kind.about_a_claim and number not in issued:
            add(label, "issued_number", f"there is no issued letter {number[:24]!r} in the file")
    for label, row in zip(labels.get("issued_letters", []), rows.get("issued_letters", []), strict=True):
        same_patient(label, row, "claim_id", links.claim_patients)
        draft = drafts.get(row["draft_id"]) if row["draft_id"] is not None else None
        if draft is None:
            continue
        if draft["issued_number"] != row["number"]:
            add(label, "draft_id", f"the draft {row['draft_id']} was not issued as {row['number'][:24]!r}")
        elif (draft["kind"], draft["patient_id"]) != (row["kind"], row["patient_id"]):
            add(label, "draft_id", f"the draft {row['draft_id']} is another kind of letter or patient's")
    for label, row in zip(labels.get(SUPERBILL_AUTHS, []), rows.get(SUPERBILL_AUTHS, []), strict=True):
        bill, auth = (
            links.superbill_patients.get(row["superbill_id"]),
            links.auth_patients.get(row["auth_id"]),
        )
        if bill is not None and auth is not None and bill != auth:
            add(label, "auth_id", f"is patient {auth}'s authorization, on patient {bill}'s superbill")
    return problems


# --- documents ------------------------------------------------------------------------------------


def documents_named(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, sha256) of the issued letters' PDFs, for the export's documents section."""
    return [(f"letter {row['number']}", row["sha256"]) for row in data.get("issued_letters", [])]


def letter_refs(named: list[tuple[str, dict[str, Any]]]) -> list[DocumentRef]:
    """The documents the issued letters of the file name: each a PDF."""
    return [DocumentRef(label, row["sha256"], PDF) for label, row in named]
