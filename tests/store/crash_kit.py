"""Tools for the command crash test (``test_crash_commands``): run kettrack as a real process, watch
the files it makes while it runs, kill it with SIGKILL at a chosen moment, and read what a database
holds (plain SQLite or SQLCipher) through the drivers alone, so the judge shares no code with what it
judges."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Names of the temporary files kettrack writes before a rename (backup ``.partial``, restore
# ``.restoring``, encryption ``.converting``, new database ``.creating``, ``write_private``'s ``.tmp``),
# with the journal SQLite may keep beside one; and the staging folders of a restore and of an
# output check. Any of them still there after the next open is a leftover of a killed run.
_TEMP_NAME = re.compile(r"\.(partial|restoring|converting|creating|tmp)(-journal|-wal|-shm)?$")
_TEMP_PREFIXES = (".documents-", ".kettrack-probe-")
# Folders kettrack makes for health data; they must be owner-only like the files in them.
_PRIVATE_FOLDER = re.compile(r"(-backups|-documents|^\.documents-.*|^audit-keys|^audit-anchors)$")

WATCH_INTERVAL = 0.003  # seconds between looks at the files while the command runs


def is_temporary(name: str) -> bool:
    return bool(_TEMP_NAME.search(name)) or name.startswith(_TEMP_PREFIXES)


def command(db: Path, *args: str) -> list[str]:
    """``python -m kettrack --db DB ARGS``: the interpreter running the tests, so a fresh venv works."""
    return [sys.executable, "-m", "kettrack", "--db", str(db), *args]


# ``python -c`` code that runs the kettrack command (``main`` of kettrack.launch, as ``python -m
# kettrack`` does) with the file system's renames and links counted: just before and just after each
# call is a step, and at step $KETTRACK_CRASH_AT the process kills itself with SIGKILL. With 0 it only
# counts, and writes what each step is to $KETTRACK_CRASH_STEPS when it ends. Only the process under
# test is changed, and only in when it dies: the code it runs is kettrack's own.
_KILL_AT_STEP = """
import os, signal, sys
_at, _steps = int(os.environ["KETTRACK_CRASH_AT"]), []
def _counted(name, real):
    def call(*args, **kwargs):
        what = " -> ".join(os.path.basename(os.fspath(a)) for a in args[:2])
        _steps.append(f"before {name} {what}")
        if len(_steps) == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        _steps.append(f"after {name} {what}")
        if len(_steps) == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return call
for _name in ("replace", "rename", "link"):
    setattr(os, _name, _counted(_name, getattr(os, _name)))
from kettrack.launch import main
_code = main(sys.argv[1:])
if not _at:
    with open(os.environ["KETTRACK_CRASH_STEPS"], "w", encoding="utf-8") as _out:
        _out.write("\\n".join(_steps))
sys.exit(_code)
"""


def command_with_steps(db: Path, *args: str) -> list[str]:
    """``command``, killed at the file-system step $KETTRACK_CRASH_AT (see ``_KILL_AT_STEP``)."""
    return [sys.executable, "-c", _KILL_AT_STEP, "--db", str(db), *args]


def environment(home: Path, cache: Path, **extra: str) -> dict[str, str]:
    """The process environment: this one without any KETTRACK_ setting, with private folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETTRACK_")}
    env.update(
        KETTRACK_DATA_DIR=str(home / "data"),
        KETTRACK_CACHE_DIR=str(cache),
        KETTRACK_CONFIG_DIR=str(home / "config"),
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def run(argv: Sequence[str], env: Mapping[str, str], timeout: float = 180) -> str:
    """Run to the end; its stdout. Fails the test, quoting stderr, when it does not exit 0."""
    done = subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(argv[3:])} exited {done.returncode}: {done.stderr.strip()}"
    return done.stdout


# --- running and killing -------------------------------------------------------------------------


@dataclass
class Observed:
    """What was seen of one run: how it ended, the temporary files it made, modes wider than 0600."""

    delay: float
    elapsed: float = 0.0
    finished: bool = False  # it ended on its own before the kill was due
    returncode: int | None = None
    stderr: str = ""
    locked: bool = False  # its writer lock (the lock file naming its process) was seen
    temporary: set[str] = field(default_factory=set)
    at_kill: set[str] = field(default_factory=set)  # temporary files there right after the kill
    wide: set[str] = field(default_factory=set)

    @property
    def writing(self) -> bool:
        """Killed after it began writing: it held the database's writer lock or had a temp file."""
        return not self.finished and (self.locked or bool(self.temporary))


def _look(root: Path, seen: Observed, own: frozenset[Path]) -> None:
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        for name in folders:
            path = here / name
            if _PRIVATE_FOLDER.search(name) and path not in own:
                _check_mode(path, seen, root)
            if is_temporary(name):
                seen.temporary.add(str(path.relative_to(root)))
        for name in files:
            path = here / name
            _check_mode(path, seen, root)
            if is_temporary(name):
                seen.temporary.add(str(path.relative_to(root)))


def _check_mode(path: Path, seen: Observed, root: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:  # renamed or removed between the listing and the look
        return
    if stat.S_ISLNK(mode):
        return
    if stat.S_IMODE(mode) & 0o077:
        seen.wide.add(f"{path.relative_to(root)} {stat.S_IMODE(mode):04o}")


def _holds_lock(lock_file: Path, pid: int) -> bool:
    """Whether the writer lock file names process ``pid`` as its holder (kettrack.store.lock)."""
    try:
        return re.search(rf'"pid": {pid}\b'.encode(), lock_file.read_bytes()) is not None
    except OSError:
        return False


def run_and_kill(
    argv: Sequence[str],
    env: Mapping[str, str],
    root: Path,
    lock_file: Path,
    delay: float,
    own: Iterable[Path] = (),
) -> Observed:
    """Start ``argv``, watch ``root`` until ``delay`` seconds have passed, then SIGKILL it (unless it
    ended first). Every look checks the modes of all files (and kettrack's folders) under ``root``
    and notes temporary files; one last look is taken right after the kill, before anything reopens."""
    seen = Observed(delay)
    mine = frozenset(own)
    started = time.monotonic()
    process = subprocess.Popen(
        list(argv), env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = started + delay
    try:
        while True:
            _look(root, seen, mine)
            seen.locked = seen.locked or _holds_lock(lock_file, process.pid)
            if process.poll() is not None:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(min(WATCH_INTERVAL, left))
        _, seen.stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    seen.elapsed = time.monotonic() - started
    seen.returncode = process.returncode
    # Killed (by the kill above, or by itself at a chosen step), or it had ended when the kill came.
    seen.finished = process.returncode != -signal.SIGKILL
    _look(root, seen, mine)
    seen.at_kill = set(leftovers(root))
    return seen


# --- reading a database --------------------------------------------------------------------------

SQLITE_HEADER = b"SQLite format 3\x00"


def is_plain(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == SQLITE_HEADER


def connect(path: Path, passphrase: str | None) -> Any:
    """A read-write connection (so a -wal beside the file is read, as kettrack reads it)."""
    if passphrase is None:
        return sqlite3.connect(path)
    import sqlcipher3

    connection = sqlcipher3.connect(str(path))
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.execute("PRAGMA key = '" + passphrase.replace("'", "''") + "'")
    return connection


def which_key(path: Path, keys: Sequence[str | None]) -> str | None:
    """The passphrase (None: plain) the file opens with, of ``keys``; AssertionError if none does."""
    if is_plain(path):
        assert None in keys, f"{path.name} is plain SQLite; it should be encrypted now"
        return None
    for key in keys:
        if key is None:
            continue
        connection = connect(path, key)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return key
        except Exception:  # sqlcipher3.DatabaseError: not this key
            continue
        finally:
            connection.close()
    raise AssertionError(f"{path.name} opens with none of the passphrases it may have")


@dataclass(frozen=True)
class Contents:
    """Every row of every table, and what the database's own checks say."""

    rows: Mapping[str, frozenset[tuple[Any, ...]]]
    integrity: tuple[str, ...]
    foreign_keys: tuple[tuple[Any, ...], ...]
    bad_documents: tuple[str, ...]  # documents whose bytes do not hash to their key
    dangling: frozenset[tuple[str, Any]]  # (table, id) of records naming a document that is absent

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ()))

    def column(self, table: str, index: int) -> set[Any]:
        return {row[index] for row in self.rows.get(table, ())}


# The records that name a document by its SHA-256 (their id first, the hash second).
_DOCUMENT_OWNERS = {
    "superbills": "SELECT id, sha256 FROM superbills",
    "appeal_letters": "SELECT id, sha256 FROM appeal_letters",
    "claim_attachments": "SELECT id, sha256 FROM claim_attachments",
}


def read_contents(path: Path, passphrase: str | None) -> Contents:
    connection = connect(path, passphrase)
    try:
        integrity = tuple(str(r[0]) for r in connection.execute("PRAGMA integrity_check"))
        foreign_keys = tuple(tuple(r) for r in connection.execute("PRAGMA foreign_key_check"))
        tables = [
            str(r[0])
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows: dict[str, frozenset[tuple[Any, ...]]] = {}
        bad: list[str] = []
        for table in tables:
            found = []
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                if table == "documents":
                    # The key, type and size, and whether the bytes still hash to the key; not the
                    # time it was stored (an adopted document gets the time of the open).
                    sha, media_type, size, content = row[0], row[1], row[2], bytes(row[3])
                    if hashlib.sha256(content).hexdigest() != sha or len(content) != size:
                        bad.append(str(sha))
                    found.append((sha, media_type, size))
                else:
                    found.append(tuple(_plain(v) for v in row))
            rows[table] = frozenset(found)
        documents = {row[0] for row in rows.get("documents", ())}
        dangling = set()
        for table, query in _DOCUMENT_OWNERS.items():
            if table in rows:
                dangling |= {(table, rid) for rid, sha in connection.execute(query) if sha not in documents}
    finally:
        connection.close()
    return Contents(rows, integrity, foreign_keys, tuple(bad), frozenset(dangling))


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    return value


def lost(before: Contents, after: Contents, ignore: Iterable[str] = ()) -> dict[str, int]:
    """Per table, how many rows of ``before`` are missing or changed in ``after``."""
    skip = set(ignore)
    missing = {
        table: len(rows - after.rows.get(table, frozenset()))
        for table, rows in before.rows.items()
        if table not in skip
    }
    return {table: n for table, n in missing.items() if n}


def added(before: Contents, after: Contents) -> dict[str, int]:
    """Per table, how many rows ``after`` has that ``before`` has not."""
    new = {table: len(rows - before.rows.get(table, frozenset())) for table, rows in after.rows.items()}
    return {table: n for table, n in new.items() if n}


def leftovers(root: Path) -> list[str]:
    """Temporary files and folders of kettrack's anywhere under ``root``."""
    found = []
    for folder, folders, files in os.walk(root):
        for name in (*folders, *files):
            if is_temporary(name):
                found.append(str((Path(folder) / name).relative_to(root)))
    return sorted(found)
