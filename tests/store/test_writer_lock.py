"""One writer per database file: a second process is told who holds it; a crashed holder's lock
is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kettrack.store.lock import DatabaseLocked, WriterLock, lock_path_for

HOLD = """
import sys, time
from pathlib import Path
from kettrack.store.lock import WriterLock
lock = WriterLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def _holder(db: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_process_is_told_who_holds_the_database(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite3"
    holder = _holder(db)
    try:
        with pytest.raises(DatabaseLocked) as raised:
            WriterLock(db).acquire()
        assert raised.value.holder is not None and raised.value.holder.pid == holder.pid
        assert f"process {holder.pid}" in str(raised.value) and "read-only" in str(raised.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_crashed_holders_lock_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite3"
    holder = _holder(db)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock_path_for(db).exists()  # the crash left the file behind
    lock = WriterLock(db)
    lock.acquire()
    try:
        assert lock.took_over_stale is not None and lock.took_over_stale.pid == holder.pid
        assert json.loads(lock_path_for(db).read_text())["pid"] == os.getpid()
        assert oct(lock_path_for(db).stat().st_mode & 0o777) == "0o600"
    finally:
        lock.release()
    assert not lock_path_for(db).exists()


def test_release_lets_the_next_writer_in(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite3"
    first = WriterLock(db)
    first.acquire()
    first.release()
    second = WriterLock(db)
    second.acquire()
    assert second.held and second.took_over_stale is None
    second.release()
