"""The ICD-10-CM releases of an export (format 5, section ``icd10_releases``): each release the user
loaded, once, with its label, fiscal year, first day in force, the file it was loaded from (name, kind,
SHA-256), when it was loaded, and its billable codes as ``[code, description]`` pairs in code order.
(The bundled release comes with kettrack and never travels.) A release is about 74,000 codes, some
10 MB of the file: carried whole, because the sessions of the file were checked against it and a
database without it would judge their diagnoses by another year's codes.

On import each release is checked as loading it from the CDC's file is (``kettrack.core.icd10_files``,
``kettrack.services.code_sets``): its label and first day as kettrack names a fiscal year's release or
April update, a fiscal year ICD-10-CM has, every code of ICD-10-CM's shape and written as kettrack
writes it, once, every description one trimmed line of plain text within 400 characters, at least
50,000 codes (fewer is a fragment), labels and first days unique; and the file's sessions are checked
against the releases the file brings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core import validation
from kettrack.core.icd10 import BUNDLED_FROM, BUNDLED_LABEL, Icd10Index, has_code_shape, normalize
from kettrack.core.icd10_files import CODES_FILE, MAX_DESCRIPTION, MIN_RELEASE_CODES, ORDER_FILE, TABULAR_XML
from kettrack.core.problems import Problem
from kettrack.services.code_sets import FIRST_FISCAL_YEAR, release_dates
from kettrack.services.transfer_documents import sha256_problem
from kettrack.services.transfer_format import clock_day, shown_name
from kettrack.store.code_sets import insert_release, release_version
from kettrack.store.models import Icd10Release, Icd10ReleaseCode

__all__ = [
    "MAX_RELEASE_CODES",
    "RELEASES_SECTION",
    "CheckedRelease",
    "check_releases",
    "export_releases",
    "import_releases",
    "releases_held",
]

RELEASES_SECTION = "icd10_releases"
_KEYS = (
    "label",
    "fiscal_year",
    "effective_from",
    "source_name",
    "source_kind",
    "source_sha256",
    "loaded_at",
    "codes",
)
_KINDS = (ORDER_FILE, CODES_FILE, TABULAR_XML)
# A release holds about 74,000 billable codes; far more is not a release (and would only fill memory).
MAX_RELEASE_CODES = 250_000
_SOURCE_NAME_MAX = 200  # the column's length; the loader keeps the file's name to it
_PROBLEMS_SHOWN = 10  # per release: a file of 74,000 bad codes is refused in a few lines


@dataclass(frozen=True)
class CheckedRelease:
    """A release of the file, checked, ready to store."""

    label: str
    fiscal_year: int
    effective_from: date
    source_name: str
    source_kind: str
    source_sha256: str
    loaded_at: datetime
    entries: dict[str, str]

    def index(self) -> Icd10Index:
        """As the workspace reads a stored release (``kettrack.store.code_sets``)."""
        return Icd10Index(
            self.entries,
            release_version(self.label, self.source_kind, self.source_name),
            label=self.label,
            effective_from=self.effective_from,
            fiscal_year=self.fiscal_year,
        )


# --- export ---------------------------------------------------------------------------------------


def export_releases(session: Session) -> list[dict[str, Any]]:
    """Every loaded release, oldest first, with its codes in code order."""
    releases = list(session.scalars(select(Icd10Release).order_by(Icd10Release.effective_from)))
    codes: dict[int, list[list[str]]] = {r.id: [] for r in releases}
    rows = session.execute(
        select(Icd10ReleaseCode.release_id, Icd10ReleaseCode.code, Icd10ReleaseCode.description)
    )
    for release_id, code, description in rows:
        codes[release_id].append([code, description])
    return [
        {
            "label": r.label,
            "fiscal_year": r.fiscal_year,
            "effective_from": r.effective_from.isoformat(),
            "source_name": r.source_name,
            "source_kind": r.source_kind,
            "source_sha256": r.source_sha256,
            "loaded_at": r.loaded_at.astimezone(UTC).isoformat(),
            # Sorted here, not by the database: the order is the same whatever its collation.
            "codes": sorted(codes[r.id]),
        }
        for r in releases
    ]


# --- checking -------------------------------------------------------------------------------------


def _description_problem(text: Any) -> str | None:
    """As the loader keeps a description (``kettrack.core.icd10_files``), or what differs."""
    if not isinstance(text, str):
        return "must be text"
    if not text:
        return "is empty"
    if len(text) > MAX_DESCRIPTION:
        return f"is longer than {MAX_DESCRIPTION} characters"
    if " ".join(text.split()) != text:
        return "is not one trimmed line with single spaces, as kettrack keeps a description"
    # isprintable() is quick and true for nearly every description; the rest are looked at closely.
    if not text.isprintable() and any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text):
        return "holds control or direction characters"
    return None


def _code_problem(code: Any) -> str | None:
    if not isinstance(code, str) or len(code) > 8:
        return "is not an ICD-10-CM code"
    if not has_code_shape(code):
        return f"{code!r} is not an ICD-10-CM code (a letter, two characters, then up to 4 more)"
    if normalize(code) != code:
        return f"{code!r} is written {normalize(code)} by kettrack"
    return None


def _entries(raw: Any, add: Any) -> dict[str, str]:
    """The codes of one release; each problem passed to ``add(field, message)``, the first few only."""
    if not isinstance(raw, list):
        add("codes", "must be a list of [code, description] pairs")
        return {}
    if len(raw) > MAX_RELEASE_CODES:
        add("codes", f"has {len(raw):,} codes; an ICD-10-CM release has about 74,000")
        return {}
    entries: dict[str, str] = {}
    bad = 0
    problem: str | None
    for number, pair in enumerate(raw, start=1):
        where = f"codes[{number}]"
        if not isinstance(pair, list) or len(pair) != 2:
            problem = "must be a [code, description] pair"
        elif problem := _code_problem(pair[0]):
            pass
        elif problem := _description_problem(pair[1]):
            where += " description"
        elif pair[0] in entries:
            problem = f"{pair[0]} is in the release twice"
        else:
            entries[pair[0]] = pair[1]
            continue
        bad += 1
        if bad <= _PROBLEMS_SHOWN:
            add(where, problem)
    if bad > _PROBLEMS_SHOWN:
        add("codes", f"{bad - _PROBLEMS_SHOWN:,} more codes have problems")
    return entries


def _moment(raw: Any, today: date) -> tuple[datetime | None, str | None]:
    if not isinstance(raw, str) or len(raw) > 40:
        return None, "must be a date and time written like 2026-11-23T09:30:00+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None, f"{raw[:40]!r} is not a date and time"
    if value.utcoffset() is None or value.utcoffset():
        return None, "must be a time in UTC (ending +00:00), as kettrack writes it"
    if problem := validation.plausible_date_problem(value.date(), clock_day(today)):
        return None, problem
    return value.astimezone(UTC), None


def _day(raw: Any) -> tuple[date | None, str | None]:
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        return None, "must be a date written YYYY-MM-DD"
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, f"{raw} is not a real date"


def _release(raw: Any, label: str, today: date, problems: list[Problem]) -> CheckedRelease | None:
    before = len(problems)

    def add(field: str, message: str) -> None:
        problems.append(Problem(f"{label}: {field}", message))

    if not isinstance(raw, dict):
        add("release", "must be an object")
        return None
    for unknown in sorted(set(raw) - set(_KEYS), key=str):
        add(shown_name(unknown), "is not a field kettrack knows (refused rather than dropped)")
    missing = [key for key in _KEYS if key not in raw]
    for key in missing:
        add(key, "is missing")
    if missing:
        return None
    name, kind, sha = raw["source_name"], raw["source_kind"], raw["source_sha256"]
    if not isinstance(name, str):
        add("source_name", "must be the name of the file the release was loaded from")
    elif problem := validation.text_problem(name, max_len=_SOURCE_NAME_MAX):
        add("source_name", problem)
    elif not name.strip() or "/" in name or "\\" in name:
        add("source_name", f"{name[:60]!r} is not the name of a file (no folders)")
    if kind not in _KINDS:
        add("source_kind", f"{str(kind)[:40]!r} is not one of: {', '.join(_KINDS)}")
    if not isinstance(sha, str) or sha256_problem(sha):
        add("source_sha256", "is not a SHA-256 (64 lowercase hexadecimal digits)")
    loaded_at, problem = _moment(raw["loaded_at"], today)
    if problem:
        add("loaded_at", problem)
    starts, problem = _day(raw["effective_from"])
    if problem:
        add("effective_from", problem)
    year, release_label = raw["fiscal_year"], raw["label"]
    latest = today.year + 2
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_FISCAL_YEAR <= year <= latest:
        add("fiscal_year", f"must be one of ICD-10-CM's fiscal years ({FIRST_FISCAL_YEAR}-{latest})")
    elif not isinstance(release_label, str):
        add("label", "must be text")
    elif starts is not None:
        named = {release_dates(year, april) for april in (False, True)}
        if release_label == BUNDLED_LABEL or starts == BUNDLED_FROM:
            add("label", f"{BUNDLED_LABEL} comes with kettrack: a file does not bring it")
        elif (release_label, starts) not in named:
            usual = " or ".join(f"{n} from {d.isoformat()}" for n, d in sorted(named))
            add(
                "label",
                f"{release_label[:40]!r} from {starts.isoformat()} is not a release of FY{year} ({usual})",
            )
    entries = _entries(raw["codes"], add)
    if entries and len(entries) < MIN_RELEASE_CODES and len(problems) == before:
        add(
            "codes",
            f"holds {len(entries):,} billable codes; a whole ICD-10-CM release holds over "
            f"{MIN_RELEASE_CODES:,}, so it is a fragment",
        )
    if len(problems) > before or loaded_at is None or starts is None:
        return None
    return CheckedRelease(release_label, year, starts, name, kind, sha, loaded_at, entries)


def check_releases(raw: Any, today: date) -> tuple[list[CheckedRelease], list[Problem]]:
    """The file's releases, each checked as a loaded one is; labels and first days unique."""
    problems: list[Problem] = []
    if not isinstance(raw, list):
        return [], [Problem(RELEASES_SECTION, "must be a list of releases")]
    checked: list[CheckedRelease] = []
    for number, item in enumerate(raw, start=1):
        named = item.get("label") if isinstance(item, dict) else None
        shown = f" ({shown_name(named)})" if isinstance(named, str) else ""
        label = f"{RELEASES_SECTION}[{number}]{shown}"
        release = _release(item, label, today, problems)
        if release is None:
            continue
        clash = next(
            (c for c in checked if c.label == release.label or c.effective_from == release.effective_from),
            None,
        )
        if clash is not None:
            problems.append(Problem(f"{label}: label", f"another release of the file is {clash.label}"))
            continue
        checked.append(release)
    return checked, problems


# --- import ---------------------------------------------------------------------------------------


def releases_held(session: Session) -> list[str]:
    """The labels of the releases a database holds (an import bringing its own goes only where none is)."""
    return list(session.scalars(select(Icd10Release.label).order_by(Icd10Release.effective_from)))


def import_releases(session: Session, releases: list[CheckedRelease]) -> None:
    """Store the file's releases inside the import's transaction (codes in bulk, as loading does)."""
    for release in releases:
        insert_release(
            session,
            label=release.label,
            fiscal_year=release.fiscal_year,
            effective_from=release.effective_from,
            entries=release.entries,
            source_name=release.source_name,
            source_kind=release.source_kind,
            source_sha256=release.source_sha256,
            loaded_at=release.loaded_at,
        )
