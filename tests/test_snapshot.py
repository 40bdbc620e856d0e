"""The start-up fast path must show exactly what the repository would."""

from __future__ import annotations

from pathlib import Path

from kettrack.services.workspace import Workspace
from kettrack.store import migrate, snapshot
from tests.bench.seed import seed


def test_first_page_equals_repository_rows(tmp_path: Path) -> None:
    path = seed(tmp_path / "seeded.sqlite3", infusions=300, patients=20)
    ws = Workspace.open(path)
    try:
        expected = ws.infusions.rows(ws.infusions.ids()[:120])
    finally:
        ws.close()
    taken = snapshot.read(path, 120)
    assert taken is not None and list(taken.rows) == expected
    assert taken.total == 300 and not taken.setup_done


def test_fast_path_knows_the_newest_schema() -> None:
    # A new migration must bump SCHEMA_REVISION, or the window stops showing rows before the workspace.
    assert snapshot.SCHEMA_REVISION == migrate.head_revision()


def test_first_page_declines_an_older_or_newer_schema(tmp_path: Path) -> None:
    import sqlite3

    path = seed(tmp_path / "seeded.sqlite3", infusions=5, patients=2)
    for other in ("0002", "9999"):
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE alembic_version SET version_num = ?", (other,))
        connection.close()
        assert snapshot.read(path, 10) is None


def test_first_page_declines_what_it_cannot_read(tmp_path: Path) -> None:
    assert snapshot.read(tmp_path / "missing.sqlite3", 10) is None
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 10)
    assert snapshot.read(junk, 10) is None
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    assert snapshot.read(empty, 10) is None and empty.stat().st_size == 0


def test_first_page_reads_from_a_folder_with_uri_characters(tmp_path: Path) -> None:
    folder = tmp_path / "odd?name#1"
    folder.mkdir()
    path = seed(folder / "seeded.sqlite3", infusions=5, patients=2)
    taken = snapshot.read(path, 10)
    assert taken is not None and len(taken.rows) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["odd?name#1"]  # no stray file named after "odd"
