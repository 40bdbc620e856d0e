"""The claims part of an export (format 3): claims with their lines, events, adjustments, attachments
(files included, base64), prior authorizations, payer rules, reason codes, appeal letters (files
included) and the audit log, row for row.

These are history, not typed-in records: they are written back exactly as they were (same ids, same
recorded times, the audit chain intact) and checked by the database itself (foreign keys, checks,
unique numbers) inside the import's one transaction, then by the claims invariants (each claim's
stored state equals the one its events derive), so a tampered file fails whole.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, Table, insert, select
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Session

from kettrack.core.problems import Problem
from kettrack.store.files import write_private
from kettrack.store.location import make_private_dir
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
FILE_SECTIONS = {"claim_attachment_files": "attachments", "appeal_letter_files": "letters"}
_OWNER = {"claim_attachment_files": "claim_attachments", "appeal_letter_files": "appeal_letters"}
SECTIONS = (*TABLES, *FILE_SECTIONS)
Rows = dict[str, list[dict[str, Any]]]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(table: Table, column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat(str(value))
    if isinstance(kind, FixedPoint):
        return Decimal(str(value))
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, SqlEnum) and kind.enum_class is not None:
        return kind.enum_class(value)
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    return value


def export_claims(session: Session, documents: Path) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in TABLES:
        source = _table(name)
        rows = session.execute(select(source).order_by(*source.primary_key.columns)).mappings()
        data[name] = [{key: _encode(value) for key, value in row.items()} for row in rows]
    for section, folder in FILE_SECTIONS.items():
        table = "claim_attachments" if folder == "attachments" else "appeal_letters"
        files: dict[str, str | None] = {}
        for row in data[table]:
            path = documents / folder / row["file_name"]
            files[row["file_name"]] = (
                base64.b64encode(path.read_bytes()).decode("ascii") if path.is_file() else None
            )
        data[section] = files
    return data


def check_claims(
    data: dict[str, Any],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, bytes], list[Problem]]:
    """Decode the claims sections; problems name the section, row and column."""
    problems: list[Problem] = []
    rows: Rows = {}
    for name in TABLES:
        raw = data.get(name, [])
        table = _table(name)
        if not isinstance(raw, list):
            problems.append(Problem(name, "must be a list"))
            continue
        rows[name] = []
        for number, item in enumerate(raw, start=1):
            label = f"{name}[{number}]"
            if not isinstance(item, dict):
                problems.append(Problem(label, "must be an object"))
                continue
            unknown = set(item) - set(table.c.keys())
            if unknown:
                problems.append(
                    Problem(
                        label, f"unknown fields {', '.join(sorted(unknown))} (refused rather than dropped)"
                    )
                )
                continue
            decoded: dict[str, Any] = {}
            for column, value in item.items():
                try:
                    decoded[column] = _decode(table, column, value)
                except (ValueError, TypeError, InvalidOperation) as exc:
                    problems.append(Problem(f"{label}.{column}", f"is not valid: {exc}"))
            rows[name].append(decoded)
    files: dict[str, bytes] = {}
    for section, folder in FILE_SECTIONS.items():
        raw_files = data.get(section, {})
        if not isinstance(raw_files, dict):
            problems.append(Problem(section, "must be an object of file name to base64 content"))
            continue
        for row in rows.get(_OWNER[section], []):
            content = raw_files.get(row.get("file_name"))
            if content is None:
                continue  # the file was already missing when exported: the check reports it later
            try:
                blob = base64.b64decode(str(content), validate=True)
            except (binascii.Error, ValueError):
                problems.append(Problem(f"{section}.{row.get('file_name')}", "is not base64"))
                continue
            if hashlib.sha256(blob).hexdigest() != row.get("sha256"):
                problems.append(
                    Problem(f"{section}.{row.get('file_name')}", "does not match its recorded SHA-256")
                )
                continue
            name = str(row.get("file_name"))
            if "/" in name or "\\" in name or name.startswith("."):
                problems.append(Problem(f"{section}.{name}", "is not a plain file name"))
                continue
            files[f"{folder}/{name}"] = blob
    return rows, files, problems


def import_claims(session: Session, rows: Rows, files: dict[str, bytes], documents: Path) -> list[Path]:
    """Insert the rows inside the import's transaction; returns the files written (for clean-up)."""
    for name in TABLES:
        if rows.get(name):
            session.execute(insert(_table(name)), rows[name])
    written: list[Path] = []
    for relative, blob in files.items():
        folder, name = relative.split("/", 1)
        path = make_private_dir(documents / folder) / name
        write_private(path, blob, overwrite=True)
        written.append(path)
    return written


def counts(rows: Rows) -> dict[str, int]:
    return {name: len(rows.get(name, [])) for name in TABLES}
