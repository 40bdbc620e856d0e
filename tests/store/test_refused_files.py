"""Files kettrack refuses stay exactly as they were: an empty (0-byte) file, a text file, random bytes,
another program's SQLite file (with tables, or none) and a kettrack database with a damaged page are
refused by every command in one line (exit 2), with their bytes, mode and mtime unchanged and nothing
made beside them (no -wal, -shm, -journal, lock file or backups folder); the damaged one's message
names the newest backup that passes its check. Only a path with no file becomes a new database."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kettrack.cli import main
from kettrack.services import backups
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store import migrate
from kettrack.store.database import Database, DatabaseDamaged

SIDECARS = ("-wal", "-shm", "-journal", ".lock")
COMMANDS = (
    ["patients", "list"],
    ["patients", "list", "--read-only"],
    ["infusions", "list", "--read-only"],
    ["audit", "verify"],
    ["backups", "list"],
    ["due"],
    ["patients", "add", "--name", "Ann Example"],
    ["demo"],
)


def _state(path: Path) -> tuple[bytes, int, int, list[str]]:
    """What must not change: the bytes, mtime and mode of the file, and the names in its folder."""
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns, stat.S_IMODE(info.st_mode), sorted(os.listdir(path.parent))


def _nothing_beside(path: Path, suffixes: tuple[str, ...] = SIDECARS) -> None:
    made = [suffix for suffix in suffixes if os.path.lexists(f"{path}{suffix}")]
    assert not made, made


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, lines
    assert lines[0].startswith("kettrack: error: ")
    return lines[0]


def _sqlite_file(path: Path, *tables: str) -> None:
    """Another program's SQLite file in WAL mode: a plain read-only open would make -wal and -shm."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    for table in tables:
        connection.execute(f"CREATE TABLE {table} (name TEXT)")
    connection.commit()
    connection.close()


@pytest.mark.parametrize("kind", ["empty", "text", "random", "foreign-sqlite", "empty-foreign-sqlite"])
def test_a_file_that_is_not_a_kettrack_database_is_refused_untouched(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "victim.sqlite3"
    if kind == "empty":
        path.touch()
    elif kind == "text":
        path.write_text("name,amount\nAnn,5\n")
    elif kind == "random":
        path.write_bytes(os.urandom(20000))
    else:
        _sqlite_file(path, *(["recipes"] if kind == "foreign-sqlite" else []))
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = _state(path)
    for argv in COMMANDS:
        assert main(["--db", str(path), *argv]) == 2, argv
        line = _one_line(capsys.readouterr().err)
        assert "not a kettrack database" in line and "not changed" in line, line
        assert _state(path) == before, argv
        _nothing_beside(path)
    # check reports on any file (exit 1 when it finds problems); it too changes nothing.
    assert main(["--db", str(path), "check"]) != 0
    capsys.readouterr()
    assert _state(path) == before
    _nothing_beside(path)
    for read_only in (False, True):
        with pytest.raises(migrate.NotADatabase):
            Database.open(path, read_only=read_only)
    assert _state(path) == before
    _nothing_beside(path)


def test_an_empty_file_is_never_made_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with pytest.raises(migrate.NotADatabase, match=r"is empty \(0 bytes\): it is not a kettrack database"):
        Database.open(path)
    assert path.stat().st_size == 0
    _nothing_beside(path)


def test_only_a_path_with_nothing_there_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new" / "kettrack.sqlite3"
    db = Database.open(path)
    try:
        assert db.revision == migrate.head_revision()
    finally:
        db.close()
    connection = sqlite3.connect(path)
    try:
        # Marked as kettrack's, so an empty database that kettrack made is told from another program's.
        assert connection.execute("PRAGMA application_id").fetchone()[0] == migrate.APPLICATION_ID
    finally:
        connection.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p.name for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def _scribble(path: Path) -> None:
    """Overwrite a few kilobytes in the middle of the file with garbage: the header stays, pages break."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(8192))


def test_a_damaged_page_is_refused_naming_the_newest_good_backup(
    workspace: Workspace, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_demo(workspace)
    workspace.close()
    good = backups.back_up(db_path)
    for suffix in ("-wal", "-shm"):  # the backup's read-only connection may leave them; the file is at rest
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    _scribble(db_path)
    before = _state(db_path)
    for argv in COMMANDS:
        # Before: "unexpected DatabaseError: database disk image is malformed", exit 1.
        assert main(["--db", str(db_path), *argv]) == 2, argv
        line = _one_line(capsys.readouterr().err)
        assert "is damaged" in line and "was not changed" in line, line
        assert f"kettrack restore '{good}' --yes" in line, line
        # Its lock file was there from before (it is emptied, never deleted): the folder is as it was.
        assert _state(db_path) == before, argv
        _nothing_beside(db_path, ("-wal", "-shm", "-journal"))
    assert main(["--db", str(db_path), "check"]) == 1
    assert good.name in capsys.readouterr().err
    assert _state(db_path) == before
    _nothing_beside(db_path, ("-wal", "-shm", "-journal"))
    for read_only in (False, True):
        with pytest.raises(DatabaseDamaged) as refused:
            Database.open(db_path, read_only=read_only)
        assert isinstance(refused.value, migrate.NotADatabase) and refused.value.path == db_path
    assert _state(db_path) == before


def test_reading_a_database_at_rest_makes_nothing_beside_it(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: a read-only open (mode=ro) of a WAL database at rest left -wal and -shm files beside it.
    before = _state(db_path)
    assert main(["--db", str(db_path), "patients", "list", "--read-only"]) == 0, capsys.readouterr().err
    assert _state(db_path) == before
    _nothing_beside(db_path)
