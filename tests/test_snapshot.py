"""The start-up fast path must show exactly what the repository would."""

from __future__ import annotations

from pathlib import Path

from kettrack.store import snapshot
from kettrack.store.workspace import Workspace
from tests.bench.seed import seed


def test_first_page_equals_repository_rows(tmp_path: Path) -> None:
    path = seed(tmp_path / "seeded.sqlite3", infusions=300, patients=20)
    ws = Workspace.open(path)
    try:
        expected = ws.infusions.rows(ws.infusions.ids()[:120])
    finally:
        ws.close()
    assert snapshot.first_page(path, 120) == expected


def test_first_page_declines_what_it_cannot_read(tmp_path: Path) -> None:
    assert snapshot.first_page(tmp_path / "missing.sqlite3", 10) is None
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 10)
    assert snapshot.first_page(junk, 10) is None
