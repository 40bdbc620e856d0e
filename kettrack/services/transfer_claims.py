"""The claims part of an export (format 3 onward): claims with their lines, events, adjustments,
attachments, prior authorizations, payer rules, reason codes, appeal letters and the audit log, row
for row; and, from format 5, the authorizations each superbill printed, letter drafts, issued letters
of medical necessity and authorization requests, and the evidence library (their own rules:
``kettrack.services.transfer_letters``). The documents the attachments and letters name travel in the
file's ``documents`` section (format 4; format 3 carried them in ``claim_attachment_files`` and
``appeal_letter_files``, keyed by file name, which an import still reads).

These are history, not typed-in records: they are written back exactly as they were (same ids, same
recorded times, the audit chain intact). Because they arrive as raw table rows, every value is
checked against its column before anything is written: its type, its range (ids and counts that fit
the integer column, amounts the Money type and the forms accept, business dates between 1900 and two
years ahead), text within the column's length and free of control and text-direction characters,
enum values, every foreign id naming a row the file holds, and every unique key unique. The rows with
rules of their own (reason codes, payer rules, letters, the audit chain) go through those rules too.
A bad value is a problem naming its section, row and column; nothing reaches the database unchecked.
(Each value's checks: ``kettrack.services.transfer_claim_values``.)

The audit chain is verified as a whole (``kettrack.core.audit.verify_chain``): an entry changed in
the file, even one whose hash was recomputed without the ones after it, refuses the import.
``audit_seals`` are never exported nor imported: they are made with a key of the installation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, verify_chain
from kettrack.core.enums import PayerKind
from kettrack.core.problems import Problem
from kettrack.services.transfer_claim_values import (
    MAX_INTEGER,
    TABLE_RULES,
    RowContext,
    UnfitValue,
    column_value,
    row_label,
    unique_keys,
)
from kettrack.services.transfer_documents import PDF, DocumentRef, sha256_problem
from kettrack.services.transfer_format import shown_name
from kettrack.services.transfer_letters import (
    LETTER_RULES,
    LETTER_TABLES,
    SUPERBILL_AUTHS,
    LetterLinks,
    check_letter_links,
    letter_refs,
)
from kettrack.services.transfer_letters import documents_named as letters_named
from kettrack.store.models import Base

__all__ = [
    "LEGACY_FILE_SECTIONS",
    "MAX_INTEGER",
    "SINCE",
    "TABLES",
    "CheckedClaims",
    "Rows",
    "check_claims",
    "counts",
    "documents_named",
    "export_claims",
    "import_claims",
    "shown_name",
]

# In insertion order: every table after the ones it refers to (superbills are inserted before these).
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
    SUPERBILL_AUTHS,
    *LETTER_TABLES,
    "audit_log",
)
# The format version that brought each table; the others came with format 3. An older file's export
# lacks these sections (read as empty) and may not bring them.
SINCE = {SUPERBILL_AUTHS: 5, **dict.fromkeys(LETTER_TABLES, 5)}
# Format 3 kept the bytes of attachments and letters here, keyed by the row's file name.
LEGACY_FILE_SECTIONS = {
    "claim_attachment_files": "claim_attachments",
    "appeal_letter_files": "appeal_letters",
}
_DOCUMENT_OWNERS = tuple(LEGACY_FILE_SECTIONS.values())
Rows = dict[str, list[dict[str, Any]]]


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
    return named + letters_named(data)


# --- checking a file's rows -----------------------------------------------------------------------


def check_claims(
    data: dict[str, Any],
    pools: dict[str, set[int]],
    payer_kinds: dict[int, PayerKind],
    today: date,
    *,
    legacy_files: bool,
    patients_of: dict[str, dict[int, int]] | None = None,
) -> tuple[CheckedClaims, list[Problem]]:
    """Check every row of the claims sections; problems name the section, row and column.

    ``pools`` holds the ids of the rows the file's other sections hold (by table name), for the
    foreign ids; ``legacy_files``: the file is format 3, whose attachments and letters carry their
    bytes in the file sections keyed by file name; ``patients_of``: the patient of each coverage and
    superbill of the file (by table name, then id), for the cross-checks of letters and links."""
    problems: list[Problem] = []
    checked = CheckedClaims()
    ctx = RowContext(payer_kinds)
    rules = {**TABLE_RULES, **LETTER_RULES}
    labels: dict[str, list[str]] = {}
    named: dict[str, list[tuple[str, dict[str, Any]]]] = {
        owner: [] for owner in (*_DOCUMENT_OWNERS, "issued_letters")
    }
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
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {key: set() for key in unique_keys(table)}
        for number, item in enumerate(raw, start=1):
            label = row_label(name, number, item)
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
                    row[column.name] = column_value(table, column, item[column.name], today)
                except UnfitValue as exc:
                    problems.append(Problem(f"{label}.{column.name}", str(exc)))
            if "id" in row:
                # Referable even if another of its values is wrong: one bad claim must not repeat as
                # a problem on each of its lines and events.
                pools.setdefault(name, set()).add(row["id"])
            if len(row) != len(columns):
                continue
            if name in named and sha256_problem(row["sha256"]) is None:
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
            rule = rules.get(name)
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

    owners = patients_of or {}
    links = LetterLinks(
        owners.get("coverages", {}),
        {row["id"]: row["patient_id"] for row in checked.rows["claims"]},
        {row["number"] for row in checked.rows["appeal_letters"]},
        owners.get("superbills", {}),
        {row["id"]: row["patient_id"] for row in checked.rows["prior_auths"]},
    )
    problems += check_letter_links(checked.rows, labels, links)
    problems += _check_chain(checked.rows["audit_log"])
    checked.refs = _document_refs(data, named, legacy_files, problems) + letter_refs(named["issued_letters"])
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
