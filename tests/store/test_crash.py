"""Crash safety: a child process writes claims and events in a loop and is killed with SIGKILL at
random moments. After every kill the database passes ``integrity_check``, holds every transaction the
child reported as committed, and holds no transaction in part (each claim has its lines, its event
count matches its events, its stored state matches the one its events derive).

The child is forked from this process after the store is imported, so each round costs the writing,
not Python's start-up; it reports a commit on a pipe only after the call that committed returned.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kettrack.core.claim_states import EventKind
from kettrack.core.claims import EobAmounts, NewClaim, NewEvent
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import CoverageRecord, InfusionRecord, PatientRecord, PayerRecord
from kettrack.services.workspace import Workspace
from kettrack.store.database import Database

ROUNDS = 50
TODAY = date(2026, 11, 23)
SERVICE = TODAY - timedelta(days=60)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _seed(path: Path, icd10: Any) -> tuple[int, tuple[int, ...]]:
    ws = Workspace(Database.open(path), today=lambda: TODAY)
    ws._icd = Icd10Releases([icd10])  # the session's index: the child never needs to load it
    try:
        patient = ws.patients.add(PatientRecord("Crash Test", date_of_birth=date(1980, 1, 1)))
        payer = ws.payers.add(PayerRecord("Crash Plan"))
        assert patient.id is not None and payer.id is not None
        coverage = ws.coverages.add(CoverageRecord(patient.id, payer.id, "M123"))
        infusion = ws.infusions.add(InfusionRecord(patient.id, SERVICE, diagnoses=("F33.2",)))
        assert coverage.id is not None and infusion.id is not None
        ws.service_lines.replace_lines(infusion.id, ws.service_lines.propose(infusion.id).lines)
    finally:
        ws.close()
    connection = sqlite3.connect(path)
    try:
        ids = tuple(row[0] for row in connection.execute("SELECT id FROM service_lines ORDER BY id"))
    finally:
        connection.close()
    assert ids
    return coverage.id, ids


def _child(path: Path, coverage_id: int, line_ids: tuple[int, ...], report: int) -> None:
    """Create a claim (a corrected one replacing the last), submit it, deny it, pay it... forever."""
    ws = Workspace(Database.open(path), today=lambda: TODAY)
    connection = sqlite3.connect(path)  # carry on from the newest claim the last child left
    previous: int | None = connection.execute("SELECT max(id) FROM claims").fetchone()[0]
    connection.close()
    last = ws.claims  # build the service before saying we are ready
    os.write(report, b"ready\n")
    while True:
        claim = last.create(NewClaim(coverage_id, service_line_ids=line_ids, replaces_id=previous))
        os.write(report, f"claim {claim} {len(line_ids)} {previous or 0}\n".encode())
        for sequence, event in enumerate(
            (
                NewEvent(EventKind.SUBMITTED, TODAY - timedelta(days=30), payer_claim_number=f"P{claim}"),
                NewEvent(EventKind.ACKNOWLEDGED, TODAY - timedelta(days=25)),
                NewEvent(
                    EventKind.DENIED, TODAY - timedelta(days=10), amounts=EobAmounts(paid=Decimal("0.00"))
                ),
            ),
            start=1,
        ):
            last.record(claim, event)
            os.write(report, f"event {claim} {sequence}\n".encode())
        previous = claim


def _read_reports(fd: int) -> list[str]:
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode().splitlines()


def test_sigkill_at_random_moments_never_loses_or_half_writes(tmp_path: Path, icd10: Any) -> None:
    path = tmp_path / "crash.sqlite3"
    coverage_id, line_ids = _seed(path, icd10)
    rng = random.Random(20261123)
    committed_claims: dict[int, int] = {}  # claim id -> lines
    committed_events: dict[int, int] = {}  # claim id -> events reported (beyond the replacing close)
    kills_mid_write = 0
    for _round in range(ROUNDS):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            try:
                os.close(read_fd)
                _child(path, coverage_id, line_ids, write_fd)
            except BaseException as exc:  # reported, so the test fails with the reason
                os.write(write_fd, f"error {type(exc).__name__}: {exc}\n".encode())
            finally:
                os._exit(0)
        os.close(write_fd)
        # Wait until the child is writing, then kill it at a random moment.
        ready = b""
        while not ready.endswith(b"ready\n"):
            piece = os.read(read_fd, 6)
            assert piece, "the child died before it was ready"
            ready += piece
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = _read_reports(read_fd)
        os.close(read_fd)
        for line in lines:
            assert not line.startswith("error"), line
            word, *numbers = line.split()
            if word == "claim":
                committed_claims[int(numbers[0])] = int(numbers[1])
            elif word == "event":
                committed_events[int(numbers[0])] = max(
                    committed_events.get(int(numbers[0]), 0), int(numbers[1])
                )
        kills_mid_write += bool(lines)
        _check(path, committed_claims, committed_events, len(line_ids))
    print(
        f"\ncrash test: {ROUNDS} SIGKILLs ({kills_mid_write} after the child had committed something), "
        f"{len(committed_claims)} claims and {sum(committed_events.values())} events reported committed: "
        "all present, integrity_check ok after every kill, no half-written claim"
    )
    assert kills_mid_write >= ROUNDS // 2, "the kills mostly missed the writing"
    assert len(committed_claims) > ROUNDS


def _check(path: Path, claims: dict[int, int], events: dict[int, int], line_count: int) -> None:
    connection = sqlite3.connect(path)
    try:
        assert [row[0] for row in connection.execute("PRAGMA integrity_check")] == ["ok"]
        assert list(connection.execute("PRAGMA foreign_key_check")) == []
        stored = {
            row[0]: row[1:]
            for row in connection.execute(
                "SELECT c.id, c.event_count, (SELECT count(*) FROM claim_events e WHERE e.claim_id = c.id),"
                " (SELECT count(*) FROM claim_lines l WHERE l.claim_id = c.id), c.state, c.replaces_id"
                " FROM claims c"
            )
        }
    finally:
        connection.close()
    for claim_id, line_count in claims.items():
        assert claim_id in stored, f"claim {claim_id} was reported committed and is gone"
        assert stored[claim_id][2] == line_count
    for claim_id, count in events.items():
        assert stored[claim_id][1] >= count, f"claim {claim_id} lost a committed event"
    for claim_id, (event_count, real_events, lines, _state, replaces) in stored.items():
        # Never half-present: every stored claim has all its lines and its counters match its rows.
        assert lines == line_count, f"claim {claim_id} has {lines} of its {line_count} lines"
        assert event_count == real_events, f"claim {claim_id} is half-written"
        if replaces:
            assert stored[replaces][3] == "closed", "a corrected claim exists but the replaced one is open"
    workspace = Workspace(Database.open(path), today=lambda: TODAY)
    try:
        assert workspace.claims.invariant_problems() == []
    finally:
        workspace.close()
