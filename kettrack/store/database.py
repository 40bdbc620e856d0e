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
from kettrack.store.engine import create_database_file, make_engine
from kettrack.store.location import DatabaseMissing, DatabaseTarget, make_private_dir, resolve
from kettrack.store.lock import WriterLock

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened (server down, wrong password, unreadable file)."""


class DatabaseDamaged(migrate.NotADatabase):
    """``quick_check`` found damage on opening; the file is left as it is.

    A kind of NotADatabase: whoever refuses a file that is not a kettrack database refuses this one too.
    """

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message, path)
        self.path: Path = path


# One writer per SQLite file across processes (kettrack.store.lock), re-entrant within this process:
# the window, a worker and a command may each open the same file.
_HELD: dict[Path, tuple[WriterLock, int]] = {}
_HELD_GUARD = threading.Lock()
# Threads of this process share the writer lock, so two may find the same new path at once.
_CREATING = threading.Lock()


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
            _sweep(path)
        _HELD[path] = (lock, count + 1)


def _sweep(path: Path) -> None:
    """Remove what killed runs left beside the database; only now, holding the lock, is none running."""
    from kettrack.store import leftovers

    try:
        leftovers.sweep(path)
    except OSError as exc:  # a folder that cannot be listed: the open itself goes on
        log.warning("leftovers of interrupted runs were not looked for: %s", exc.strerror)


def _refusal(message: str, path: Path, passphrase: str | None) -> str:
    """``message`` with what to do: the file was not changed, and the newest backup that passes its
    check (when there is one) is the way back."""
    from kettrack.store.backup import newest_good_backup

    try:
        good = newest_good_backup(path, passphrase)
    except Exception:  # an unreadable backups folder must not hide the refusal itself
        good = None
    offer = f"; the newest good backup is {good}: kettrack restore '{good}' --yes" if good else ""
    return f"{message}; it was not changed{offer}"


def _inspect(path: Path, passphrase: str | None) -> migrate.SchemaState:
    """The schema state of an existing SQLite file, read-only and creating nothing beside it, after
    SQLite's quick_check: a file that is not a sound kettrack database is refused untouched."""
    try:
        state = migrate.peek_sqlite(path, passphrase, check=True)
    except migrate.NotADatabase as exc:
        if exc.path is None:
            raise
        raise migrate.NotADatabase(_refusal(str(exc), path, passphrase), path) from exc
    if state.damage:
        raise DatabaseDamaged(_refusal(f"{path} is damaged ({state.damage[0]})", path, passphrase), path)
    migrate.refuse_if_newer(state, str(path))
    return state


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
        create: bool = True,
    ) -> Database:
        """Open (and upgrade) a database; ``read_only`` opens a SQLite file that another kettrack holds,
        or that sits in a read-only folder, for reading only, without the writer lock.

        Only a path where nothing exists becomes a new database, and only with ``create`` (commands that
        only read pass False: DatabaseMissing, and no file or folder is made). An existing file that is
        not a sound kettrack database (empty, foreign, damaged, newer) is refused before anything is
        written or created beside it."""
        target = resolve(location)
        path = target.sqlite_path
        if path is None:
            return cls._open(target, None, upgrade=upgrade, passphrase=passphrase)
        new = not os.path.lexists(path)
        if not new and not path.exists():
            raise DatabaseUnavailable(f"{path} is a link to {os.readlink(path)}, which does not exist")
        if new:
            if read_only or not create:
                raise DatabaseMissing(path)
            state = migrate.SchemaState(None, False)
        else:
            from kettrack.store.encryption import is_plain_sqlite

            if passphrase is not None and is_plain_sqlite(path) and path.stat().st_size:
                passphrase = None  # a plain file needs no key (KETTRACK_PASSPHRASE set for another)
            state = _inspect(path, passphrase)
            if not read_only and not _writable(path):
                read_only = True  # a read-only folder or medium: reading is all that can be done
            if read_only:
                if state.revision != migrate.head_revision():
                    raise DatabaseUnavailable(
                        f"{path} must be upgraded before it can be read; open it normally"
                    )
                return cls._read_only(target, path, passphrase)
        _hold(path)
        try:
            if new:
                state = cls._create(path, passphrase)
            return cls._open(target, state, upgrade=upgrade, passphrase=passphrase)
        except BaseException:
            _let_go(path)
            raise

    @staticmethod
    def _create(path: Path, passphrase: str | None) -> migrate.SchemaState:
        """Make the new database file (holding the writer lock); if another thread or program made one
        there meanwhile, that file is inspected like any existing one instead."""
        with _CREATING:
            if not os.path.lexists(path) and create_database_file(path, passphrase):
                return migrate.SchemaState(None, False)
        return _inspect(path, passphrase)

    @classmethod
    def _read_only(cls, target: DatabaseTarget, path: Path, passphrase: str | None) -> Database:
        engine = make_engine(target, read_only=True, passphrase=passphrase)
        db = cls(target, engine, migrate.head_revision(), None, read_only=True)
        db.passphrase = passphrase
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
        return db

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
        # The caller records the change in the audit log (kettrack.services.encryption), still holding
        # this process's writer lock: the database layer writes no audit entries of its own.
        return done

    def close(self) -> None:
        self.engine.dispose()
        if self._locked and self.target.sqlite_path is not None:
            self._locked = False
            _let_go(self.target.sqlite_path)
