"""One writer per SQLite file: an advisory lock beside the database, held while kettrack runs.

The lock file names its holder (host, process, user, since when), so a second kettrack can say who
has the database open. The operating system drops the lock when the holder dies, so a lock left by
a crashed process is recognised (the file names someone but nobody holds it) and taken over safely.

The lock file is never deleted, only emptied on release. Deleting it let a process that had opened
the file just before the delete lock a nameless file while the next one created and locked a new
file under the name: two writers at once. A file that stays put is one lock for everyone.
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

# How often to open the lock file again when it was replaced under us (see ``WriterLock.acquire``).
_REOPEN_ATTEMPTS = 5


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

    def __init__(self, database: Path, holder: LockHolder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "another program"
        super().__init__(
            f"{database.name} is open in kettrack by {who}; close it there, or read it with --read-only"
        )


def lock_path_for(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def read_holder(lock_file: Path) -> LockHolder | None:
    try:
        return _parse_holder(lock_file.read_bytes())
    except OSError:
        return None


def _parse_holder(content: bytes) -> LockHolder | None:
    """The holder a lock file names; None for an emptied (released) or garbled file."""
    try:
        data = json.loads(content.decode("utf-8"))
        return LockHolder(str(data["host"]), int(data["pid"]), str(data["user"]), str(data["since"]))
    except (ValueError, KeyError, TypeError):
        return None


class WriterLock:
    """Hold with ``acquire()``; release with ``release()`` (or let the process end)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path_for(database)
        self._fd: int | None = None
        self.took_over_stale: LockHolder | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        for _ in range(_REOPEN_ATTEMPTS):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise DatabaseLocked(self.database, read_holder(self.path)) from None
            except BaseException:
                os.close(fd)
                raise
            if _is_at_path(fd, self.path):
                break
            # The file was removed or replaced after we opened it (by an older kettrack that still
            # deletes its lock file on release, or by hand): the lock we got guards nothing.
            os.close(fd)
        else:
            raise DatabaseLocked(self.database, read_holder(self.path))
        try:
            # We hold the lock: whatever the file still says was left by a process that ended.
            self.took_over_stale = _holder_in(fd)
            me = LockHolder(
                socket.gethostname(), os.getpid(), _user(), datetime.now(UTC).isoformat(timespec="seconds")
            )
            # No fsync: the holder's name matters only while the holder lives (a crashed process's
            # writes are still in the page cache), and a machine crash drops the lock anyway.
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me.__dict__).encode("utf-8"), 0)
        except BaseException:
            os.close(fd)  # closing the file drops the lock too
            raise
        self._fd = fd

    def release(self) -> None:
        """Empty the lock file (it names nobody now) and let go; the file itself stays."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _is_at_path(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the file the name ``path`` leads to."""
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _holder_in(fd: int) -> LockHolder | None:
    content = b""
    while chunk := os.pread(fd, 4096, len(content)):
        content += chunk
    return _parse_holder(content)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
