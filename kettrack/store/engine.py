"""Engines with the settings that keep data safe.

SQLite: foreign keys on (set per connection, outside any transaction, or SQLite ignores it), WAL,
synchronous=FULL and a busy timeout. Python's sqlite3 driver opens transactions on its own and
breaks SAVEPOINTs; we switch that off and emit BEGIN ourselves (the recipe in SQLAlchemy's SQLite
dialect docs), so a failed migration rolls back as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

from kettrack.store.location import DatabaseTarget, make_private_dir

BUSY_TIMEOUT_MS = 5000


def _ensure_private_file(path: Path) -> None:
    """Create the database file owner-only before SQLite does (SQLite copies its mode to -wal/-shm)."""
    make_private_dir(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _sqlite_engine(path: Path, *, read_only: bool = False) -> Engine:
    if not read_only:
        _ensure_private_file(path)
    url = f"sqlite:///file:{path}?mode=ro&uri=true" if read_only else f"sqlite:///{path}"
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _postgres_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def make_engine(target: DatabaseTarget, *, read_only: bool = False) -> Engine:
    if target.sqlite_path is not None:
        return _sqlite_engine(target.sqlite_path, read_only=read_only)
    return _postgres_engine(target.url)
