"""Opening a kettrack database: resolve the location, guard the schema, migrate, hand out sessions."""

from __future__ import annotations

import logging
import os
import threading
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
from kettrack.store.location import DatabaseTarget, make_private_dir, resolve
from kettrack.store.lock import WriterLock

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened (server down, wrong password, unreadable file)."""


class DatabaseDamaged(RuntimeError):
    """``quick_check`` found damage on opening; the file is left as it is."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


# One writer per SQLite file across processes (kettrack.store.lock), re-entrant within this process:
# the window, a worker and a command may each open the same file.
_HELD: dict[Path, tuple[WriterLock, int]] = {}
_HELD_GUARD = threading.Lock()


def _writable(path: Path) -> bool:
    """Whether kettrack could write the file and the files SQLite keeps beside it (WAL, lock)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _hold(path: Path) -> None:
    with _HELD_GUARD:
        lock, count = _HELD.get(path, (None, 0))
        if lock is None:
            make_private_dir(path.parent)  # a new database's folder may not exist yet
            lock = WriterLock(path)
            lock.acquire()  # DatabaseLocked names the other kettrack when it holds the file
        _HELD[path] = (lock, count + 1)


def _let_go(path: Path) -> None:
    with _HELD_GUARD:
        lock, count = _HELD.get(path, (None, 0))
        if lock is None:
            return
        if count <= 1:
            del _HELD[path]
            lock.release()
        else:
            _HELD[path] = (lock, count - 1)


class Database:
    """An open, migrated database. Create with ``Database.open``; share one per process."""

    def __init__(
        self,
        target: DatabaseTarget,
        engine: Engine,
        revision: str,
        backup: Path | None,
        *,
        read_only: bool = False,
        locked: bool = False,
    ) -> None:
        self.target = target
        self.read_only = read_only
        # Kept for the backups of an encrypted database (they are encrypted with it); never logged.
        self.passphrase: str | None = None
        self._locked = locked
        self.engine = engine
        self.revision = revision
        self.pre_upgrade_backup = backup
        self.opened_at = datetime.now(UTC)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls,
        location: str | Path | None = None,
        *,
        upgrade: bool = True,
        read_only: bool = False,
        passphrase: str | None = None,
    ) -> Database:
        """Open (and upgrade) a database; ``read_only`` opens a SQLite file that another kettrack
        holds, or that sits in a read-only folder, for reading only, without the writer lock."""
        target = resolve(location)
        path = target.sqlite_path
        if path is not None:
            # Before any engine touches the file: a newer or foreign file must stay byte-for-byte as is.
            from kettrack.store.encryption import is_plain_sqlite

            if passphrase is not None and is_plain_sqlite(path) and path.exists() and path.stat().st_size:
                passphrase = None  # a plain file needs no key (KETTRACK_PASSPHRASE set for another)
            state = migrate.peek_sqlite(path, passphrase)
            migrate.refuse_if_newer(state, str(path))
            if not read_only and path.exists() and not _writable(path):
                read_only = True  # a read-only folder or medium: reading is all that can be done
            if read_only:
                if state.revision != migrate.head_revision():
                    raise DatabaseUnavailable(
                        f"{path} must be upgraded before it can be read; open it normally"
                    )
                return cls._read_only(target, path, passphrase)
            _hold(path)
        try:
            return cls._open(
                target, state if path is not None else None, upgrade=upgrade, passphrase=passphrase
            )
        except BaseException:
            if path is not None:
                _let_go(path)
            raise

    @classmethod
    def _read_only(cls, target: DatabaseTarget, path: Path, passphrase: str | None) -> Database:
        engine = make_engine(target, read_only=True, passphrase=passphrase)
        db = cls(target, engine, migrate.head_revision(), None, read_only=True)
        db.passphrase = passphrase
        db._quick_check()
        return db

    @classmethod
    def _open(
        cls,
        target: DatabaseTarget,
        state: migrate.SchemaState | None,
        *,
        upgrade: bool,
        passphrase: str | None = None,
    ) -> Database:
        engine = make_engine(target, passphrase=passphrase)
        try:
            if target.sqlite_path is None:
                state = migrate.inspect_target(engine, target)
                migrate.refuse_if_newer(state, target.display)
            assert state is not None
            backup = migrate.upgrade(engine, target, state, passphrase) if upgrade else None
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseUnavailable(f"cannot open {target.display}: {exc.orig}") from exc
        except BaseException:
            engine.dispose()
            raise
        if backup is not None:
            log.info("pre-upgrade backup written to %s", backup)
        # Without the upgrade the database stays at the revision it had ("" for a new, empty one).
        assert state is not None
        revision = migrate.head_revision() if upgrade else (state.revision or "")
        db = cls(target, engine, revision, backup, locked=target.sqlite_path is not None)
        db.passphrase = passphrase
        try:
            db._quick_check()
        except BaseException:
            engine.dispose()
            raise
        return db

    def _quick_check(self) -> None:
        """SQLite's quick_check on every open: damage is said at once, before anything is written."""
        path = self.target.sqlite_path
        if path is None:
            return
        with self.engine.connect() as connection:
            rows = [str(r[0]) for r in connection.exec_driver_sql("PRAGMA quick_check")]
        if rows != ["ok"]:
            raise DatabaseDamaged(
                f"{path} is damaged ({rows[0]}); it was not changed: run kettrack check, or restore a backup",
                path,
            )

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

    @property
    def encrypted(self) -> bool:
        return self.passphrase is not None

    def change_key(self, new: str | None) -> str:
        """Encrypt (``new`` given, none before), decrypt (``new`` None) or change the passphrase of
        this open SQLite file, and go on with the new key; says what it did. The conversion is verified
        row for row before the swap; this process keeps the writer lock throughout, and its pooled
        connections are closed first and opened again under the new key."""
        from kettrack.store import encryption

        path = self.target.sqlite_path
        if path is None:
            raise DatabaseUnavailable(encryption.SERVER_SIDE)
        if self.read_only:
            raise DatabaseUnavailable(f"{path} is open read-only; it cannot be converted now")
        with _HELD_GUARD:
            sharers = _HELD.get(path, (None, 0))[1]
        if sharers > 1:
            raise DatabaseUnavailable(
                f"{path} is open more than once in this kettrack; close the others first"
            )
        old = self.passphrase
        self.engine.dispose()
        key = old
        try:
            done = encryption.rekey(path, old, new, held=self._locked)
            key = new
        finally:
            self.engine = make_engine(self.target, passphrase=key)
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
            self.passphrase = key
        from kettrack.store.audit import AuditLog

        AuditLog(self).record_now("encryption", details=done)
        return done

    def close(self) -> None:
        self.engine.dispose()
        if self._locked and self.target.sqlite_path is not None:
            self._locked = False
            _let_go(self.target.sqlite_path)
