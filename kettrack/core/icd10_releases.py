"""ICD-10-CM releases side by side, each in force for its own dates of service.

A release applies from its effective date until the day before the next loaded release starts; the
newest is nominally good until September 30 of its fiscal year (the CDC publishes a new release each
year, in force from October 1). A date of service is checked against the release in force on it, and a
date past the newest release's year, or before the oldest, gets one plain warning saying what to load.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from kettrack.core.icd10 import Icd10Index, normalize, shape_problem

LOAD_COMMAND = "kettrack codes icd10 --load FILE"


def _choices(codes: Sequence[str]) -> str:
    shown = list(codes[:3])
    text = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
    return text + (" or a more specific code" if len(codes) > 3 else "")


@dataclass(frozen=True)
class ChangedCode:
    code: str
    old: str
    new: str


@dataclass(frozen=True)
class ReleaseDiff:
    """What changed from one release to the next, in billable codes."""

    older: str
    newer: str
    added: tuple[str, ...]
    deleted: tuple[str, ...]  # no longer billable in the newer release
    changed: tuple[ChangedCode, ...]  # same code, new description
    replacements: dict[str, tuple[str, ...]]  # deleted code -> the newer release's codes below it

    def lines(self) -> Iterator[str]:
        """The diff as plain lines (the CLI prints them)."""
        yield (
            f"{self.older} -> {self.newer}: {len(self.added):,} added, {len(self.deleted):,} deleted or no "
            f"longer billable, {len(self.changed):,} with a new description"
        )
        for code in self.added:
            yield f"+ {code}"
        for code in self.deleted:
            below = self.replacements.get(code)
            yield f"- {code}" + (f"  (now: {', '.join(below)})" if below else "")
        for change in self.changed:
            yield f"~ {change.code}: {change.old!r} -> {change.new!r}"


class Icd10Releases:
    """The ICD-10-CM releases kettrack knows, ordered by the date each takes effect."""

    def __init__(self, releases: Iterable[Icd10Index]) -> None:
        ordered = sorted(releases, key=lambda r: r.effective_from or date.min)
        if not ordered:
            raise ValueError("at least one ICD-10-CM release is needed")
        starts = [r.effective_from or date.min for r in ordered]
        if len(set(starts)) != len(starts):
            raise ValueError("two releases take effect on the same date")
        self.releases: tuple[Icd10Index, ...] = tuple(ordered)
        self._starts = starts

    # -- which release applies ------------------------------------------------------------------------

    @property
    def newest(self) -> Icd10Index:
        return self.releases[-1]

    @property
    def oldest(self) -> Icd10Index:
        return self.releases[0]

    def in_force(self, on: date | None) -> Icd10Index:
        """The release for a date of service (the newest when no date is known); a date before the
        oldest release is checked against the oldest."""
        if on is None:
            return self.newest
        at = bisect.bisect_right(self._starts, on) - 1
        return self.releases[max(at, 0)]

    def period(self, release: Icd10Index) -> tuple[date | None, date | None]:
        """First and last date of service a release applies to (the last is nominal for the newest)."""
        at = self.releases.index(release)
        if at + 1 < len(self.releases):
            following = self.releases[at + 1].effective_from
            return release.effective_from, following - timedelta(days=1) if following else None
        return release.effective_from, release.nominal_end

    def by_label(self, label: str) -> Icd10Index | None:
        wanted = label.strip().upper()
        return next((r for r in self.releases if r.label.upper() == wanted), None)

    def coverage_warning(self, on: date | None, how: str | None = None) -> str | None:
        """One plain sentence when a date of service lies outside every release's period; ``how`` says
        how to load a release where the sentence is shown (by default the command; the window names its
        button instead)."""
        if on is None:
            return None
        how = f"with `{LOAD_COMMAND}`" if how is None else how
        newest, end = self.newest, self.newest.nominal_end
        if end is not None and on > end:
            next_year = f"FY{newest.fiscal_year + 1} " if newest.fiscal_year else "next "
            return (
                f"Sessions after {end.isoformat()} are checked against {newest.label} codes: load the "
                f"{next_year}release" + (f" {how}" if how else "")
            )
        start = self.oldest.effective_from
        if start is not None and on < start:
            return (
                f"Sessions before {start.isoformat()} are checked against {self.oldest.label} codes, the "
                "oldest release loaded: load the release of that year" + (f" {how}" if how else "")
            )
        return None

    # -- checking codes -------------------------------------------------------------------------------

    def problem_with(self, code: str, on: date | None = None) -> str | None:
        """Why a code cannot go on a claim for a date of service, in plain words; None when it can.

        A code that is not billable in the release in force but is in another release says which:
        split into more specific codes (named), deleted, or not yet in effect on that date."""
        if (problem := shape_problem(code)) is not None:
            return problem
        norm = normalize(code)
        release = self.in_force(on)
        if release.is_billable(norm):
            return None
        below = release.billable_under(norm, limit=4)
        elsewhere = [r for r in self.releases if r is not release and r.is_billable(norm)]
        since = release.effective_from.isoformat() if release.effective_from else ""
        if below:
            if elsewhere and any(
                (r.effective_from or date.min) < (release.effective_from or date.min) for r in elsewhere
            ):
                return (
                    f"{norm} is no longer billable from {since} ({release.label}): it was split into "
                    f"{_choices(below)}"
                )
            return f"{norm} is not a billable code: choose {_choices(below)}"
        later = [
            r for r in elsewhere if (r.effective_from or date.min) > (release.effective_from or date.min)
        ]
        if later:
            first = later[0]
            starts = first.effective_from.isoformat() if first.effective_from else "later"
            when = f" on {on.isoformat()}" if on else ""
            return f"{norm} takes effect {starts} ({first.label}); the {release.label} codes apply{when}"
        if elsewhere:
            return f"{norm} was deleted from ICD-10-CM on {since} ({release.label})"
        return f"{norm} is not in the ICD-10-CM code set {release.version}"

    def is_billable(self, code: str, on: date | None = None) -> bool:
        return self.in_force(on).is_billable(code)

    def describe(self, code: str, on: date | None = None) -> str | None:
        """The description in the release in force, else in the newest release that has the code."""
        found = self.in_force(on).describe(code)
        if found is not None:
            return found
        return next((d for r in reversed(self.releases) if (d := r.describe(code)) is not None), None)

    def search(self, text: str, limit: int = 50, on: date | None = None) -> list[tuple[str, str]]:
        return self.in_force(on).search(text, limit)

    def billable_under(self, prefix: str, limit: int = 12, on: date | None = None) -> list[str]:
        return self.in_force(on).billable_under(prefix, limit)

    # The newest release answers for callers that have no date (the code-set view, exports).
    @property
    def version(self) -> str:
        return self.newest.version

    def __len__(self) -> int:
        return len(self.newest)

    def codes(self) -> list[str]:
        return self.newest.codes()

    # -- comparing releases ---------------------------------------------------------------------------

    def diff(self, older: str, newer: str) -> ReleaseDiff:
        """Added, deleted and changed billable codes between two releases named by label."""
        a, b = self.by_label(older), self.by_label(newer)
        missing = [name for name, found in ((older, a), (newer, b)) if found is None]
        if missing or a is None or b is None:
            known = ", ".join(r.label for r in self.releases)
            raise KeyError(f"no release named {missing[0]!r}; loaded: {known}")
        return diff_releases(a, b)


def diff_releases(a: Icd10Index, b: Icd10Index) -> ReleaseDiff:
    old, new = a.entries(), b.entries()
    added = tuple(sorted(set(new) - set(old)))
    deleted = tuple(sorted(set(old) - set(new)))
    changed = tuple(ChangedCode(c, old[c], new[c]) for c in sorted(set(old) & set(new)) if old[c] != new[c])
    replacements = {c: tuple(below) for c in deleted if (below := b.billable_under(c, limit=12))}
    return ReleaseDiff(a.label, b.label, added, deleted, changed, replacements)


def session_findings(
    releases: Icd10Releases, sessions: Iterable[tuple[int, date, Sequence[str]]]
) -> tuple[list[str], list[str]]:
    """Each session's diagnoses checked against the release in force on its date of service.

    Returns the problems (one line per code a payer would refuse on that date) and the coverage
    warnings, each said once with the number of sessions it concerns."""
    problems: list[str] = []
    outside: dict[str, int] = {}
    # Sessions share a few hundred dates and a few dozen codes: what each date and each (release, code,
    # date) gives is worked out once. A problem's words name the date, so problems are kept per date.
    per_day: dict[date, tuple[int, str | None]] = {}
    billable: set[tuple[int, str]] = set()
    found: dict[tuple[str, date], str | None] = {}
    for session_id, day, codes in sessions:
        known = per_day.get(day)
        if known is None:
            known = per_day[day] = (id(releases.in_force(day)), releases.coverage_warning(day))
        release, warning = known
        for code in codes:
            if (release, code) in billable:
                continue
            key = (code, day)
            if key not in found:
                found[key] = releases.problem_with(code, day)
                if found[key] is None:
                    billable.add((release, code))
            if (problem := found[key]) is not None:
                problems.append(f"session {session_id} ({day.isoformat()}): {problem}")
        if warning is not None:
            outside[warning] = outside.get(warning, 0) + 1
    notes = [f"{count:,} session{'s' if count != 1 else ''}: {warning}" for warning, count in outside.items()]
    return problems, notes
