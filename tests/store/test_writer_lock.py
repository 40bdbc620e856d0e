"""One writer per database file: a second process is told who holds it; a crashed holder's lock
is taken over; never two holders at once, however fast processes come and go."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kettrack.store.lock import DatabaseLocked, WriterLock, lock_path_for, read_holder

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
        # The person knows the database, not the lock file beside it.
        assert str(raised.value).startswith("k.sqlite3 is open") and ".lock" not in str(raised.value)
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
    # The lock file stays (deleting it let two writers in at once) but names nobody now.
    assert lock_path_for(db).exists() and read_holder(lock_path_for(db)) is None


def test_release_lets_the_next_writer_in(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite3"
    first = WriterLock(db)
    first.acquire()
    first.release()
    second = WriterLock(db)
    second.acquire()
    assert second.held and second.took_over_stale is None
    second.release()
    assert read_holder(lock_path_for(db)) is None


def test_a_symlink_in_place_of_the_lock_file_is_not_followed(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite3"
    victim = tmp_path / "notes.txt"
    victim.write_text("keep me")
    lock_path_for(db).symlink_to(victim)
    with pytest.raises(OSError):
        WriterLock(db).acquire()
    assert victim.read_text() == "keep me"


# Each holder writes "+pid" on entry and "-pid" before it lets go, appended to one shared file: two
# holders at once show as a "+" while another "+" is still open. Before the fix (the lock file was
# deleted on release) 4 x 3,000 holds gave hundreds of such overlaps.
CONTENDER = """
import os, sys
from pathlib import Path
from kettrack.store.lock import DatabaseLocked, WriterLock
db, log, wanted = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
out = os.open(log, os.O_WRONLY | os.O_APPEND)
enter, leave = f"+{os.getpid()}\\n".encode(), f"-{os.getpid()}\\n".encode()
print("ready", flush=True)
sys.stdin.readline()
held = 0
while held < wanted:
    lock = WriterLock(db)
    try:
        lock.acquire()
    except DatabaseLocked:
        continue
    os.write(out, enter)
    os.write(out, leave)
    lock.release()
    held += 1
"""


def test_never_two_holders_at_once(tmp_path: Path) -> None:
    db, log = tmp_path / "k.sqlite3", tmp_path / "holds.log"
    log.touch()
    processes, holds = 4, 3000
    contenders = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, str(db), str(log), str(holds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        # All start together, so they contend from the first hold to the last.
        for contender in contenders:
            assert contender.stdout is not None and contender.stdout.readline().strip() == "ready"
        started = time.monotonic()
        for contender in contenders:
            assert contender.stdin is not None
            contender.stdin.write("go\n")
            contender.stdin.close()
        for contender in contenders:
            assert contender.wait(timeout=120) == 0
        took = time.monotonic() - started
    finally:
        for contender in contenders:
            contender.kill()
            contender.wait()
    holder, overlaps, entries = None, 0, 0
    for record in log.read_text().splitlines():
        if record.startswith("+"):
            entries += 1
            overlaps += holder is not None
            holder = record[1:]
        elif record[1:] == holder:
            holder = None
    print(f"{entries} holds by {processes} processes in {took:.1f} s, {overlaps} overlapping")
    assert entries == processes * holds and overlaps == 0
