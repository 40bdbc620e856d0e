"""What a kettrack export file is: its format name and version, its record sections, the settings it
may carry (and those it must not), the limits shared by every section's checks, the errors an import
raises and the summary it returns; and reading such a file from disk, strictly, and its header.

The file's sections and how they are checked: ``kettrack.services.transfer``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kettrack.core import validation
from kettrack.core.enums import UserRole
from kettrack.core.problems import InvalidInput
from kettrack.services.backup_taking import KEEP_KEYS
from kettrack.store.rems import TRACKED_FROM
from kettrack.store.settings import ROLE, SETUP_DONE

__all__ = [
    "AUDIT_HEAD",
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER_KEYS",
    "INSTALLATION_SETTINGS",
    "MAX_ID",
    "MAX_TOTAL",
    "PORTABLE_SETTINGS",
    "SECTIONS",
    "DatabaseNotEmpty",
    "SettingCheck",
    "ImportRefused",
    "TransferSummary",
    "check_header",
    "clock_day",
    "read_file",
    "setting_problem",
    "shown_name",
]

FORMAT = "kettrack-export"
# 2: billing sections (codes, fees, service lines, superbills); 3: claims, their history and files;
# 4: documents from the database in one "documents" section keyed by SHA-256, rows naming them by
# sha256 (3 carried them beside the rows, keyed by file name); only the portable settings. 5: the
# Spravato REMS fields (a patient's enrolment, a session's form sent on) and the setting
# ``rems_forms_from``; a fee's NDC container type; the prior authorizations each superbill printed;
# letter drafts, issued letters of medical necessity and authorization requests, the evidence library;
# the ICD-10-CM releases loaded (``icd10_releases``). Older files lack them: their sections are empty.
FORMAT_VERSION = 5
# The sections in file order; clinics come before clinicians inside "providers" on import.
SECTIONS: tuple[str, ...] = ("patients", "providers", "payers", "coverages", "treatments", "infusions")
HEADER_KEYS = ("format", "format_version", "exported_at", "kettrack_version")
AUDIT_HEAD = "audit_head"
# PostgreSQL's integer column; a larger id cannot be stored.
MAX_ID = 2**31 - 1
# A superbill covers many sessions, a claim many lines: their totals may exceed one amount's limit,
# never this (and it fits the integer cents the Money type stores many times over).
MAX_TOTAL = Decimal("99999999.99")
# How a portable setting's value is checked: (value, today) -> what is wrong with it, or None.
SettingCheck = Callable[[str, date], str | None]


def _one_of(values: Iterable[str]) -> SettingCheck:
    allowed = frozenset(values)

    def check(value: str, today: date) -> str | None:
        if value in allowed:
            return None
        return f"{value[:40]!r} is not one of: {', '.join(sorted(allowed))}"

    return check


def _a_date(value: str, today: date) -> str | None:
    """A date written YYYY-MM-DD, as kettrack writes it (it is read back with ``date.fromisoformat``)."""
    try:
        day = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII) else None
    except ValueError:
        day = None
    if day is None:
        return f"{value[:40]!r} is not a date written YYYY-MM-DD"
    return validation.plausible_date_problem(day, today)


# The settings a file carries, with how each value is checked: they describe the records (who keeps
# them, whether set-up is done, from which date of service Spravato REMS forms are tracked), so they
# travel with them.
PORTABLE_SETTINGS: dict[str, SettingCheck] = {
    ROLE: _one_of(r.value for r in UserRole),
    SETUP_DONE: _one_of({"yes"}),
    TRACKED_FROM: _a_date,
}


def setting_problem(key: str, value: object, today: date) -> str | None:
    """What is wrong with a portable setting's value in a file, or None."""
    if not isinstance(value, str):
        return "must be text"
    return PORTABLE_SETTINGS[key](value, today)


# Settings kettrack writes that belong to an installation: the lock PIN's hash and idle time
# (kettrack.ui.auto_lock), the backup retention, and the id the audit seals are keyed to
# (kettrack.store.audit_anchor). Never exported (format 4); left out when a file of format 1-3, which
# exported every setting, carries them; in a format-4 file they, like any other setting, refuse it.
INSTALLATION_SETTINGS = frozenset({"lock_pin_scrypt", "lock_idle_minutes", "database_id", *KEEP_KEYS})


class ImportRefused(InvalidInput):
    """The file cannot be imported; nothing was written. Each problem names its record."""


class DatabaseNotEmpty(RuntimeError):
    """The database already holds records, so an import (or the demo set) would mix two data sets."""


@dataclass(frozen=True)
class TransferSummary:
    """How many records of each kind an export wrote or an import read."""

    counts: dict[str, int]

    def describe(self) -> str:
        return ", ".join(
            f"{n} {name if n != 1 else name.removesuffix('s')}" for name, n in self.counts.items()
        )


def shown_name(name: Any) -> str:
    """A name from the file as a problem may show it: as it is when plain, else escaped (a field name
    with a line break or U+202E must not rewrite the terminal it is printed on)."""
    text = str(name)
    if len(text) <= 64 and text.isprintable() and validation.plain_text_problem(text) is None:
        return text
    return repr(text[:64])


def clock_day(today: date) -> date:
    """The day recorded times (issued, recorded, audited at) are checked against: they come from the
    computer's clock, while business dates follow the workspace's "today", which may be set."""
    return max(today, datetime.now(UTC).date())


# --- reading a file -------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def read_file(path: Path) -> Any:
    """Parse an export file: numbers stay exact (Decimal), NaN and duplicate keys are refused."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportRefused.single("file", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8-sig")
        return json.loads(
            content,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except UnicodeDecodeError:
        raise ImportRefused.single("file", f"{path} is not UTF-8 text, so not a kettrack export") from None
    except json.JSONDecodeError as exc:
        raise ImportRefused.single(
            "file", f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ImportRefused.single("file", f"{path} is not a usable kettrack export: {exc}") from None


def check_header(data: Any) -> int:
    """The file's format version, once the header says it is an export this kettrack reads."""
    if not isinstance(data, dict):
        raise ImportRefused.single("file", "is not a kettrack export (the top level must be an object)")
    if data.get("format") != FORMAT:
        raise ImportRefused.single("format", f'is not a kettrack export ("format" must be {FORMAT!r})')
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ImportRefused.single("format_version", "is missing or not a whole number")
    if version > FORMAT_VERSION:
        raise ImportRefused.single(
            "format_version",
            f"the file was written by a newer kettrack (format version {version}); "
            f"this version reads format version {FORMAT_VERSION}: install the newer kettrack",
        )
    if version < 1:
        raise ImportRefused.single("format_version", f"{version} is not a format version kettrack ever wrote")
    return version
