"""One writer per SQLite file: an advisory lock beside the database, held while kettrack runs.

The lock file names its holder (host, process, user, since when), so a second kettrack can say who
has the database open. The operating system drops the lock when the holder dies, so a lock left by
a crashed process is recognised (the file is there but nobody holds it) and taken over safely.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    user: str
    since: str

    def describe(self) -> str:
        return f"{self.user} on {self.host} (process {self.pid}) since {self.since}"


class DatabaseLocked(RuntimeError):
    """Another kettrack holds the database; ``holder`` says who, when known."""

    def __init__(self, path: Path, holder: LockHolder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "another program"
        super().__init__(
            f"{path.name} is open in kettrack by {who}; close it there, or read it with --read-only"
        )


def lock_path_for(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def read_holder(lock_file: Path) -> LockHolder | None:
    try:
        data = json.loads(lock_file.read_text(encoding="utf-8"))
        return LockHolder(str(data["host"]), int(data["pid"]), str(data["user"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class WriterLock:
    """Hold with ``acquire()``; release with ``release()`` (or let the process end)."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path_for(database)
        self._handle: IO[str] | None = None
        self.took_over_stale: LockHolder | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DatabaseLocked(self.path, read_holder(self.path)) from None
        # We hold the lock: whatever the file still says was left by a process that ended.
        self.took_over_stale = read_holder(self.path)
        me = LockHolder(
            socket.gethostname(), os.getpid(), _user(), datetime.now(UTC).isoformat(timespec="seconds")
        )
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(me.__dict__))
        handle.flush()
        os.fsync(handle.fileno())
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._handle.close()
            self._handle = None
            self.path.unlink(missing_ok=True)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
