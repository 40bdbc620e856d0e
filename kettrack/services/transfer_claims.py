"""The claims part of an export (format 3 onward): claims with their lines, events, adjustments,
attachments, prior authorizations, payer rules, reason codes, appeal letters and the audit log, row
for row. The documents the attachments and letters name travel in the file's ``documents`` section
(format 4; format 3 carried them in ``claim_attachment_files`` and ``appeal_letter_files``, keyed by
file name, which an import still reads).

These are history, not typed-in records: they are written back exactly as they were (same ids, same
recorded times, the audit chain intact). Because they arrive as raw table rows, every value is
checked against its column before anything is written: its type, its range (ids and counts that fit
the integer column, amounts the Money type and the forms accept, business dates between 1900 and two
years ahead), text within the column's length and free of control and text-direction characters,
enum values, every foreign id naming a row the file holds, and every unique key unique. The rows with
rules of their own (reason codes, payer rules, letters, the audit chain) go through those rules too.
A bad value is a problem naming its section, row and column; nothing reaches the database unchecked.

The audit chain is verified as a whole (``kettrack.core.audit.verify_chain``): an entry changed in
the file, even one whose hash was recomputed without the ones after it, refuses the import.
``audit_seals`` are never exported nor imported: they are made with a key of the installation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy import Boolean, Column, Date, Integer, String, Table, UniqueConstraint, insert, select
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Session

from kettrack.core import validation
from kettrack.core.attachments import MAX_ATTACHMENT_BYTES
from kettrack.core.audit import AuditEntry, verify_chain
from kettrack.core.claim_states import Outcome
from kettrack.core.enums import PayerKind
from kettrack.core.money import MAX_AMOUNT, parse_amount
from kettrack.core.payer_rules import RuleOverrides, check_overrides
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.reason_codes import check_reason_code
from kettrack.services.transfer_billing import MAX_TOTAL, PDF, DocumentRef, clock_day, sha256_problem
from kettrack.store.audit import ACTIONS
from kettrack.store.models import Base
from kettrack.store.types import FixedPoint, UTCDateTime

# In insertion order: every table after the ones it refers to.
TABLES = (
    "payer_rules",
    "reason_codes",
    "prior_auths",
    "claims",
    "claim_lines",
    "claim_events",
    "claim_adjustments",
    "claim_attachments",
    "claim_auths",
    "appeal_letters",
    "audit_log",
)
# Format 3 kept the bytes of attachments and letters here, keyed by the row's file name.
LEGACY_FILE_SECTIONS = {
    "claim_attachment_files": "claim_attachments",
    "appeal_letter_files": "appeal_letters",
}
_DOCUMENT_OWNERS = tuple(LEGACY_FILE_SECTIONS.values())
Rows = dict[str, list[dict[str, Any]]]

# PostgreSQL's integer column; a larger value cannot be stored.
MAX_INTEGER = 2**31 - 1
# Kettrack derives these from the events: a deadline counted from a denial may lie as far ahead as a
# payer's appeal window, which a payer rule may set to 120 months.
_DEADLINES = {("claims", "next_due"), ("claims", "next_trigger")}
_DEADLINE_YEARS = 11
_MULTILINE = {("claim_events", "note"), ("prior_auths", "notes")}
_TEXT_MAX = {("appeal_letters", "paragraphs"): 500_000, ("payer_rules", "overrides"): 10_000}
# Integer columns that count from 1 (ids and foreign ids always do).
_FROM_ONE = {
    ("claim_lines", "units"),
    ("prior_auths", "units"),
    ("claim_attachments", "size"),
    ("claim_events", "sequence"),
    ("audit_log", "sequence"),
}
_NEGATIVE_MONEY = {("claim_adjustments", "amount")}  # a CARC adjustment may give money back
_TOTALS = {("claims", "billed"), ("claims", "paid"), ("claims", "outstanding")}
# As kettrack.services.letters.check_paragraphs allows a letter.
_MAX_PARAGRAPHS = 60
_MAX_PARAGRAPH_CHARS = 6000


class _Bad(Exception):
    """A value that does not fit its column; the message says why."""


@dataclass
class CheckedClaims:
    """The claims rows ready to insert, and the documents their attachments and letters name."""

    rows: Rows = field(default_factory=dict)
    refs: list[DocumentRef] = field(default_factory=list)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


# --- export ---------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_claims(session: Session) -> dict[str, Any]:
    """The claims tables, row for row in primary-key order (``audit_seals`` never: see the docstring)."""
    data: dict[str, Any] = {}
    for name in TABLES:
        source = _table(name)
        rows = session.execute(select(source).order_by(*source.primary_key.columns)).mappings()
        data[name] = [{key: _encode(value) for key, value in row.items()} for row in rows]
    return data


def documents_named(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, sha256) of every document the exported claims rows name, for the documents section."""
    named = [
        (f"attachment {row['original_name']!r} of claim id {row['claim_id']}", row["sha256"])
        for row in data["claim_attachments"]
    ]
    named += [(f"appeal letter {row['number']}", row["sha256"]) for row in data["appeal_letters"]]
    return named


# --- checking a file's rows -----------------------------------------------------------------------


def _date(raw: Any, today: date, years_ahead: int) -> date:
    if not isinstance(raw, str):
        raise _Bad("must be a date written YYYY-MM-DD")
    try:
        value = validation.parse_date(raw)
    except InvalidInput as exc:
        raise _Bad(exc.problems[0].message) from None
    if problem := validation.plausible_date_problem(value, today, years_ahead=years_ahead):
        raise _Bad(problem)
    return value


def _moment(raw: Any, today: date) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise _Bad("must be a date and time written like 2026-11-23T09:30:00+00:00")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise _Bad(f"{raw!r} is not a date and time") from None
    offset = value.utcoffset()
    if offset is None or offset:
        # The audit chain hashes the time as written: another offset would not survive the database.
        raise _Bad("must be a time in UTC (ending +00:00), as kettrack writes it")
    if problem := validation.plausible_date_problem(value.date(), clock_day(today)):
        raise _Bad(problem)
    return value.astimezone(UTC)


def _amount(raw: Any, places: int, key: tuple[str, str]) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise _Bad('must be an amount written as text, like "450.00"')
    if places != 2:
        raise TypeError(f"no check for a FixedPoint({places}) column: teach the format first")
    maximum = MAX_TOTAL if key in _TOTALS else MAX_AMOUNT
    try:
        return parse_amount(raw, "amount", allow_negative=key in _NEGATIVE_MONEY, maximum=maximum)
    except InvalidInput as exc:
        raise _Bad(exc.problems[0].message) from None
    except InvalidOperation:  # a Decimal from the JSON parser that no arithmetic takes
        raise _Bad("is not an amount") from None


def _value(table: Table, column: Column[Any], raw: Any, today: date) -> Any:
    """``raw`` as the value to insert into ``column``, or _Bad saying why it does not fit."""
    key = (table.name, column.name)
    if raw is None:
        if not column.nullable:
            raise _Bad("cannot be null")
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
            raise _Bad(f"{str(raw)[:40]!r} is not one of: {', '.join(values)}")
        return kind.enum_class(raw) if kind.enum_class else raw
    if isinstance(kind, Boolean):
        if not isinstance(raw, bool):
            raise _Bad("must be true or false")
        return raw
    if isinstance(kind, Integer):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _Bad("must be a whole number")
        lowest = 1 if (column.primary_key and column.name == "id") or column.foreign_keys else 0
        lowest = 1 if key in _FROM_ONE else lowest
        if not lowest <= raw <= MAX_INTEGER:
            raise _Bad(f"must be between {lowest} and {MAX_INTEGER}")
        return raw
    if isinstance(kind, String):
        if not isinstance(raw, str):
            raise _Bad("must be text")
        limit = kind.length or _TEXT_MAX.get(key, validation.NOTE_MAX)
        if problem := validation.text_problem(raw, max_len=limit, multiline=key in _MULTILINE):
            raise _Bad(problem)
        return raw
    raise TypeError(f"no check for {table.name}.{column.name} ({kind!r}): teach the format first")


def _unique_keys(table: Table) -> list[tuple[str, ...]]:
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return list(dict.fromkeys(keys))


def _row_label(name: str, number: int, item: Any) -> str:
    key = "sequence" if name == "audit_log" else "id"
    value = item.get(key) if isinstance(item, dict) else None
    shown = f" ({key} {value})" if isinstance(value, int) and not isinstance(value, bool) else ""
    return f"{name}[{number}]{shown}"


def shown_name(name: Any) -> str:
    """A name from the file as a problem may show it: as it is when plain, else escaped (a field name
    with a line break or U+202E must not rewrite the terminal it is printed on)."""
    text = str(name)
    if len(text) <= 64 and text.isprintable() and validation.plain_text_problem(text) is None:
        return text
    return repr(text[:64])


@dataclass
class _Context:
    payer_kinds: dict[int, PayerKind]


# The rules of a table beyond each column's type: check(row, context) -> [(column, message)].
_Rule = Callable[[dict[str, Any], _Context], list[tuple[str, str]]]


def _claim_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
    found = []
    if row["last_service"] < row["first_service"]:
        found.append(("last_service", "is before first_service"))
    if row["outcome"] is not None and row["outcome"] not in {o.value for o in Outcome}:
        found.append(
            ("outcome", f"{row['outcome'][:20]!r} is not one of: {', '.join(o.value for o in Outcome)}")
        )
    return found


def _auth_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
    if row["valid_from"] and row["valid_to"] and row["valid_to"] < row["valid_from"]:
        return [("valid_to", "ends before it starts")]
    return []


def _reason_code_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
    try:
        checked = check_reason_code(row["code"], row["kind"], row["description"])
    except InvalidInput as exc:
        return [(p.field, p.message) for p in exc.problems]
    if checked.code != row["code"]:
        return [("code", f"is written {checked.code} by kettrack")]
    return []


def _payer_rule_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
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


def _letter_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
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


def _attachment_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
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


def _audit_rules(row: dict[str, Any], ctx: _Context) -> list[tuple[str, str]]:
    if row["action"] not in ACTIONS:
        return [("action", f"{row['action']!r} is not an action kettrack records")]
    return []


_RULES: dict[str, _Rule] = {
    "claims": _claim_rules,
    "prior_auths": _auth_rules,
    "reason_codes": _reason_code_rules,
    "payer_rules": _payer_rule_rules,
    "appeal_letters": _letter_rules,
    "claim_attachments": _attachment_rules,
    "audit_log": _audit_rules,
}


def check_claims(
    data: dict[str, Any],
    pools: dict[str, set[int]],
    payer_kinds: dict[int, PayerKind],
    today: date,
    *,
    legacy_files: bool,
) -> tuple[CheckedClaims, list[Problem]]:
    """Check every row of the claims sections; problems name the section, row and column.

    ``pools`` holds the ids of the rows the file's other sections hold (by table name), for the
    foreign ids; ``legacy_files``: the file is format 3, whose attachments and letters carry their
    bytes in the file sections keyed by file name."""
    problems: list[Problem] = []
    checked = CheckedClaims()
    ctx = _Context(payer_kinds)
    labels: dict[str, list[str]] = {}
    named: dict[str, list[tuple[str, dict[str, Any]]]] = {owner: [] for owner in _DOCUMENT_OWNERS}
    pools = {name: set(ids) for name, ids in pools.items()}
    for name in TABLES:
        raw = data.get(name, [])
        table = _table(name)
        checked.rows[name] = []
        labels[name] = []
        if not isinstance(raw, list):
            problems.append(Problem(name, "must be a list"))
            continue
        columns = table.c.keys()
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {key: set() for key in _unique_keys(table)}
        for number, item in enumerate(raw, start=1):
            label = _row_label(name, number, item)
            if not isinstance(item, dict):
                problems.append(Problem(label, "must be an object"))
                continue
            unknown = set(item) - set(columns)
            if unknown:
                shown = ", ".join(shown_name(u) for u in sorted(unknown))
                problems.append(Problem(label, f"unknown fields {shown} (refused rather than dropped)"))
                continue
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.name not in item:
                    problems.append(Problem(f"{label}.{column.name}", "is missing"))
                    continue
                try:
                    row[column.name] = _value(table, column, item[column.name], today)
                except _Bad as exc:
                    problems.append(Problem(f"{label}.{column.name}", str(exc)))
            if "id" in row:
                # Referable even if another of its values is wrong: one bad claim must not repeat as
                # a problem on each of its lines and events.
                pools.setdefault(name, set()).add(row["id"])
            if len(row) != len(columns):
                continue
            if name in _DOCUMENT_OWNERS and sha256_problem(row["sha256"]) is None:
                # Named even when the row has other problems, so its document is not reported as stray.
                named[name].append((label, row))
            bad = False
            for key, values in seen.items():
                value = tuple(row[c] for c in key)
                if None in value:
                    continue  # NULLs never collide in a unique key
                if value in values:
                    shown_key = ", ".join(key)
                    problems.append(Problem(f"{label}.{key[-1]}", f"another row has the same {shown_key}"))
                    bad = True
                values.add(value)
            rule = _RULES.get(name)
            for column_name, message in rule(row, ctx) if rule else []:
                problems.append(Problem(f"{label}.{column_name}", message))
                bad = True
            if bad:
                continue
            checked.rows[name].append(row)
            labels[name].append(label)

    # Foreign ids, once every table's ids are known (a claim may replace a later claim).
    for name in TABLES:
        table = _table(name)
        kept: list[dict[str, Any]] = []
        kept_labels: list[str] = []
        for label, row in zip(labels[name], checked.rows[name], strict=True):
            ok = True
            for column in table.columns:
                value = row[column.name]
                for foreign in column.foreign_keys:
                    target = foreign.column.table.name
                    if value is not None and value not in pools.get(target, set()):
                        problems.append(
                            Problem(
                                f"{label}.{column.name}",
                                f"there is no {target} row with id {value} in the file",
                            )
                        )
                        ok = False
            if ok:
                kept.append(row)
                kept_labels.append(label)
        checked.rows[name], labels[name] = kept, kept_labels

    problems += _check_chain(checked.rows["audit_log"])
    checked.refs = _document_refs(data, named, legacy_files, problems)
    return checked, problems


def _check_chain(rows: list[dict[str, Any]]) -> list[Problem]:
    entries = [
        AuditEntry(
            row["sequence"],
            row["at"],
            row["actor"],
            row["machine"],
            row["action"],
            row["record_kind"],
            row["record_id"],
            row["details"],
            row["previous_hash"],
            row["hash"],
        )
        for row in sorted(rows, key=lambda r: r["sequence"])
    ]
    return [
        Problem("audit_log", f"the audit chain is broken: {problem}") for problem in verify_chain(entries)
    ]


def _document_refs(
    data: dict[str, Any],
    named: dict[str, list[tuple[str, dict[str, Any]]]],
    legacy: bool,
    problems: list[Problem],
) -> list[DocumentRef]:
    files: dict[str, dict[str, Any]] = {}
    if legacy:
        for section, owner in LEGACY_FILE_SECTIONS.items():
            raw = data.get(section, {})
            if not isinstance(raw, dict):
                problems.append(Problem(section, "must be an object of file name to base64 content"))
                raw = {}
            files[owner] = raw
            listed = data.get(owner)
            names = (
                {i.get("file_name") for i in listed if isinstance(i, dict)}
                if isinstance(listed, list)
                else set()
            )
            for name in sorted(set(raw) - names):
                problems.append(
                    Problem(f"{section}.{shown_name(name)}", "no record in the file has this file name")
                )
    refs: list[DocumentRef] = []
    for section, owner in LEGACY_FILE_SECTIONS.items():
        is_attachment = owner == "claim_attachments"
        for label, row in named[owner]:
            refs.append(
                DocumentRef(
                    label,
                    row["sha256"],
                    row["media_type"] if is_attachment else PDF,
                    size=row["size"] if is_attachment else None,
                    legacy_content=files[owner].get(row["file_name"]) if legacy else None,
                    legacy_where=f"{section}.{shown_name(row['file_name'])}" if legacy else "",
                )
            )
    return refs


# --- import ---------------------------------------------------------------------------------------


def import_claims(session: Session, rows: Rows) -> None:
    """Insert the checked rows inside the import's transaction (their documents are stored apart)."""
    for name in TABLES:
        if rows.get(name):
            session.execute(insert(_table(name)), rows[name])


def counts(rows: Rows) -> dict[str, int]:
    return {name: len(rows.get(name, [])) for name in TABLES}
