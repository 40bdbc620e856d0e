"""Opening a database, for the window and the command line: where it is, how to open it (read-only,
with a passphrase, remembered in the keyring), and the failures a face has to explain in words.

The faces import this module, never ``kettrack.store``: these names are the store's own, gathered in
one place so that what a face may know about the database layer is listed here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from kettrack.core.problems import InvalidInput
from kettrack.store import keychain
from kettrack.store.backup import BackupFailed
from kettrack.store.database import Database, DatabaseDamaged, DatabaseUnavailable
from kettrack.store.encryption import (
    MIN_PASSPHRASE,
    PASSPHRASE_VARIABLE,
    SERVER_SIDE,
    WrongPassphrase,
    check_passphrase,
    is_plain_sqlite,
    looks_encrypted,
)
from kettrack.store.location import (
    BadDatabaseTarget,
    DatabaseMissing,
    DatabaseTarget,
    cache_dir,
    data_dir,
    network_warning,
    read_only_uri,
    resolve,
)
from kettrack.store.lock import DatabaseLocked
from kettrack.store.migrate import MigrationFailed, NotADatabase, SchemaTooNew

# Why a database could not be opened: each says so in words a person can act on (a face shows the
# message, never a traceback).
OPEN_ERRORS: tuple[type[BaseException], ...] = (
    WrongPassphrase,
    SchemaTooNew,
    NotADatabase,
    MigrationFailed,
    DatabaseUnavailable,
    BadDatabaseTarget,
    DatabaseMissing,
    DatabaseLocked,
    DatabaseDamaged,
)


def open_database(
    location: str | Path | None,
    *,
    read_only: bool = False,
    passphrase: str | None = None,
    create: bool = True,
) -> Database:
    """Open (and upgrade) a database; see ``kettrack.store.database.Database.open``."""
    return Database.open(location, read_only=read_only, passphrase=passphrase, create=create)


__all__ = [
    "MIN_PASSPHRASE",
    "OPEN_ERRORS",
    "PASSPHRASE_VARIABLE",
    "SERVER_SIDE",
    "BackupFailed",
    "BadDatabaseTarget",
    "Database",
    "DatabaseDamaged",
    "DatabaseLocked",
    "DatabaseMissing",
    "DatabaseTarget",
    "DatabaseUnavailable",
    "InvalidInput",
    "MigrationFailed",
    "NotADatabase",
    "SchemaTooNew",
    "WrongPassphrase",
    "cache_dir",
    "check_passphrase",
    "data_dir",
    "is_plain_sqlite",
    "keychain",
    "looks_encrypted",
    "network_warning",
    "open_database",
    "read_only_uri",
    "resolve",
]
