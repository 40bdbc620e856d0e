"""Migrations: one head, no drift between the models and the scripts (SQLite and PostgreSQL), an
upgrade of a seeded database keeps every row behind a verified backup, and a newer, foreign or
damaged file is refused byte-for-byte untouched. Future upgrades are simulated with a test-only
revision written after the head into a copy of alembic/."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from kettrack.core.enums import ProviderKind, TreatmentKind, UserRole
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import (
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
    TreatmentRecord,
)
from kettrack.services.workspace import Workspace
from kettrack.store import audit, migrate
from kettrack.store.backup import integrity_problems
from kettrack.store.database import Database
from kettrack.store.models import Base

HEAD = migrate.head_revision()
SEEDED = (
    "patients",
    "providers",
    "payers",
    "coverages",
    "treatments",
    "infusions",
    "infusion_diagnoses",
    "payments",
    "app_settings",
)

ADD_COLUMN = """
def upgrade() -> None:
    with op.batch_alter_table("infusions") as batch_op:
        batch_op.add_column(sa.Column("room", sa.String(length=20), nullable=True))
"""
ADD_COLUMN_THEN_FAIL = (
    ADD_COLUMN
    + """
    raise RuntimeError("test-only migration fails half-way")
"""
)


# The test-only revision goes on top of whatever the real head is when the tests run.
NEXT = "test_next"


def _revision_next(body: str, down: str) -> str:
    return f'''"""test-only revision"""
import sqlalchemy as sa
from alembic import op

revision = "{NEXT}"
down_revision = "{down}"
branch_labels = None
depends_on = None
{body}

def downgrade() -> None:
    raise NotImplementedError
'''


@pytest.fixture
def future_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the runner at a copy of alembic/ to which a test can add a revision after the head."""
    copy = tmp_path / "alembic-copy"
    shutil.copytree(migrate.script_location(), copy, ignore=shutil.ignore_patterns("__pycache__"))

    def add(body: str) -> Path:
        script = copy / "versions" / "9999_test_only.py"
        script.write_text(_revision_next(body, HEAD), encoding="utf-8")
        migrate._revision_graph.cache_clear()  # the runner reads the graph once per process
        migrate._script_directory.cache_clear()
        return script

    monkeypatch.setattr(migrate, "script_location", lambda: copy)
    migrate._script_directory.cache_clear()
    yield add
    migrate._revision_graph.cache_clear()
    migrate._script_directory.cache_clear()


def _seed(path: Path, icd10: Any) -> None:
    ws = Workspace(Database.open(path), today=lambda: date(2026, 11, 23))
    ws._icd = Icd10Releases([icd10])
    try:
        patient = ws.patients.add(PatientRecord(legal_name="Ann Able", date_of_birth=date(1980, 5, 1)))
        clinic = ws.providers.add(ProviderRecord(name="Calm Clinic", kind=ProviderKind.ORGANIZATION))
        doctor = ws.providers.add(ProviderRecord(name="Grace Hopper", npi="1234567893", clinic_id=clinic.id))
        payer = ws.payers.add(PayerRecord(name="Acme Health"))
        ws.coverages.add(CoverageRecord(patient_id=patient.id, payer_id=payer.id, member_id="M1"))  # type: ignore[arg-type]
        ws.treatments.add(TreatmentRecord(patient_id=patient.id, kind=TreatmentKind.ECT, name="ECT"))  # type: ignore[arg-type]
        for day in (1, 2, 3):
            ws.infusions.add(
                InfusionRecord(
                    patient_id=patient.id,
                    provider_id=doctor.id,
                    clinic_id=clinic.id,  # type: ignore[arg-type]
                    service_date=date(2026, 11, day),
                    start_time=time(9),
                    end_time=time(10),
                    dose_mg=Decimal("35.5"),
                    diagnoses=("F33.1", "F43.10"),
                    payments=(PaymentRecord(date(2026, 11, day), Decimal("999999.99")),),
                )
            )
        ws.settings.set_role(UserRole.CLINIC)
    finally:
        ws.close()


def _dump(path: Path, columns_of: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Schema SQL and every row of every table, read with plain sqlite3 (only the columns
    ``columns_of`` names for a table it names: those an older schema had)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        schema = sorted(connection.execute("SELECT type, name, sql FROM sqlite_master"))
        rows = {}
        for _kind, name, _sql in schema:
            if _kind == "table":
                columns = [r[1] for r in connection.execute(f'PRAGMA table_info("{name}")') if r[1] != "room"]
                if columns_of is not None and name in columns_of:
                    columns = columns_of[name]
                listed = ", ".join(f'"{c}"' for c in columns)
                rows[name] = sorted(connection.execute(f'SELECT {listed} FROM "{name}"'), key=repr)
    finally:
        connection.close()
    return {"schema": schema, "rows": rows}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[Path]:
    return [p for p in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")) if p.exists()]


def test_single_head_agrees_with_alembic() -> None:
    scripts = ScriptDirectory(str(migrate.script_location()))
    assert scripts.get_heads() == [migrate.head_revision()]
    assert {s.revision for s in scripts.walk_revisions()} == migrate.known_revisions()


def _drift(db: Database) -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_no_drift_on_sqlite(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        assert _drift(db) == []
    finally:
        db.close()


def test_no_drift_on_postgres(pg_url: str) -> None:
    db = Database.open(pg_url)
    try:
        assert db.revision == migrate.head_revision()
        assert _drift(db) == []
    finally:
        db.close()


def test_upgrade_keeps_every_row_behind_a_verified_backup(
    db_path: Path, icd10: Any, future_scripts: Any
) -> None:
    _seed(db_path, icd10)
    before = _dump(db_path)
    assert all(before["rows"][t] for t in SEEDED), "seed every table the seed knows"
    future_scripts(ADD_COLUMN)
    db = Database.open(db_path)
    try:
        assert db.revision == NEXT
        backup = db.pre_upgrade_backup
        assert backup is not None and backup.exists()
        # The connection the upgrade ran on goes back to the pool with foreign keys on again.
        for _ in range(3):
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.close()
    after = _dump(db_path)
    assert after["rows"]["alembic_version"] == [(NEXT,)]
    for table, rows in before["rows"].items():
        if table != "alembic_version":
            assert after["rows"][table] == rows, table
    infusions_sql = next(sql for kind, name, sql in after["schema"] if name == "infusions")
    assert "room" in infusions_sql
    # The backup is sound, private, standalone and holds the database as it was.
    assert integrity_problems(backup) == []
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    assert f"pre-upgrade-from-{HEAD}" in backup.name and not _sidecars(backup)
    assert _dump(backup) == before
    # Opening again does nothing more.
    again = Database.open(db_path)
    try:
        assert again.pre_upgrade_backup is None
    finally:
        again.close()


def test_open_without_upgrade_reports_the_old_revision(db_path: Path, future_scripts: Any) -> None:
    future_scripts(ADD_COLUMN)
    before = _sha256(db_path)
    db = Database.open(db_path, upgrade=False)
    try:
        assert db.revision == HEAD and db.pre_upgrade_backup is None
    finally:
        db.close()
    assert _sha256(db_path) == before


def test_failed_migration_leaves_database_exactly_as_before(
    db_path: Path, icd10: Any, future_scripts: Any
) -> None:
    _seed(db_path, icd10)
    before = _dump(db_path)
    future_scripts(ADD_COLUMN_THEN_FAIL)
    with pytest.raises(migrate.MigrationFailed, match="fails half-way") as caught:
        Database.open(db_path)
    assert "backup" in str(caught.value)
    after = _dump(db_path)
    assert after == before
    assert not [name for _k, name, _s in after["schema"] if name.startswith("_alembic_tmp_")]
    assert integrity_problems(db_path) == []
    connection = sqlite3.connect(db_path)
    try:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()


def test_the_pre_upgrade_backup_of_a_failed_migration_restores_the_database(
    db_path: Path, icd10: Any, future_scripts: Any
) -> None:
    """Interrupted on purpose, the upgrade leaves the database as it was; and the verified backup
    taken before it restores a database equal to it, table for table and row for row."""
    from kettrack.services.backups import list_backups, restore

    _seed(db_path, icd10)
    before = _dump(db_path)
    future_scripts(ADD_COLUMN_THEN_FAIL)
    with pytest.raises(migrate.MigrationFailed):
        Database.open(db_path)
    assert _dump(db_path) == before
    (backup,) = [b.path for b in list_backups(db_path) if b.reason.startswith("pre-upgrade")]
    assert _dump(backup) == before
    restore(db_path, backup)
    assert _dump(db_path) == before


def test_migration_breaking_references_is_undone(db_path: Path, icd10: Any, future_scripts: Any) -> None:
    # Foreign keys are off while a migration runs (table rebuilds); foreign_key_check catches the damage.
    _seed(db_path, icd10)
    before = _dump(db_path)
    future_scripts(ADD_COLUMN + '    op.execute("DELETE FROM patients")\n')
    with pytest.raises(migrate.MigrationFailed, match="would break"):
        Database.open(db_path)
    assert _dump(db_path) == before


def test_failed_migration_on_postgres_is_undone(pg_url: str, future_scripts: Any) -> None:
    Database.open(pg_url).close()
    future_scripts(ADD_COLUMN_THEN_FAIL)
    with pytest.raises(migrate.MigrationFailed):
        Database.open(pg_url)
    future_scripts(ADD_COLUMN)
    db = Database.open(pg_url)
    try:
        assert db.revision == NEXT
    finally:
        db.close()


def _set_revision(path: Path, revision: str) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    finally:
        connection.close()


def test_newer_schema_refused_untouched(db_path: Path) -> None:
    _set_revision(db_path, "ffff9999")
    assert not _sidecars(db_path)
    digest, mode = _sha256(db_path), db_path.stat().st_mode
    with pytest.raises(migrate.SchemaTooNew, match="ffff9999"):
        Database.open(db_path)
    assert _sha256(db_path) == digest and db_path.stat().st_mode == mode
    assert not _sidecars(db_path)
    assert migrate.peek_sqlite(db_path).revision == "ffff9999"


def test_newer_postgres_schema_refused(pg_url: str) -> None:
    from sqlalchemy import create_engine, text

    Database.open(pg_url).close()
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    engine.dispose()
    with pytest.raises(migrate.SchemaTooNew):
        Database.open(pg_url)


def _truncated(source: Path, target: Path, size: int) -> Path:
    target.write_bytes(source.read_bytes()[:size])
    return target


@pytest.mark.parametrize(
    "kind", ["random", "text", "truncated-header", "truncated-page", "truncated-half", "foreign-sqlite"]
)
def test_not_a_database_refused_untouched(kind: str, tmp_path: Path, db_path: Path, icd10: Any) -> None:
    path = tmp_path / "victim.sqlite3"
    if kind == "random":
        path.write_bytes(os.urandom(8192))
    elif kind == "text":
        path.write_text("name,amount\nAnn,5\n")
    elif kind == "foreign-sqlite":
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE recipes (name TEXT)")
        connection.commit()
        connection.close()
    else:
        _seed(db_path, icd10)
        size = {"truncated-header": 10, "truncated-page": 100, "truncated-half": db_path.stat().st_size // 2}[
            kind
        ]
        _truncated(db_path, path, size)
    digest = _sha256(path)
    with pytest.raises(migrate.NotADatabase):
        Database.open(path)
    assert _sha256(path) == digest
    assert not _sidecars(path)


def test_desks_opening_a_new_shared_database_at_once(pg_url: str) -> None:
    # Several clinic desks starting together: the advisory lock lets one migrate, the rest find it done.
    from concurrent.futures import ThreadPoolExecutor

    def open_and_close(_: int) -> str:
        db = Database.open(pg_url)
        try:
            return db.revision
        finally:
            db.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = list(pool.map(open_and_close, range(4)))
    assert revisions == [migrate.head_revision()] * 4


def test_programs_opening_a_new_sqlite_file_at_once(tmp_path: Path) -> None:
    # The window and the command line started together on first run: one creates the schema, the
    # others wait for its write lock (BEGIN IMMEDIATE) and find it done, none fails "database is locked".
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "shared" / "kettrack.sqlite3"

    def open_and_close(_: int) -> str:
        db = Database.open(path)
        try:
            return db.revision
        finally:
            db.close()

    for _round in range(10):
        path.unlink(missing_ok=True)
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(open_and_close, range(4))) == [migrate.head_revision()] * 4


def test_peek_reads_a_database_that_is_open_elsewhere(db_path: Path) -> None:
    # While another program has the file open its newest pages may sit in the -wal file; the peek
    # must read them (it opens "immutable" only when there is no -wal file).
    db = Database.open(db_path)
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff9999'")
        with db.engine.connect():  # held open, as the other program would
            assert _sidecars(db_path)
            assert migrate.peek_sqlite(db_path).revision == "ffff9999"
    finally:
        db.close()


def test_every_real_revision_upgrades_a_seeded_first_schema_database(
    db_path: Path, tmp_path: Path, icd10: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made and filled at 0001 goes through every real migration to the head intact."""
    first_only = tmp_path / "alembic-0001"
    shutil.copytree(migrate.script_location(), first_only, ignore=shutil.ignore_patterns("__pycache__"))
    for script in (first_only / "versions").glob("*.py"):
        if not script.name.startswith("0001_"):
            script.unlink()
    old_db = tmp_path / "old.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrate, "script_location", lambda: first_only)
        # The kettrack that wrote schema 0001 kept no audit log (its table came with 0003).
        patch.setattr(audit, "record", lambda *args, **kwargs: None)
        migrate._revision_graph.cache_clear()
        migrate._script_directory.cache_clear()
        Database.open(old_db).close()
    migrate._revision_graph.cache_clear()
    migrate._script_directory.cache_clear()
    # Today's repositories write today's columns: the rows are seeded at the head and copied into the
    # 0001 file as far as 0001 has columns for them (the migrations after it fill in their own).
    _seed(db_path, icd10)
    kept: dict[str, list[str]] = {}  # the columns 0001 had
    connection = sqlite3.connect(old_db)
    try:
        connection.execute("ATTACH DATABASE ? AS seeded", (str(db_path),))
        for table in SEEDED:
            names = kept[table] = [r[1] for r in connection.execute(f'PRAGMA main.table_info("{table}")')]
            listed = ", ".join(f'"{c}"' for c in names)
            connection.execute(f'DELETE FROM main."{table}"')
            connection.execute(f'INSERT INTO main."{table}" ({listed}) SELECT {listed} FROM seeded."{table}"')
        connection.commit()
    finally:
        connection.close()
    before = _dump(old_db)
    assert before["rows"]["alembic_version"] == [("0001",)]
    assert all(before["rows"][t] for t in SEEDED), "seed every table the seed knows"
    db = Database.open(old_db)
    try:
        assert db.revision == HEAD
        assert db.pre_upgrade_backup is not None and integrity_problems(db.pre_upgrade_backup) == []
    finally:
        db.close()
    after = _dump(old_db, columns_of=kept)
    # Sessions were on file: the REMS forms of those older than a week are not tracked (0008), and
    # the claims were derived by this kettrack's rules once (the workspace's re-derive marker).
    added = {
        "rems_forms_from": (date.today() - timedelta(days=7)).isoformat(),
    }
    settings = {row[0]: row[1] for row in after["rows"]["app_settings"]}
    for key, value in added.items():
        assert settings.pop(key) == value, key
    after["rows"]["app_settings"] = [row for row in after["rows"]["app_settings"] if row[0] in settings]
    for table in SEEDED:
        assert after["rows"][table] == before["rows"][table], table
