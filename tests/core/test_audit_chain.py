"""The audit hash chain detects removed, altered and reordered entries; seals need the key; an anchored
head survives JSON; CSV cells are neutralised."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kettrack.core.audit import AuditEntry, AuditHead, seal, seal_mac, seal_matches, verify_chain
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


def test_the_end_of_a_chain_verifies_after_a_trusted_entry() -> None:
    entries = _chain(6)
    assert verify_chain(entries[3:], after=entries[2]) == []
    assert verify_chain(entries[3:], after=entries[1]) == [
        "entry 3 is missing (found 4 next)",
        "entry 4 does not follow the entry before it",
    ]


def test_a_seal_needs_the_key() -> None:
    key, other = bytes(range(32)), bytes(32)
    digest = _chain(1)[0].hash
    mac = seal_mac(key, digest)
    assert len(mac) == 64 and seal_matches(key, digest, mac)
    assert not seal_matches(other, digest, mac)
    assert not seal_matches(key, _chain(2)[1].hash, mac)
    assert not seal_matches(key, "é" * 64, "ü" * 64)  # whatever someone wrote into the columns


def test_a_head_survives_json_and_refuses_what_kettrack_never_writes() -> None:
    head = AuditHead(812, "a" * 64, "b" * 64, START, "6f1c0c52-3c1e-4c37-9d0e-4d3c7d6a2b10")
    assert AuditHead.from_dict(head.as_dict()) == head
    assert AuditHead.from_dict({"sequence": 3, "hash": "c" * 64}) == AuditHead(3, "c" * 64)
    for bad in (
        [],
        {"sequence": 0, "hash": "c" * 64},
        {"sequence": True, "hash": "c" * 64},
        {"sequence": 3, "hash": "C" * 64},
        {"sequence": 3, "hash": "c" * 64, "mac": "short"},
        {"sequence": 3, "hash": "c" * 64, "at": "2026-11-23T09:00:00"},
    ):
        with pytest.raises(ValueError):
            AuditHead.from_dict(bad)


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
