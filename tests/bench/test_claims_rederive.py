"""Benchmark: re-deriving every claim's stored next step at the scale of a busy billing desk (issue 11).

A database made by an older kettrack (or just upgraded) has each claim's next step as that code
derived it; the first open re-derives every claim once (``ClaimService.rederive_if_outdated``), and a
change of the user's role re-derives every open claim. Both over the 100,000 claims of
``test_claims_dashboard``'s seed, whose stored columns come from the service's derivation without a
triage context, so the re-derive has rows to rewrite as well as to read.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kettrack.core.enums import UserRole
from kettrack.services.claims import ClaimService
from kettrack.services.workspace import Workspace
from kettrack.store.database import Database
from tests.bench.test_claims_dashboard import CLAIMS, _seed
from tests.conftest import TODAY

pytestmark = pytest.mark.bench


def test_rederiving_100k_claims(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "100k-claims.sqlite3"
    counts = _seed(path)
    db = Database.open(path)
    try:
        service = ClaimService(db, today=lambda: TODAY)
        start = time.perf_counter()
        derived = service.rederive_if_outdated()
        once = time.perf_counter() - start
        assert derived == CLAIMS
        assert service.rederive_if_outdated() is None  # once: the database says so
    finally:
        db.close()
    start = time.perf_counter()
    ws = Workspace.open(path, today=lambda: TODAY)
    opening = time.perf_counter() - start
    try:
        start = time.perf_counter()
        ws.settings.set_role(UserRole.PATIENT)  # re-derives every open claim in its transaction
        role = time.perf_counter() - start
        assert ws.claims.invariant_problems() == []
    finally:
        ws.close()
    with capsys.disabled():
        print(
            f"\nre-deriving all {CLAIMS:,} claims once after an upgrade ({counts['events']:,} events): "
            f"{once:.2f} s; opening the database afterwards: {opening * 1000:.0f} ms; a role change "
            f"re-deriving the {counts['open']:,} open claims: {role:.2f} s"
        )
