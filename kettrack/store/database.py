"""Opening a kettrack database: resolve the location, guard the schema, migrate, hand out sessions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kettrack.core.rows import DatabaseInfo
from kettrack.store import migrate
from kettrack.store.engine import make_engine
from kettrack.store.location import DatabaseTarget, resolve

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened (server down, wrong password, unreadable file)."""


class Database:
    """An open, migrated database. Create with ``Database.open``; share one per process."""

    def __init__(self, target: DatabaseTarget, engine: Engine, revision: str, backup: Path | None) -> None:
        self.target = target
        self.engine = engine
        self.revision = revision
        self.pre_upgrade_backup = backup
        self.opened_at = datetime.now(UTC)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, location: str | Path | None = None, *, upgrade: bool = True) -> Database:
        target = resolve(location)
        if target.sqlite_path is not None:
            # Before any engine touches the file: a newer or foreign file must stay byte-for-byte as is.
            state = migrate.peek_sqlite(target.sqlite_path)
            migrate.refuse_if_newer(state, str(target.sqlite_path))
        engine = make_engine(target)
        try:
            if target.sqlite_path is None:
                state = migrate.inspect_target(engine, target)
                migrate.refuse_if_newer(state, target.display)
            backup = migrate.upgrade(engine, target, state) if upgrade else None
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseUnavailable(f"cannot open {target.display}: {exc.orig}") from exc
        except BaseException:
            engine.dispose()
            raise
        if backup is not None:
            log.info("pre-upgrade backup written to %s", backup)
        # Without the upgrade the database stays at the revision it had ("" for a new, empty one).
        revision = migrate.head_revision() if upgrade else (state.revision or "")
        return cls(target, engine, revision, backup)

    @property
    def is_sqlite(self) -> bool:
        return self.target.is_sqlite

    def info(self) -> DatabaseInfo:
        return DatabaseInfo(self.target.display, not self.is_sqlite, self.revision, self.opened_at)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back everything if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end, so it can never write by accident)."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def close(self) -> None:
        self.engine.dispose()
