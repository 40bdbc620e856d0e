"""A stored letter draft as the faces see it, an issued letter's record, and how a draft's blocks
are kept (JSON) and typed (plain text with ``## Title`` lines between the parts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from kettrack.core.bill_problems import BillProblem
from kettrack.core.letter_kinds import Argument, LetterKind
from kettrack.core.letter_text import LetterBlock
from kettrack.core.problems import InvalidInput

_TITLE = "## "


@dataclass(frozen=True)
class LetterDraftView:
    """A draft: what it is about, its blocks (the letter's text) and, apart, the advice for the person."""

    id: int
    kind: LetterKind
    patient_id: int
    claim_id: int | None
    blocks: tuple[LetterBlock, ...]
    advice: tuple[str, ...]
    arguments: tuple[Argument, ...] = ()
    disputed_lines: tuple[int, ...] = ()
    no_claim_number: bool = False
    payer_claim_number: str = ""
    amount_in_dispute: Decimal | None = None
    issued_number: str = ""
    about: str = ""  # "Avery J. Lindqvist, claim BRX-55012"
    # What the advice says is missing, with the record that holds it and the command that fills it.
    gaps: tuple[BillProblem, ...] = ()

    @property
    def issued(self) -> bool:
        return bool(self.issued_number)


@dataclass(frozen=True)
class IssuedLetter:
    """A letter as issued: an appeal's (recorded with its claim event) or a provider's letter."""

    kind: LetterKind
    id: int  # the appeal_letters row for appeals, the issued_letters row otherwise
    number: str
    sha256: str
    file_name: str
    claim_id: int | None = None


def blocks_to_json(blocks: tuple[LetterBlock, ...] | list[LetterBlock]) -> str:
    return json.dumps([[b.key, b.title, b.text] for b in blocks], ensure_ascii=False)


def blocks_from_json(text: str) -> tuple[LetterBlock, ...]:
    return tuple(LetterBlock(str(k), str(t), str(x)) for k, t, x in json.loads(text or "[]"))


def blocks_to_text(blocks: tuple[LetterBlock, ...]) -> str:
    """The blocks as one editable text: each titled part starts with a ``## Title`` line, and a part
    without a title after a titled one with a bare ``##`` line."""
    parts = []
    titled = False
    for block in blocks:
        if block.title:
            parts.append(f"{_TITLE}{block.title}\n{block.text}")
            titled = True
        else:
            parts.append(f"##\n{block.text}" if titled else block.text)
    return "\n\n".join(parts)


def blocks_from_text(text: str, known: tuple[LetterBlock, ...] = ()) -> tuple[LetterBlock, ...]:
    """Typed text back into blocks: a ``## Title`` line starts a titled part (a bare ``##`` one
    without a title); text before the first is the opening. Keys are kept from ``known`` where a
    title matches."""
    keys = {b.title: b.key for b in known if b.title}
    blocks: list[LetterBlock] = []
    title, key = "", "opening"
    lines: list[str] = []

    def close() -> None:
        body = "\n".join(lines).strip()
        if body:
            blocks.append(LetterBlock(key, title, body))

    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(_TITLE) or line.rstrip() == "##":
            close()
            title = line[2:].strip()
            key, lines = keys.get(title, f"part{len(blocks) + 1}"), []
        else:
            lines.append(line)
    close()
    return tuple(blocks)


def parse_lines(text: str) -> tuple[int, ...]:
    """ "1,3-4" into line positions (InvalidInput on the ``lines`` field)."""
    found: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise InvalidInput.single("lines", f"{part!r} is not a line number or range (like 1,3-4)")
        first, last = int(low), int(high or low)
        if first < 1 or last < first or last - first > 500:
            raise InvalidInput.single("lines", f"{part!r} is not a line number or range (like 1,3-4)")
        found += range(first, last + 1)
    return tuple(sorted(set(found)))
