"""How each value of a claims-section row is checked before anything is written: against its column
(its type, its range, text within the column's length and free of control and text-direction
characters, enum values, business dates between 1900 and two years ahead), and against the rules its
table has beyond the types (reason codes, payer rules, letters, attachments, the audit log's actions).

Walking the sections, unique keys and foreign ids: ``kettrack.services.transfer_claims``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Column, Date, Integer, String, Table, UniqueConstraint
from sqlalchemy import Enum as SqlEnum

from kettrack.core import validation
from kettrack.core.attachments import MAX_ATTACHMENT_BYTES
from kettrack.core.claim_states import Outcome
from kettrack.core.enums import PayerKind
from kettrack.core.money import MAX_AMOUNT, parse_amount
from kettrack.core.payer_rules import RuleOverrides, check_overrides
from kettrack.core.problems import InvalidInput
from kettrack.core.reason_codes import check_reason_code
from kettrack.services.transfer_documents import sha256_problem
from kettrack.services.transfer_format import MAX_TOTAL, clock_day
from kettrack.store.audit import ACTIONS
from kettrack.store.types import FixedPoint, UTCDateTime

__all__ = [
    "MAX_INTEGER",
    "TABLE_RULES",
    "RowContext",
    "TableRule",
    "UnfitValue",
    "column_value",
    "row_label",
    "unique_keys",
]

# PostgreSQL's integer column; a larger value cannot be stored.
MAX_INTEGER = 2**31 - 1
# Kettrack derives these from the events: a deadline counted from a denial may lie as far ahead as a
# payer's appeal window, which a payer rule may set to 120 months.
_DEADLINES = {("claims", "next_due"), ("claims", "next_trigger")}
_DEADLINE_YEARS = 11
_MULTILINE = {("claim_events", "note"), ("prior_auths", "notes")}
# A letter's blocks are JSON: 40 parts of 8,000 characters, with their titles and the JSON around them.
_TEXT_MAX = {
    ("appeal_letters", "paragraphs"): 500_000,
    ("payer_rules", "overrides"): 10_000,
    ("letter_drafts", "blocks"): 500_000,
    ("issued_letters", "blocks"): 500_000,
}
# Integer columns that count from 1 (ids and foreign ids always do).
_FROM_ONE = {
    ("claim_lines", "units"),
    ("prior_auths", "units"),
    ("letter_drafts", "units"),
    ("claim_attachments", "size"),
    ("claim_events", "sequence"),
    ("audit_log", "sequence"),
}
_NEGATIVE_MONEY = {("claim_adjustments", "amount")}  # a CARC adjustment may give money back
_TOTALS = {("claims", "billed"), ("claims", "paid"), ("claims", "outstanding")}
# As kettrack.services.letters.check_paragraphs allows a letter.
_MAX_PARAGRAPHS = 60
_MAX_PARAGRAPH_CHARS = 6000


class UnfitValue(Exception):
    """A value that does not fit its column; the message says why."""


# --- a value against its column ---------------------------------------------------------------------


def _date(raw: Any, today: date, years_ahead: int) -> date:
    if not isinstance(raw, str):
        raise UnfitValue("must be a date written YYYY-MM-DD")
    try:
        value = validation.parse_date(raw)
    except InvalidInput as exc:
        raise UnfitValue(exc.problems[0].message) from None
    if problem := validation.plausible_date_problem(value, today, years_ahead=years_ahead):
        raise UnfitValue(problem)
    return value


def _moment(raw: Any, today: date) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise UnfitValue("must be a date and time written like 2026-11-23T09:30:00+00:00")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise UnfitValue(f"{raw!r} is not a date and time") from None
    offset = value.utcoffset()
    if offset is None or offset:
        # The audit chain hashes the time as written: another offset would not survive the database.
        raise UnfitValue("must be a time in UTC (ending +00:00), as kettrack writes it")
    if problem := validation.plausible_date_problem(value.date(), clock_day(today)):
        raise UnfitValue(problem)
    return value.astimezone(UTC)


def _amount(raw: Any, places: int, key: tuple[str, str]) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise UnfitValue('must be an amount written as text, like "450.00"')
    if places != 2:
        raise TypeError(f"no check for a FixedPoint({places}) column: teach the format first")
    maximum = MAX_TOTAL if key in _TOTALS else MAX_AMOUNT
    try:
        return parse_amount(raw, "amount", allow_negative=key in _NEGATIVE_MONEY, maximum=maximum)
    except InvalidInput as exc:
        raise UnfitValue(exc.problems[0].message) from None
    except InvalidOperation:  # a Decimal from the JSON parser that no arithmetic takes
        raise UnfitValue("is not an amount") from None


def column_value(table: Table, column: Column[Any], raw: Any, today: date) -> Any:
    """``raw`` as the value to insert into ``column``, or UnfitValue saying why it does not fit."""
    key = (table.name, column.name)
    if raw is None:
        if not column.nullable:
            raise UnfitValue("cannot be null")
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _moment(raw, today)
    if isinstance(kind, FixedPoint):
        return _amount(raw, kind.places, key)
    if isinstance(kind, Date):
        years = _DEADLINE_YEARS if key in _DEADLINES else validation.YEARS_AHEAD
        return _date(raw, today, years)
    if isinstance(kind, SqlEnum):  # before String: an Enum column is a String too
        values = [e.value for e in kind.enum_class] if kind.enum_class else list(kind.enums)
        if not isinstance(raw, str) or raw not in values:
            raise UnfitValue(f"{str(raw)[:40]!r} is not one of: {', '.join(values)}")
        return kind.enum_class(raw) if kind.enum_class else raw
    if isinstance(kind, Boolean):
        if not isinstance(raw, bool):
            raise UnfitValue("must be true or false")
        return raw
    if isinstance(kind, Integer):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise UnfitValue("must be a whole number")
        lowest = 1 if (column.primary_key and column.name == "id") or column.foreign_keys else 0
        lowest = 1 if key in _FROM_ONE else lowest
        if not lowest <= raw <= MAX_INTEGER:
            raise UnfitValue(f"must be between {lowest} and {MAX_INTEGER}")
        return raw
    if isinstance(kind, String):
        if not isinstance(raw, str):
            raise UnfitValue("must be text")
        limit = kind.length or _TEXT_MAX.get(key, validation.NOTE_MAX)
        if problem := validation.text_problem(raw, max_len=limit, multiline=key in _MULTILINE):
            raise UnfitValue(problem)
        return raw
    raise TypeError(f"no check for {table.name}.{column.name} ({kind!r}): teach the format first")


def unique_keys(table: Table) -> list[tuple[str, ...]]:
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return list(dict.fromkeys(keys))


def row_label(name: str, number: int, item: Any) -> str:
    key = "sequence" if name == "audit_log" else "id"
    value = item.get(key) if isinstance(item, dict) else None
    shown = f" ({key} {value})" if isinstance(value, int) and not isinstance(value, bool) else ""
    return f"{name}[{number}]{shown}"


# --- a row against its table's rules -------------------------------------------------------------


@dataclass
class RowContext:
    """What a table's rules may need beyond the row itself: each payer's kind, by id."""

    payer_kinds: dict[int, PayerKind]


# The rules of a table beyond each column's type: check(row, context) -> [(column, message)].
TableRule = Callable[[dict[str, Any], RowContext], list[tuple[str, str]]]


def _claim_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    found = []
    if row["last_service"] < row["first_service"]:
        found.append(("last_service", "is before first_service"))
    if row["outcome"] is not None and row["outcome"] not in {o.value for o in Outcome}:
        found.append(
            ("outcome", f"{row['outcome'][:20]!r} is not one of: {', '.join(o.value for o in Outcome)}")
        )
    return found


def _auth_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    if row["valid_from"] and row["valid_to"] and row["valid_to"] < row["valid_from"]:
        return [("valid_to", "ends before it starts")]
    return []


def _reason_code_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    try:
        checked = check_reason_code(row["code"], row["kind"], row["description"])
    except InvalidInput as exc:
        return [(p.field, p.message) for p in exc.problems]
    if checked.code != row["code"]:
        return [("code", f"is written {checked.code} by kettrack")]
    return []


def _payer_rule_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    kind = ctx.payer_kinds.get(row["payer_id"])
    try:
        overrides = RuleOverrides.from_json(row["overrides"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return [("overrides", "is not a payer's rules as kettrack writes them")]
    found = [
        ("overrides", f"{name} {problem}")
        for name, text in (("note", overrides.note), ("filing_source", overrides.filing_source))
        if (problem := validation.plain_text_problem(text, multiline=True))
    ]
    if kind is not None:
        try:
            check_overrides(kind, overrides)
        except InvalidInput as exc:
            found += [("overrides", f"{p.field}: {p.message}") for p in exc.problems]
    return found


def _letter_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    found = []
    if problem := validation.file_name_problem(row["file_name"]):
        found.append(("file_name", problem))
    elif not row["file_name"].lower().endswith(".pdf"):
        found.append(("file_name", "must end in .pdf"))
    if problem := sha256_problem(row["sha256"]):
        found.append(("sha256", problem))
    if row["paragraphs"]:
        try:
            paragraphs = json.loads(row["paragraphs"])
        except ValueError:
            paragraphs = None
        if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
            found.append(("paragraphs", "must be a list of paragraphs (JSON text)"))
        elif len(paragraphs) > _MAX_PARAGRAPHS:
            found.append(("paragraphs", f"at most {_MAX_PARAGRAPHS} paragraphs"))
        else:
            for number, text in enumerate(paragraphs, start=1):
                if problem := validation.text_problem(text, max_len=_MAX_PARAGRAPH_CHARS, multiline=True):
                    found.append(("paragraphs", f"paragraph {number} {problem}"))
                    break
    return found


def _attachment_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    found = []
    if problem := validation.file_name_problem(row["file_name"]):
        found.append(("file_name", problem))
    if problem := validation.file_name_problem(row["original_name"], max_len=255):
        found.append(("original_name", problem))
    if problem := sha256_problem(row["sha256"]):
        found.append(("sha256", problem))
    if row["size"] > MAX_ATTACHMENT_BYTES:
        found.append(("size", f"is more than an attachment may have ({MAX_ATTACHMENT_BYTES // 1048576} MB)"))
    return found


def _audit_rules(row: dict[str, Any], ctx: RowContext) -> list[tuple[str, str]]:
    if row["action"] not in ACTIONS:
        return [("action", f"{row['action']!r} is not an action kettrack records")]
    return []


TABLE_RULES: dict[str, TableRule] = {
    "claims": _claim_rules,
    "prior_auths": _auth_rules,
    "reason_codes": _reason_code_rules,
    "payer_rules": _payer_rule_rules,
    "appeal_letters": _letter_rules,
    "claim_attachments": _attachment_rules,
    "audit_log": _audit_rules,
}
