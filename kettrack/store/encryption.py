"""Encryption at rest with SQLCipher: open an encrypted database with its passphrase, convert a plain
database to an encrypted one and back (verified table for table, row for row, before the swap), and
change the passphrase. An encrypted file reads as random bytes to anything without the passphrase,
including plain sqlite3; its backups are encrypted with the same passphrase.

Key derivation costs a noticeable moment per connection (PBKDF2, by design): the engine keeps its
connections, so that cost is paid once, not per query.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kettrack.core.problems import InvalidInput

SQLITE_HEADER = b"SQLite format 3\x00"
PASSPHRASE_VARIABLE = "KETTRACK_PASSPHRASE"
MIN_PASSPHRASE = 8
SERVER_SIDE = "a shared PostgreSQL database is encrypted by its server (disk or TLS), not by kettrack"


class WrongPassphrase(InvalidInput):
    def __init__(self, path: Path) -> None:
        super().__init__([_problem(f"the passphrase is not right for {path.name} (or the file is damaged)")])


def _problem(message: str) -> Any:
    from kettrack.core.problems import Problem

    return Problem("passphrase", message)


def is_plain_sqlite(path: Path) -> bool:
    """Whether the file starts like a plain SQLite database (an empty or new file counts as plain)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        return True
    return not head or head == SQLITE_HEADER


def looks_encrypted(path: Path) -> bool:
    """Whether the file could be a SQLCipher database: not plain SQLite, yet whole pages of random-looking
    bytes (a text file or a truncated copy is neither, and gets "not a database" without a prompt)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return size >= 1024 and size % 512 == 0 and not is_plain_sqlite(path)


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput([_problem(f"use at least {MIN_PASSPHRASE} characters")])
    if any(ord(c) < 32 for c in passphrase):
        raise InvalidInput([_problem("no control characters, please")])
    return passphrase


def _quote(passphrase: str) -> str:
    return "'" + passphrase.replace("'", "''") + "'"


def connect(path: Path, passphrase: str, *, read_only: bool = False, live: bool = False) -> Any:
    """A SQLCipher connection to ``path`` unlocked with ``passphrase`` (WrongPassphrase if not).

    Read-only, a file at rest is opened as immutable, so nothing is made beside it
    (``location.read_only_uri``); ``live`` when it may be written meanwhile (a backup of the open
    database), so the reads go through SQLite's locks instead."""
    import sqlcipher3

    from kettrack.store.location import read_only_uri

    uri = path.absolute().as_uri()
    if read_only:
        target = uri + "?mode=ro" if live else read_only_uri(path)
    else:
        # Never "create": every file kettrack makes is created owner-only before SQLCipher opens it
        # (an empty file is a new database), so a mistyped path cannot become a database by accident.
        target = uri + "?mode=rw"
    connection = sqlcipher3.connect(target, uri=True, check_same_thread=False)
    # SQLCipher would print its own lines on stderr for a wrong key; kettrack says it in one.
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.execute(f"PRAGMA key = {_quote(passphrase)}")
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        connection.close()
        raise WrongPassphrase(path) from exc
    return connection


def _fingerprint(connection: Any) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows in rowid order: equal means the same data."""
    from hashlib import sha256

    tables = [
        r[0]
        for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    found = {}
    for table in sorted(tables):
        digest = sha256()
        count = 0
        for row in connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
            digest.update(repr(row).encode("utf-8"))
            count += 1
        found[table] = (count, digest.hexdigest())
    return found


@contextmanager
def _writer(path: Path, *, held: bool) -> Iterator[None]:
    """The writer lock for a conversion, unless this process already holds it (an open window)."""
    if held:
        yield
        return
    from kettrack.store.lock import DatabaseLocked, WriterLock

    lock = WriterLock(path)
    try:
        lock.acquire()
    except DatabaseLocked as exc:
        raise InvalidInput([_problem(f"{exc}: close it first")]) from exc
    try:
        yield
    finally:
        lock.release()


def _convert(path: Path, source_key: str | None, target_key: str | None, *, held: bool) -> None:
    """Write ``path`` again under another key ('' = plain), verify, keep the original aside, swap."""
    from secrets import token_hex

    import sqlcipher3

    from kettrack.store.location import backup_dir_for, make_private_dir

    temp = path.with_name(f".{path.name}.{token_hex(4)}.converting")
    with _writer(path, held=held):
        # The copy holds every record in the clear when decrypting: owner-only from its first byte, made
        # here (O_EXCL) before SQLCipher attaches it, which takes an empty file as a new database. A run
        # killed midway leaves it behind; the next open removes it (kettrack.store.leftovers).
        os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600))
        try:
            source = (
                connect(path, source_key)
                if source_key
                else sqlcipher3.connect(str(path), check_same_thread=False)
            )
            try:
                source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                before = _fingerprint(source)
                source.execute(f"ATTACH DATABASE ? AS converted KEY {_quote(target_key or '')}", (str(temp),))
                source.execute("SELECT sqlcipher_export('converted')")
                version = source.execute("PRAGMA user_version").fetchone()[0]
                source.execute(f"PRAGMA converted.user_version = {int(version)}")
                source.execute("DETACH DATABASE converted")
            finally:
                source.close()
            check = connect(temp, target_key) if target_key else sqlite3.connect(temp)
            try:
                after = _fingerprint(check)
                problems = [r[0] for r in check.execute("PRAGMA integrity_check")]
            finally:
                check.close()
            if after != before or problems != ["ok"]:
                raise InvalidInput(
                    [_problem("the converted copy did not match the original; nothing was changed")]
                )
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            # The original stays as it was, beside the backups, until the person deletes it.
            from datetime import UTC, datetime

            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            what = "encryption" if target_key else "decryption"
            folder = make_private_dir(backup_dir_for(path))
            os.link(path, folder / f"{path.stem}-before-{what}-{stamp}.sqlite3.orig")
            for sidecar in ("-wal", "-shm"):
                path.with_name(path.name + sidecar).unlink(missing_ok=True)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)


def _existing(path: Path) -> None:
    """Refuse a path with no database: converting "nothing" would leave a new, empty database there."""
    from kettrack.store.location import DatabaseMissing

    if not path.is_file():
        raise DatabaseMissing(path)
    if path.stat().st_size == 0:
        raise InvalidInput([_problem(f"{path.name} is empty (0 bytes): it is not a kettrack database")])


def encrypt(path: Path, passphrase: str, *, held: bool = False) -> None:
    _existing(path)
    if not is_plain_sqlite(path):
        raise InvalidInput([_problem(f"{path.name} is already encrypted (or not a database)")])
    _convert(path, None, check_passphrase(passphrase), held=held)


def decrypt(path: Path, passphrase: str, *, held: bool = False) -> None:
    _existing(path)
    if is_plain_sqlite(path):
        raise InvalidInput([_problem(f"{path.name} is not encrypted")])
    _convert(path, passphrase, None, held=held)


def change_passphrase(path: Path, old: str, new: str, *, held: bool = False) -> None:
    _existing(path)
    check_passphrase(new)
    with _writer(path, held=held):
        connection = connect(path, old)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute(f"PRAGMA rekey = {_quote(new)}")
        finally:
            connection.close()
        connect(path, new).close()


def rekey(path: Path, old: str | None, new: str | None, *, held: bool = False) -> str:
    """Encrypt (no old key), decrypt (no new key) or change the passphrase; says which it did."""
    if old is None and new is None:
        raise InvalidInput([_problem(f"{path.name} is not encrypted")])
    if old is None:
        assert new is not None
        encrypt(path, new, held=held)
        return "encrypted"
    if new is None:
        decrypt(path, old, held=held)
        return "decrypted"
    change_passphrase(path, old, new, held=held)
    return "passphrase changed"
