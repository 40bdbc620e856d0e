"""The SQLite engine's safety settings on a live connection, owner-only files, and transactions that
roll back as a whole (including SAVEPOINTs, which Python's sqlite3 driver breaks unless told not to)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from kettrack.core.records import PatientRecord
from kettrack.services.workspace import Workspace
from kettrack.store import models
from kettrack.store.database import Database
from kettrack.store.engine import BUSY_TIMEOUT_MS, make_engine
from kettrack.store.location import resolve


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_pragmas_on_a_live_connection(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        with db.engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
            }
        assert pragma == {
            "foreign_keys": 1,
            "journal_mode": "wal",
            "synchronous": 2,
            "busy_timeout": BUSY_TIMEOUT_MS,
        }
    finally:
        db.close()


def test_read_only_engine_cannot_write(db_path: Path) -> None:
    engine = make_engine(resolve(db_path), read_only=True)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with pytest.raises(Exception, match="readonly"):
                connection.exec_driver_sql("INSERT INTO app_settings VALUES ('k', 'v')")
    finally:
        engine.dispose()


def test_new_database_file_and_folder_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "kettrack.sqlite3"
    db = Database.open(path)
    try:
        with db.session() as session:
            session.add(models.AppSetting(key="k", value="v"))
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if sidecar.exists():
                assert _mode(sidecar) == 0o600, sidecar
        assert db.pre_upgrade_backup is None  # a new, empty database needs no backup
        assert db.info().schema_revision == db.revision and not db.info().is_shared
    finally:
        db.close()


def test_failing_transaction_rolls_back_entirely(workspace: Workspace) -> None:
    db = workspace.db
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(models.AppSetting(key="a", value="1"))
        session.flush()
        session.execute(text("INSERT INTO app_settings (key, value) VALUES ('b', '2')"))
        raise RuntimeError("half-way")
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(models.AppSetting)) == 0


def test_constraint_failure_rolls_back_earlier_statements(workspace: Workspace) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), workspace.db.session() as session:
        session.add(models.AppSetting(key="a", value="1"))
        session.flush()
        # A dangling foreign key: foreign_keys=ON must refuse it.
        session.execute(
            text(
                "INSERT INTO treatments (patient_id, kind, name, details, outcome, notes, created_at,"
                " updated_at) VALUES (999, 'tms', 'x', '', 'other', '', '2026-01-01', '2026-01-01')"
            )
        )
    assert workspace.settings.get("a") is None


def test_savepoint_rolls_back_only_its_part(workspace: Workspace) -> None:
    db = workspace.db
    with db.session() as session:
        session.add(models.AppSetting(key="outer", value="1"))
        session.flush()
        nested = session.begin_nested()
        session.add(models.AppSetting(key="inner", value="2"))
        session.flush()
        nested.rollback()
        with session.begin_nested():
            session.add(models.AppSetting(key="kept", value="3"))
    with db.reader() as session:
        keys = set(session.scalars(select(models.AppSetting.key)))
    assert keys == {"outer", "kept"}


def test_reader_never_writes(workspace: Workspace) -> None:
    with workspace.db.reader() as session:
        session.add(models.AppSetting(key="x", value="y"))
        session.flush()
    assert workspace.settings.get("x") is None
    workspace.patients.add(PatientRecord(legal_name="Ann Able"))
    assert workspace.patients.count() == 1


def test_folder_names_with_url_characters(tmp_path: Path) -> None:
    # "?" and "#" once made SQLite open a different, world-readable file named after the folder prefix.
    path = tmp_path / "a#b?c%20 d" / "kettrack.sqlite3"
    db = Database.open(path)
    try:
        with db.session() as session:
            session.add(models.AppSetting(key="k", value="v"))
    finally:
        db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a#b?c%20 d"]
    assert path.stat().st_size > 0 and _mode(path) == 0o600
    engine = make_engine(resolve(path), read_only=True)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT value FROM app_settings").scalar() == "v"
    finally:
        engine.dispose()


def test_resolve_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kettrack.store.location import DEFAULT_FILENAME, BadDatabaseTarget

    server = resolve("postgresql://desk:s3cret@db.example/kettrack")
    assert server.url.startswith("postgresql+psycopg://") and not server.is_sqlite
    assert "s3cret" not in server.display and "desk" in server.display
    assert resolve(f"sqlite:///{tmp_path}/x.sqlite3").sqlite_path == tmp_path / "x.sqlite3"
    assert resolve(tmp_path / "y.sqlite3").display == str(tmp_path / "y.sqlite3")
    monkeypatch.setenv("KETTRACK_DB", str(tmp_path / "from-env.sqlite3"))
    assert resolve(None).sqlite_path == tmp_path / "from-env.sqlite3"
    monkeypatch.delenv("KETTRACK_DB")
    assert resolve(None).sqlite_path is not None and resolve(None).sqlite_path.name == DEFAULT_FILENAME  # type: ignore[union-attr]
    with pytest.raises(BadDatabaseTarget, match="is a folder"):
        resolve(tmp_path)
    with pytest.raises(BadDatabaseTarget, match="unsupported database URL scheme in 'mysql'"):
        resolve("mysql://root@localhost/db")
