"""Backup rotation: daily, weekly and monthly buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kettrack.core.retention import BackupStamp, RetentionPolicy, to_keep

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _daily(days: int) -> list[BackupStamp]:
    return [BackupStamp(f"b{n:03d}", NOW - timedelta(days=n, hours=1)) for n in range(days)]


def test_keeps_the_last_days_weeks_and_months() -> None:
    backups = _daily(400)
    kept = to_keep(backups, RetentionPolicy(daily=7, weekly=4, monthly=12), NOW)
    assert {f"b{n:03d}" for n in range(7)} <= kept
    assert len(kept) <= 7 + 4 + 12
    oldest_kept = max(int(name[1:]) for name in kept)
    assert 320 <= oldest_kept <= 366  # the newest of each of 12 months: back to December 2025


def test_backups_from_the_last_day_are_all_kept() -> None:
    recent = [BackupStamp(f"r{n}", NOW - timedelta(hours=n)) for n in range(5)]
    assert to_keep(recent, RetentionPolicy(daily=1, weekly=0, monthly=0), NOW) == {f"r{n}" for n in range(5)}


def test_nothing_to_keep_from_nothing() -> None:
    assert to_keep([], RetentionPolicy(), NOW) == set()


@pytest.mark.parametrize("policy", [dict(daily=0), dict(weekly=-1)])
def test_bad_policies_are_refused(policy: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(**policy)
