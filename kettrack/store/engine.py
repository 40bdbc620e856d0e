"""Engines with the settings that keep data safe.

SQLite: foreign keys on (set per connection, outside any transaction, or SQLite ignores it), WAL,
synchronous=FULL and a busy timeout. Python's sqlite3 driver opens transactions on its own and
breaks SAVEPOINTs; we switch that off and emit BEGIN ourselves (the recipe in SQLAlchemy's SQLite
dialect docs), so a failed migration rolls back as a whole.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import QueuePool

from kettrack.store.location import APPLICATION_ID, DatabaseTarget, at_rest, make_private_dir

BUSY_TIMEOUT_MS = 5000
# Set in Connection.info for a connection whose next transaction must hold the write lock from the start.
BEGIN_IMMEDIATE = "kettrack_begin_immediate"


def _ensure_private_file(path: Path) -> None:
    """Create the database file owner-only before SQLite does (SQLite copies its mode to -wal/-shm)."""
    make_private_dir(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def create_database_file(path: Path, passphrase: str | None = None) -> bool:
    """Make a new, empty kettrack database at ``path`` (its folder too); False if a file got there first.

    The file is made under a temporary name (owner-only from the first byte, in WAL mode, marked with
    kettrack's application id), then linked into place, which never replaces a file: no program ever
    sees a half-made, 0-byte file at ``path``, and an existing 0-byte file there stays a refusal.
    Call it holding the writer lock; a run killed midway leaves only the temporary file, which the next
    open removes (kettrack.store.leftovers).
    """
    from secrets import token_hex

    make_private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{token_hex(4)}.creating")
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600))
    try:
        if passphrase is None:
            connection = sqlite3.connect(temp)
        else:
            from kettrack.store.encryption import connect

            connection = connect(temp, passphrase)
        try:
            # Each pragma writes the header page, so the file is a database, not an empty one.
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError:
            # A file system without hard links: the writer lock keeps other kettracks out meanwhile.
            if os.path.lexists(path):
                return False
            os.replace(temp, path)
        _sync_folder(path.parent)
        return True
    finally:
        temp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a new name in ``folder`` durable (where the platform can)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _use_wal(cursor: Any) -> None:
    """Switch a database to WAL (a setting stored in the file, so usually already done).

    The switch needs a lock SQLite's busy handler does not wait for: two programs opening a new file
    together would see "database is locked". Retry within the busy timeout instead.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_engine(path: Path, *, read_only: bool = False, passphrase: str | None = None) -> Engine:
    if not read_only:
        _ensure_private_file(path)
    if passphrase is not None:
        from kettrack.store.encryption import connect

        # SQLCipher through the creator: the dialect stays SQLite's, the connection is keyed. A queue
        # pool on purpose ("sqlite://" alone would mean one connection per thread): each new
        # connection pays the key derivation (~0.2 s, by design), so worker threads share a few.
        engine = create_engine(
            "sqlite://",
            creator=lambda: connect(path, passphrase, read_only=read_only),
            poolclass=QueuePool,
            pool_size=5,
        )
        _configure_sqlite(engine, read_only=read_only)
        return engine
    # A URL object, never a formatted string: a "?" or "#" in a folder name would otherwise be read
    # as the start of the query and SQLite would open (and create) some other file.
    if read_only:
        query = {"mode": "ro", "uri": "true"}
        if at_rest(path) or not os.access(path.parent, os.W_OK):
            # At rest (no -wal beside it) mode=ro alone would still make -wal and -shm files beside it;
            # on a read-only medium SQLite cannot make them, and nothing can change the file there
            # either. Either way it may be read as immutable (see location.read_only_uri).
            query["immutable"] = "1"
        url = URL.create("sqlite", database=path.absolute().as_uri(), query=query)
    else:
        url = URL.create("sqlite", database=str(path))
    engine = create_engine(url, connect_args={"check_same_thread": False})
    _configure_sqlite(engine, read_only=read_only)
    return engine


def _configure_sqlite(engine: Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
        # SQLite's lower() folds ASCII only, so ILIKE (lower(x) LIKE lower(y)) would miss "Åsa" for
        # "åsa" where PostgreSQL finds it; Python's lower() folds every script.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front (waiting out busy_timeout); a deferred BEGIN that reads
        # first cannot later write if another connection committed meanwhile ("database is locked").
        immediate = connection.info.get(BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def make_engine(target: DatabaseTarget, *, read_only: bool = False, passphrase: str | None = None) -> Engine:
    if target.sqlite_path is not None:
        return _sqlite_engine(target.sqlite_path, read_only=read_only, passphrase=passphrase)
    return _postgres_engine(target.url)
