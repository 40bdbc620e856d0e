"""Which backups to keep: the newest of each of the last N days, weeks and months (grandfather-
father-son, as Anki and most backup tools do), plus every backup younger than a day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    def __post_init__(self) -> None:
        if min(self.daily, self.weekly, self.monthly) < 0 or self.daily < 1:
            raise ValueError("keep at least one daily backup; counts cannot be negative")


@dataclass(frozen=True)
class BackupStamp:
    name: str
    taken_at: datetime


def to_keep(backups: Iterable[BackupStamp], policy: RetentionPolicy, now: datetime) -> set[str]:
    """Names of the backups the policy keeps; everything else may be deleted."""
    newest_first = sorted(backups, key=lambda b: b.taken_at, reverse=True)
    keep = {b.name for b in newest_first if now - b.taken_at < timedelta(days=1)}
    buckets = (
        (policy.daily, lambda t: t.date()),
        (policy.weekly, lambda t: t.isocalendar()[:2]),
        (policy.monthly, lambda t: (t.year, t.month)),
    )
    for count, bucket_of in buckets:
        seen: list[object] = []
        for backup in newest_first:
            bucket = bucket_of(backup.taken_at)
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.append(bucket)
            keep.add(backup.name)
    return keep
