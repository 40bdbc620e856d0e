"""One writer per SQLite file: a second kettrack is told who holds it (host, process, since when)
and may open it read-only; a lock left by a killed process is taken over; a read-only folder opens
read-only; damage is found by quick_check on opening."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kettrack.cli import main
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store.database import Database
from kettrack.store.lock import DatabaseLocked

HOLDER = """
import sys, time
from kettrack.store.database import Database
db = Database.open(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(db_path: Path):  # type: ignore[no-untyped-def]
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "holding"
    yield child
    child.kill()
    child.wait()


def test_a_second_program_is_told_who_holds_the_file(db_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(DatabaseLocked) as locked:
        Database.open(db_path)
    assert locked.value.holder is not None and locked.value.holder.pid == holder.pid
    assert "read it with --read-only" in str(locked.value)
    assert main(["--db", str(db_path), "patients", "add", "--name", "X"]) == 2
    assert main(["--db", str(db_path), "patients", "list", "--read-only"]) == 0
    assert main(["--db", str(db_path), "patients", "add", "--name", "X", "--read-only"]) == 2
    # Read-only works while the other program writes, and cannot write.
    reader = Database.open(db_path, read_only=True)
    try:
        assert reader.read_only
        with reader.reader() as session:
            assert session.execute(text("SELECT count(*) FROM patients")).scalar() == 0
        with pytest.raises(OperationalError, match="readonly"), reader.session() as session:
            session.execute(text("INSERT INTO app_settings (key, value) VALUES ('x', 'y')"))
    finally:
        reader.close()


def test_a_killed_holders_lock_is_taken_over(db_path: Path, holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert db_path.with_name(db_path.name + ".lock").exists()  # left behind by the killed process
    db = Database.open(db_path)
    try:
        assert db.engine is not None
    finally:
        db.close()
    # Closing empties the lock file and leaves it (deleting it let two writers in at once).
    lock_file = db_path.with_name(db_path.name + ".lock")
    assert lock_file.exists() and lock_file.stat().st_size == 0


def test_the_same_program_may_open_a_file_twice(db_path: Path) -> None:
    first, second = Database.open(db_path), Database.open(db_path)
    first.close()
    assert not _another_program_opens(db_path)  # still held, by ``second``
    second.close()
    assert _another_program_opens(db_path)


def _another_program_opens(path: Path) -> bool:
    code = "import sys; from kettrack.store.database import Database; Database.open(sys.argv[1]).close()"
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 or "DatabaseLocked" in done.stderr, done.stderr
    return done.returncode == 0


def test_a_read_only_folder_opens_read_only(tmp_path: Path, template_db: Path) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if made.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        path = mount / "kettrack.sqlite3"
        path.write_bytes(template_db.read_bytes())
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        db = Database.open(path)
        try:
            assert db.read_only
        finally:
            db.close()
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_quick_check_on_open_finds_damage(workspace: Workspace, db_path: Path) -> None:
    fill_demo(workspace)
    workspace.close()
    size = db_path.stat().st_size
    with open(db_path, "r+b") as handle:  # scribble over the pages after the first: the header stays
        for offset in range(2 * 4096, size - 4096, 3 * 4096):
            handle.seek(offset + 40)
            handle.write(os.urandom(600))
    before = db_path.read_bytes()
    assert main(["--db", str(db_path), "patients", "list"]) == 2
    assert db_path.read_bytes() == before
