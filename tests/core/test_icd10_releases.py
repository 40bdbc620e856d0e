"""ICD-10-CM releases side by side: which release is in force on a date of service, what a code's
problem is on that date (split, deleted, not yet in effect), the warning past the newest release,
the diff between two releases, and the whole-database findings."""

from __future__ import annotations

from datetime import date

import pytest

from kettrack.core.icd10 import Icd10Index
from kettrack.core.icd10_releases import Icd10Releases, diff_releases, session_findings

FY26 = Icd10Index(
    {
        "F32.A": "Depression, unspecified",
        "F43.10": "PTSD, unspecified",
        "F43.12": "PTSD, chronic",
        "Z00.00": "x",
    },
    "FY2026 (bundled)",
    label="FY2026",
    effective_from=date(2025, 10, 1),
    fiscal_year=2026,
)
FY27 = Icd10Index(
    {
        "F32.A1": "Depression, unspecified, first",
        "F32.A2": "Depression, unspecified, recurrent",
        "F43.10": "PTSD, not specified",
        "F43.12": "PTSD, chronic",
        "F43.13": "PTSD, delayed",
    },
    "FY2027 (CDC order file)",
    label="FY2027",
    effective_from=date(2026, 10, 1),
    fiscal_year=2027,
)
BOTH = Icd10Releases([FY27, FY26])  # given out of order on purpose
ONLY_26 = Icd10Releases([FY26])


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2024, 5, 1), "FY2026"),  # before the oldest: the oldest
        (date(2025, 10, 1), "FY2026"),
        (date(2026, 9, 30), "FY2026"),
        (date(2026, 10, 1), "FY2027"),
        (date(2028, 1, 1), "FY2027"),  # past the newest: the newest (with a warning)
        (None, "FY2027"),
    ],
)
def test_release_in_force(day: date | None, label: str) -> None:
    assert BOTH.in_force(day).label == label


def test_periods_end_where_the_next_release_starts() -> None:
    assert BOTH.period(FY26) == (date(2025, 10, 1), date(2026, 9, 30))
    assert BOTH.period(FY27) == (date(2026, 10, 1), date(2027, 9, 30))
    assert ONLY_26.period(FY26) == (date(2025, 10, 1), date(2026, 9, 30))


@pytest.mark.parametrize(
    ("releases", "code", "day", "expected"),
    [
        (BOTH, "F32.A", date(2026, 9, 15), None),
        (
            BOTH,
            "F32.A",
            date(2026, 11, 2),
            "F32.A is no longer billable from 2026-10-01 (FY2027): it was split into F32.A1 or F32.A2",
        ),
        (BOTH, "F32.A1", date(2026, 11, 2), None),
        (
            BOTH,
            "F32.A1",
            date(2026, 9, 15),
            "F32.A1 takes effect 2026-10-01 (FY2027); the FY2026 codes apply on 2026-09-15",
        ),
        (BOTH, "F43.13", date(2026, 10, 1), None),
        (BOTH, "Z00.00", date(2026, 10, 2), "Z00.00 was deleted from ICD-10-CM on 2026-10-01 (FY2027)"),
        (BOTH, "Z00.00", date(2026, 9, 30), None),
        (BOTH, "F43.1", date(2026, 9, 30), "F43.1 is not a billable code: choose F43.10 or F43.12"),
        (BOTH, "Q99.99", date(2026, 9, 30), "Q99.99 is not in the ICD-10-CM code set FY2026 (bundled)"),
        (
            BOTH,
            "hello",
            date(2026, 9, 30),
            "'hello' is not an ICD-10-CM code (a letter, two characters, then up to 4 more)",
        ),
        (BOTH, " ", None, "is empty"),
        (
            ONLY_26,
            "F32.A",
            date(2026, 11, 2),
            None,
        ),  # nothing newer loaded: FY2026 answers (with the warning)
        (ONLY_26, "F32.A1", date(2026, 11, 2), "F32.A1 is not in the ICD-10-CM code set FY2026 (bundled)"),
    ],
)
def test_problem_on_the_date_of_service(
    releases: Icd10Releases, code: str, day: date | None, expected: str | None
) -> None:
    assert releases.problem_with(code, day) == expected


def test_coverage_warning_past_the_newest_and_before_the_oldest() -> None:
    assert ONLY_26.coverage_warning(date(2026, 9, 30)) is None
    assert ONLY_26.coverage_warning(date(2026, 10, 1)) == (
        "Sessions after 2026-09-30 are checked against FY2026 codes: load the FY2027 release with "
        "`kettrack codes icd10 --load FILE`"
    )
    assert BOTH.coverage_warning(date(2026, 11, 2)) is None  # gone once the next release is loaded
    assert BOTH.coverage_warning(date(2027, 10, 1)) is not None and "FY2028" in str(
        BOTH.coverage_warning(date(2027, 10, 1))
    )
    early = BOTH.coverage_warning(date(2025, 9, 30))
    assert early is not None and early.startswith(
        "Sessions before 2025-10-01 are checked against FY2026 codes"
    )
    assert BOTH.coverage_warning(None) is None


def test_descriptions_follow_the_date_and_fall_back_to_any_release() -> None:
    assert BOTH.describe("F43.10", date(2026, 9, 1)) == "PTSD, unspecified"
    assert BOTH.describe("F43.10", date(2026, 11, 1)) == "PTSD, not specified"
    assert (
        BOTH.describe("F32.A", date(2026, 11, 1)) == "Depression, unspecified"
    )  # named, though not billable
    assert BOTH.describe("Q99.99") is None
    assert [c for c, _ in BOTH.search("F32.A", on=date(2026, 11, 1))] == ["F32.A1", "F32.A2"]
    assert [c for c, _ in BOTH.search("F32.A", on=date(2026, 9, 1))] == ["F32.A"]


def test_diff_lists_added_deleted_and_changed_with_replacements() -> None:
    diff = BOTH.diff("fy2026", "FY2027")
    assert diff.added == ("F32.A1", "F32.A2", "F43.13")
    assert diff.deleted == ("F32.A", "Z00.00")
    assert [(c.code, c.old, c.new) for c in diff.changed] == [
        ("F43.10", "PTSD, unspecified", "PTSD, not specified")
    ]
    assert diff.replacements == {"F32.A": ("F32.A1", "F32.A2")}
    lines = list(diff.lines())
    assert lines[0] == "FY2026 -> FY2027: 3 added, 2 deleted or no longer billable, 1 with a new description"
    assert "- F32.A  (now: F32.A1, F32.A2)" in lines and "- Z00.00" in lines and "+ F43.13" in lines
    with pytest.raises(KeyError, match="no release named 'FY2030'; loaded: FY2026, FY2027"):
        BOTH.diff("FY2026", "FY2030")
    assert diff_releases(FY26, FY26).added == ()


def test_two_releases_on_one_date_or_none_are_refused() -> None:
    with pytest.raises(ValueError, match="same date"):
        Icd10Releases([FY26, FY26])
    with pytest.raises(ValueError, match="at least one"):
        Icd10Releases([])


def test_session_findings_name_each_session_and_count_the_warnings() -> None:
    sessions = [
        (1, date(2026, 9, 15), ["F32.A", "F43.10"]),
        (2, date(2026, 11, 2), ["F32.A"]),
        (3, date(2026, 11, 3), ["F43.13", "F43.12"]),
    ]
    problems, notes = session_findings(BOTH, sessions)
    assert problems == [
        "session 2 (2026-11-02): F32.A is no longer billable from 2026-10-01 (FY2027): it was split into "
        "F32.A1 or F32.A2"
    ]
    assert notes == []
    problems, notes = session_findings(ONLY_26, sessions)
    assert problems == ["session 3 (2026-11-03): F43.13 is not in the ICD-10-CM code set FY2026 (bundled)"]
    assert notes == [
        "2 sessions: Sessions after 2026-09-30 are checked against FY2026 codes: load the FY2027 release "
        "with `kettrack codes icd10 --load FILE`"
    ]


def test_each_finding_names_its_own_date() -> None:
    problems, _ = session_findings(
        BOTH, [(1, date(2026, 4, 10), ["F32.A1"]), (2, date(2026, 4, 27), ["F32.A1"])]
    )
    where = "F32.A1 takes effect 2026-10-01 (FY2027); the FY2026 codes apply on"
    assert problems == [
        f"session 1 (2026-04-10): {where} 2026-04-10",
        f"session 2 (2026-04-27): {where} 2026-04-27",
    ]
