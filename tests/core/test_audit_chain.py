"""The audit hash chain detects removed, altered and reordered entries; CSV cells are neutralised."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kettrack.core.audit import AuditEntry, seal, verify_chain
from kettrack.core.csv_safety import neutralize

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for n in range(length):
        draft = AuditEntry(
            0, START + timedelta(minutes=n), "ana", "desk-1", "update", "patient", n, f"field {n}"
        )
        entries.append(seal(draft, entries[-1] if entries else None))
    return entries


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(_chain(6)) == []


def test_a_deleted_entry_is_detected() -> None:
    entries = _chain(6)
    del entries[2]
    problems = verify_chain(entries)
    assert "entry 3 is missing (found 4 next)" in problems


def test_an_altered_entry_is_detected() -> None:
    entries = _chain(6)
    entries[4] = replace(entries[4], details="nothing to see")
    assert verify_chain(entries) == ["entry 5 was altered after it was written"]


def test_a_rewritten_tail_is_detected() -> None:
    entries = _chain(4)
    forged = seal(replace(entries[2], details="forged"), entries[1])
    assert "entry 4 does not follow the entry before it" in verify_chain([*entries[:2], forged, entries[3]])


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="UTC"):
        seal(AuditEntry(0, datetime(2026, 1, 1), "a", "m", "view"), None)


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Jane", "Jane"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_neutralisation(cell: object, safe: str) -> None:
    assert neutralize(cell) == safe
