"""Benchmark: what encryption at rest costs — opening the database (with the first query) and a
1,000-row query, plain against SQLCipher. Figures are printed for the notes; nothing is asserted
beyond the runs working."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from kettrack.store import encryption
from kettrack.store.database import Database
from tests.bench.seed import seed

pytestmark = pytest.mark.bench
RUNS = 7


def _open_and_query(path: Path, passphrase: str | None) -> tuple[float, float]:
    start = time.perf_counter()
    db = Database.open(path, passphrase=passphrase)
    try:
        with db.reader() as session:
            session.execute(text("SELECT count(*) FROM patients")).scalar()
        opened = time.perf_counter() - start
        start = time.perf_counter()
        with db.reader() as session:
            rows = session.execute(
                text("SELECT * FROM infusions ORDER BY service_date DESC LIMIT 1000")
            ).fetchall()
        assert len(rows) == 1000
        return opened, time.perf_counter() - start
    finally:
        db.close()


def test_encryption_cost(tmp_path: Path, template_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.sqlite3"
    shutil.copyfile(template_db, plain)
    seed(plain, 5000)
    secret = tmp_path / "secret.sqlite3"
    shutil.copyfile(plain, secret)
    encryption.encrypt(secret, "bench passphrase")
    figures = {}
    for name, path, passphrase in (("plain", plain, None), ("encrypted", secret, "bench passphrase")):
        runs = [_open_and_query(path, passphrase) for _ in range(RUNS)]
        figures[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
    (po, pq), (eo, eq) = figures["plain"], figures["encrypted"]
    with capsys.disabled():
        print(
            f"\nencryption cost (5,000 sessions, medians of {RUNS}): open + first query "
            f"plain {po * 1000:.0f} ms, encrypted {eo * 1000:.0f} ms; "
            f"1,000-row query plain {pq * 1000:.1f} ms, encrypted {eq * 1000:.1f} ms"
        )
