"""Leftovers of killed runs (a backup's ``.partial``, a restore's ``.restoring`` copy, an encryption's
``.converting`` copy, a new database's ``.creating`` file, a restore's staging folder, ``write_private``'s
``.tmp`` files) are removed at the next open that takes the writer lock, and never a person's own file,
the lock file, a link, or a temporary file a run without the lock may still be writing."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from kettrack.store import leftovers
from kettrack.store.backup import backup_dir_for
from kettrack.store.database import Database
from kettrack.store.lock import DatabaseLocked, WriterLock, lock_path_for

AN_HOUR_AGO = time.time() - 2 * leftovers.GRACE_SECONDS


def _file(path: Path, *, old: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"a copy of the health data" * 100)
    if old:
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return path


def _folder(path: Path, *, old: bool = False) -> Path:
    _file(path / "superbills" / "SB-2026-000001-v1.pdf")
    if old:
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return path


@pytest.fixture
def left(db_path: Path) -> dict[str, list[Path]]:
    """Every kind of leftover beside ``db_path`` and in its backups folder, and files that only look alike."""
    here, backups = db_path.parent, backup_dir_for(db_path)
    name = db_path.name
    gone = [
        _file(here / f".{name}.1a2b3c4d.converting"),
        _file(here / f".{name}.1a2b3c4d.converting-journal"),
        _file(here / f".{name}.k_3j9x2q.restoring"),
        _file(here / f".{name}.0badf00d.creating-wal"),
        _folder(here / ".documents-restoring-ab12_x9z", old=True),
        _file(here / ".export.json.0123456789ab.tmp", old=True),
        _file(here / ".access-q1w2e3r4.zip", old=True),
        _file(backups / f"{db_path.stem}-20261129T231924555238Z-manual.sqlite3.partial"),
        _file(
            backups / f"{db_path.stem}-20261129T231924555238Z-pre-upgrade-from-0003.sqlite3.partial-journal"
        ),
        _file(backups / ".documents-zz99yy88.partial"),
        _folder(backups / ".documents-restoring-k3j4h5g6", old=True),
        _file(backups / "..last-backup.json.a1b2c3d4e5f6.tmp"),
    ]
    victim = _file(here / "mine.txt")
    link = here / f".{name}.deadbeef.converting"
    link.symlink_to(victim)
    kept = [
        _file(here / "notes.partial", old=True),
        _file(here / f"{name}.bak", old=True),
        _file(here / "mydb.sqlite3.bak", old=True),
        _file(here / ".other.sqlite3.1a2b3c4d.converting", old=True),  # another database's run
        _file(here / f".{name}.1a2b3c4d.converting.mine", old=True),
        _file(here / ".export.json.0123456789ab.tmp.keep", old=True),
        _file(here / ".documents-restoring-short", old=True),
        # Written by a run that needs no writer lock (an export beside the database): kept while young.
        _file(here / ".report.pdf.ffffffffffff.tmp"),
        _folder(here / ".documents-restoring-young123"),
        _file(backups / f"{db_path.stem}-20261129T231924555238Z-manual.sqlite3"),
        _file(backups / "notes.partial"),
        _file(backups / f"{db_path.stem}.sqlite3.damaged-20261129T231924"),
        victim,
        link,
    ]
    return {"gone": gone, "kept": kept}


def test_find_lists_every_leftover_and_nothing_else(db_path: Path, left: dict[str, list[Path]]) -> None:
    young = [
        p for p in left["kept"] if p.name in (".report.pdf.ffffffffffff.tmp", ".documents-restoring-young123")
    ]
    assert sorted(leftovers.find(db_path)) == sorted(left["gone"] + young)


def test_opening_removes_the_leftovers_of_killed_runs(
    db_path: Path, left: dict[str, list[Path]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kettrack.store.leftovers")
    # Before: nothing ever removed them (about 1.1 GB after 31 killed runs).
    db = Database.open(db_path)
    try:
        assert [p for p in left["gone"] if os.path.lexists(p)] == []
        assert [p for p in left["kept"] if not os.path.lexists(p)] == []
        assert (db_path.parent / "mine.txt").read_bytes().startswith(b"a copy")  # the link's target
        assert lock_path_for(db_path).is_file()  # the lock file is left alone
    finally:
        db.close()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"removed {len(left['gone'])} leftover(s)" in logged
    assert "encryption copy" in logged and "unfinished backup" in logged
    assert "export.json" not in logged and db_path.name not in logged  # kinds and a count, never names


def test_nothing_is_removed_without_the_writer_lock(db_path: Path, left: dict[str, list[Path]]) -> None:
    holder = WriterLock(db_path)
    holder.acquire()  # another kettrack converting or restoring it right now
    try:
        with pytest.raises(DatabaseLocked):
            Database.open(db_path)
    finally:
        holder.release()
    db = Database.open(db_path, read_only=True)  # reading takes no lock, so it removes nothing
    db.close()
    assert [p for p in left["gone"] + left["kept"] if not os.path.lexists(p)] == []


def test_a_second_open_in_the_same_program_removes_nothing(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        # A conversion this program runs while it holds the database: its copy must survive the
        # window's other opens of the same file.
        copy = _file(db_path.parent / f".{db_path.name}.1a2b3c4d.converting")
        Database.open(db_path).close()
        assert copy.exists()
    finally:
        db.close()
