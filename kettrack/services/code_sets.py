"""Code sets by date: loading the CDC's next ICD-10-CM release beside the ones already there, listing
them with their periods, comparing two, and removing one loaded by mistake."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kettrack.core.icd10 import BUNDLED_FROM, BUNDLED_LABEL
from kettrack.core.icd10_files import MAX_FILE_BYTES, ReleaseFileError, read_release_file
from kettrack.core.icd10_releases import Icd10Releases, ReleaseDiff, session_findings
from kettrack.core.problems import InvalidInput
from kettrack.services.workspace import Workspace
from kettrack.store.code_sets import (
    CodeSetRepository,
    ReleaseLabelTaken,
    StoredRelease,
    save_code_list,
    session_diagnoses,
)

FIRST_FISCAL_YEAR = 2016  # ICD-10-CM replaced ICD-9-CM in the US on 2015-10-01


@dataclass(frozen=True)
class ReleasePeriod:
    """A release as people see it: its label, dates, size, and whether it came with the app."""

    label: str
    version: str
    starts: date | None
    ends: date | None
    codes: int
    bundled: bool


def _file_problem(message: str) -> InvalidInput:
    return InvalidInput.single("file", message)


def _read_at_most(source: Path, limit: int) -> bytes:
    """The file's bytes, one past ``limit`` at most (the reader refuses what is over)."""
    try:
        with source.open("rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise _file_problem(f"{source} cannot be read: {exc.strerror or exc}") from exc


def release_dates(fiscal_year: int, april_update: bool) -> tuple[str, date]:
    """A release's label and first day: FY2027 from 2026-10-01; an April update from April 1."""
    if april_update:
        return f"FY{fiscal_year} April", date(fiscal_year, 4, 1)
    return f"FY{fiscal_year}", date(fiscal_year - 1, 10, 1)


def load_icd10_release(
    ws: Workspace, source: Path, *, fiscal_year: int | None = None, april_update: bool | None = None
) -> StoredRelease:
    """Check a CDC release file whole, then store it beside the releases already loaded.

    The fiscal year comes from the file (the XML's version, a year in the file name) unless given; a
    file that is not a whole release, or that names no year, is refused with nothing stored."""
    data = _read_at_most(source, MAX_FILE_BYTES)
    try:
        parsed = read_release_file(data, source.name)
    except ReleaseFileError as exc:
        raise _file_problem(f"{source.name}: {exc}; nothing was loaded") from exc
    year = fiscal_year or parsed.fiscal_year
    if year is None:
        raise _file_problem(
            f"{source.name} does not say which fiscal year it is: give it with --fiscal-year (e.g. 2027)"
        )
    latest = ws.today().year + 2
    if not FIRST_FISCAL_YEAR <= year <= latest:
        raise _file_problem(f"fiscal year {year} is not one of ICD-10-CM's ({FIRST_FISCAL_YEAR}-{latest})")
    label, starts = release_dates(year, parsed.april_update if april_update is None else april_update)
    if starts == BUNDLED_FROM or label == BUNDLED_LABEL:
        raise _file_problem(f"{label} comes with kettrack already; load a later release (FY{year + 1})")
    try:
        stored = CodeSetRepository(ws.db).add(
            label=label,
            fiscal_year=year,
            effective_from=starts,
            entries=parsed.entries,
            source_name=source.name,
            source_kind=parsed.kind,
            source_sha256=hashlib.sha256(data).hexdigest(),
        )
    except ReleaseLabelTaken as exc:
        raise _file_problem(str(exc)) from exc
    ws.forget_icd10()
    return stored


def remove_icd10_release(ws: Workspace, label: str) -> StoredRelease:
    if label.strip().upper() == BUNDLED_LABEL:
        raise InvalidInput.single("label", f"{BUNDLED_LABEL} comes with kettrack and cannot be removed")
    removed = CodeSetRepository(ws.db).remove(label.strip())
    if removed is None:
        known = ", ".join(r.label for r in CodeSetRepository(ws.db).releases()) or "none"
        raise InvalidInput.single("label", f"no loaded release is named {label!r} (loaded: {known})")
    ws.forget_icd10()
    return removed


def release_periods(releases: Icd10Releases) -> list[ReleasePeriod]:
    rows = []
    for release in releases.releases:
        starts, ends = releases.period(release)
        rows.append(
            ReleasePeriod(
                release.label, release.version, starts, ends, len(release), release.label == BUNDLED_LABEL
            )
        )
    return rows


def diff_icd10_releases(ws: Workspace, older: str, newer: str) -> ReleaseDiff:
    try:
        return ws.icd10().diff(older, newer)
    except KeyError as exc:
        raise InvalidInput.single("release", str(exc.args[0])) from exc


def coverage_warning(ws: Workspace, on: date | None = None, how: str | None = None) -> str | None:
    """The warning for a date of service (today's when none is given) past or before every release;
    ``how`` replaces the command line's way of loading one."""
    return ws.icd10().coverage_warning(on or ws.today(), how)


def session_code_findings(ws: Workspace) -> tuple[list[str], list[str]]:
    """Every stored session's diagnoses against the release of its date: problems, then warnings."""
    return session_findings(ws.icd10(), session_diagnoses(ws.db))


def load_code_list(ws: Workspace, source: Path) -> int:
    """Load a CSV of CPT/HCPCS codes with their effective dates; all of it or, on any problem, none."""
    from kettrack.core.code_list_file import MAX_BYTES, read_code_list

    data = _read_at_most(source, MAX_BYTES)
    return save_code_list(ws.db, read_code_list(data), source.name)


def legacy_release_note() -> str | None:
    """Before releases lived in the database, ``codes icd10 --load`` replaced the bundled release with a
    file in the cache folder; that file is no longer read. Said so the person loads it again, dated."""
    from kettrack.core.icd10 import LEGACY_CUSTOM_FILE
    from kettrack.store.location import cache_dir

    if not (cache_dir() / LEGACY_CUSTOM_FILE).is_file():
        return None
    return (
        "an earlier kettrack loaded an ICD-10-CM release outside the database; it is no longer used: "
        "load its CDC file again with `kettrack codes icd10 --load FILE` (it then applies from its own "
        "first day)"
    )
