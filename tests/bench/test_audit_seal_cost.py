"""Benchmark: what the audit seals and the config-folder anchor cost ``audit.record``: 1,000 entries in
one unit of work, and 1,000 ``record_now`` calls (a commit, so an anchor write, each), with and
without them (``audit_anchor.appended`` made a no-op: the code before seals, in effect). Runs are
interleaved and the best of each kept, as the machine is shared. Figures are printed for the notes;
nothing is asserted beyond the runs working."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from kettrack.store import audit_anchor
from kettrack.store.audit import AuditLog, record
from kettrack.store.database import Database

pytestmark = pytest.mark.bench
RUNS = 5
ENTRIES = 1000


def _run(path: Path) -> tuple[float, float]:
    db = Database.open(path)
    try:
        log = AuditLog(db)
        log.record_now("view", "patient", 0)  # the first write makes the id, key and anchor
        start = time.perf_counter()
        with db.session() as session:
            for n in range(ENTRIES):
                record(session, "view", "patient", n)
        one_unit = time.perf_counter() - start
        start = time.perf_counter()
        for n in range(ENTRIES):
            log.record_now("view", "patient", n)
        return one_unit, time.perf_counter() - start
    finally:
        db.close()


def test_audit_seal_cost(
    tmp_path: Path, template_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sealed = audit_anchor.appended
    best: dict[str, tuple[float, float]] = {}
    for run in range(RUNS):
        for name, appended in (("without", lambda *args: None), ("sealed", sealed)):
            monkeypatch.setattr(audit_anchor, "appended", appended)
            path = tmp_path / f"{name}-{run}.sqlite3"
            shutil.copyfile(template_db, path)
            one_unit, each = _run(path)
            old = best.get(name, (one_unit, each))
            best[name] = (min(old[0], one_unit), min(old[1], each))
    monkeypatch.setattr(audit_anchor, "appended", sealed)
    (wo, we), (so, se) = best["without"], best["sealed"]
    with capsys.disabled():
        print(
            f"\naudit seal cost (best of {RUNS}, per entry): in one unit of work {wo * 1e3:.0f} µs "
            f"without, {so * 1e3:.0f} µs sealed; record_now (a commit and an anchor write each) "
            f"{we * 1e3:.0f} µs without, {se * 1e3:.0f} µs sealed"
        )
