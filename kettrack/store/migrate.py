"""The migration runner: refuse a newer schema untouched, back up, then upgrade in one transaction.

Alembic's scripts live in the top-level ``alembic/`` folder, shipped inside the wheel as
``kettrack._alembic``. Downgrades are not offered to users: restoring the pre-upgrade backup is
the way back.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.store.backup import write_backup
from kettrack.store.location import APPLICATION_ID, DatabaseTarget

if TYPE_CHECKING:
    # Only for annotations: the schema peek runs at start-up, before SQLAlchemy is imported.
    from sqlalchemy import Connection, Engine

# Serialises migrations when several clinic desks open a shared database at once.
_PG_MIGRATION_LOCK = 0x6B657474  # "kett"
# Written into the header of every SQLite file kettrack creates (``PRAGMA application_id``): a file
# without tables is a new kettrack database only when it carries it; any other empty SQLite file was
# made by another program and is left alone.


class SchemaTooNew(RuntimeError):
    """The database was written by a newer kettrack; it is refused and left as it is."""


class NotADatabase(RuntimeError):
    """The file is not a SQLite database (or is damaged beyond opening); ``path`` names it."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class MigrationFailed(RuntimeError):
    """An upgrade step failed; the transaction was rolled back and the database is as it was."""


@dataclass(frozen=True)
class SchemaState:
    revision: str | None
    has_tables: bool
    # What ``PRAGMA quick_check`` found, when the peek was asked to check (empty: sound, or not checked).
    damage: tuple[str, ...] = ()


def script_location() -> Path:
    """alembic/ as shipped in the wheel (``kettrack/_alembic``), else the checkout's top-level folder."""
    package_root = Path(__file__).resolve().parents[1]
    packaged = package_root / "_alembic"
    if (packaged / "env.py").is_file():
        return packaged
    return package_root.parent / "alembic"


@cache
def _script_directory():  # type: ignore[no-untyped-def]
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(script_location()))


def _config(connection: Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@cache
def _revision_graph(location: Path) -> dict[str, tuple[str, ...]]:
    """Each revision with its parents, read from the scripts' text.

    Importing alembic and loading every script costs tens of milliseconds at each start-up; the
    ``revision``/``down_revision`` lines are all that is needed to know the head. A test checks this
    agrees with alembic's own ScriptDirectory.
    """
    graph: dict[str, tuple[str, ...]] = {}
    for script in sorted((location / "versions").glob("*.py")):
        fields = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        if "revision" not in fields:
            continue
        revision = ast.literal_eval(fields["revision"].strip())
        down = ast.literal_eval(fields.get("down_revision", "None").strip())
        parents = () if down is None else (down,) if isinstance(down, str) else tuple(down)
        graph[str(revision)] = tuple(str(p) for p in parents)
    return graph


def head_revision() -> str:
    graph = _revision_graph(script_location())
    referenced = {parent for parents in graph.values() for parent in parents}
    heads = sorted(set(graph) - referenced)
    if len(heads) != 1:
        raise RuntimeError(f"alembic/ must have exactly one head, found {heads or 'none'}")
    return heads[0]


def known_revisions() -> set[str]:
    return set(_revision_graph(script_location()))


def peek_sqlite(path: Path, passphrase: str | None = None, *, check: bool = False) -> SchemaState:
    """Read the schema revision without writing a byte or creating a file beside it; with ``check``,
    also run ``PRAGMA quick_check`` on the same connection (its findings in ``damage``).

    A path with no file is a new database. Anything else that is not a kettrack database raises
    NotADatabase naming it: an empty (0-byte) file, a file that is not SQLite, and a SQLite file without
    tables that kettrack did not make (``APPLICATION_ID``).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return SchemaState(None, False)
    if size == 0:
        raise NotADatabase(
            f"{path} is empty (0 bytes): it is not a kettrack database (a new one is made only where "
            "there is no file)",
            path,
        )
    with open(path, "rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        if passphrase is not None:
            return _peek_encrypted(path, passphrase, check=check)
        raise NotADatabase(
            f"{path} is not a kettrack database (not a SQLite file, damaged, or encrypted: an encrypted "
            "database opens with its passphrase, given in $KETTRACK_PASSPHRASE when no terminal can ask)",
            path,
        )
    from kettrack.store.location import read_only_uri

    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise NotADatabase(f"{path} cannot be read as a database: {exc}", path) from exc
    try:
        return _inspect_connection(connection, path, check, sqlite3.DatabaseError)
    finally:
        connection.close()


def _inspect_connection(connection: Any, path: Path, check: bool, errors: type[Exception]) -> SchemaState:
    """The schema state (and with ``check`` the quick_check findings) through a DB-API connection;
    ``errors`` is the driver's DatabaseError (sqlite3's or SQLCipher's)."""
    try:
        state = _schema_state(connection)
        made_by = connection.execute("PRAGMA application_id").fetchone()[0]
    except errors as exc:
        if check:  # a SQLite file whose schema pages cannot be read is damaged, and said so
            return SchemaState(None, False, (str(exc),))
        raise NotADatabase(f"{path} cannot be read as a database: {exc}", path) from exc
    if state.revision is None and not state.has_tables and made_by != APPLICATION_ID:
        raise NotADatabase(
            f"{path} is an empty SQLite database made by another program, not a kettrack database", path
        )
    if not check:
        return state
    try:
        rows = [str(row[0]) for row in connection.execute("PRAGMA quick_check")]
    except errors as exc:
        # A damaged page can make the check itself fail ("database disk image is malformed").
        rows = [str(exc)]
    damage = () if rows == ["ok"] else tuple(rows[:20])
    return SchemaState(state.revision, state.has_tables, damage)


def _schema_state(connection: Any) -> SchemaState:
    """The revision and whether any table exists, from a DB-API connection (sqlite3 or SQLCipher)."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    revision = None
    if "alembic_version" in tables:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return SchemaState(revision, bool(tables))


def _peek_encrypted(path: Path, passphrase: str, *, check: bool = False) -> SchemaState:
    import sqlcipher3

    from kettrack.store.encryption import connect

    connection = connect(path, passphrase, read_only=True)
    try:
        return _inspect_connection(connection, path, check, sqlcipher3.DatabaseError)
    finally:
        connection.close()


def _peek_server(engine: Engine) -> SchemaState:
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        revision = None
        if "alembic_version" in tables:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return SchemaState(revision, bool(tables))


def refuse_if_newer(state: SchemaState, where: str) -> None:
    if state.revision is not None and state.revision not in known_revisions():
        raise SchemaTooNew(
            f"{where} was written by a newer version of kettrack (schema {state.revision}); "
            "this version cannot open it. Install the newer kettrack; the file was not changed."
        )
    if state.revision is None and state.has_tables:
        raise NotADatabase(f"{where} holds tables but is not a kettrack database; it was not changed")


def _raw_pragma(connection: Connection, statement: str) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(statement)


def upgrade(
    engine: Engine, target: DatabaseTarget, state: SchemaState, passphrase: str | None = None
) -> Path | None:
    """Bring the schema to head; returns the verified pre-upgrade backup's path, if one was made."""
    if state.revision == head_revision():
        return None
    backup: Path | None = None
    if target.sqlite_path is not None and state.has_tables:
        backup = write_backup(
            target.sqlite_path, reason=f"pre-upgrade-from-{state.revision}", passphrase=passphrase
        )
    from alembic import command
    from sqlalchemy import text

    from kettrack.store.engine import BEGIN_IMMEDIATE  # imports SQLAlchemy: not at start-up

    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if is_sqlite:
            # On the raw driver connection, outside any transaction (SQLite ignores it inside one):
            # table rebuilds with foreign keys on would cascade deletes into child tables.
            _raw_pragma(connection, "PRAGMA foreign_keys=OFF")
            # Two programs opening a new file at once: the second waits for the first's upgrade,
            # then finds nothing left to do, instead of failing with "database is locked".
            connection.info[BEGIN_IMMEDIATE] = True
        try:
            with connection.begin():
                if not is_sqlite:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                command.upgrade(_config(connection), "head")
                if is_sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationFailed(f"the upgrade would break {len(broken)} references")
        except MigrationFailed:
            raise
        except Exception as exc:
            where = f" The backup taken before it is {backup}." if backup else ""
            raise MigrationFailed(f"the database upgrade failed and was undone: {exc}.{where}") from exc
        finally:
            if is_sqlite:
                connection.info.pop(BEGIN_IMMEDIATE, None)
                _raw_pragma(connection, "PRAGMA foreign_keys=ON")
    return backup


def inspect_target(engine: Engine, target: DatabaseTarget) -> SchemaState:
    if target.sqlite_path is not None:
        return peek_sqlite(target.sqlite_path)
    return _peek_server(engine)
