"""Tamper evidence the database file cannot forge: every entry sealed with a key kept outside it, the
chain's head anchored in the config folder and in backup manifests. The attacks are the security
review's, done with the sqlite3 module on a real file: drop the append-only triggers, then cut the
end of the log, or alter an entry and recompute every hash after it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import func, select

from kettrack.core.audit import AuditEntry, AuditHead, entry_hash, seal
from kettrack.core.records import PatientRecord
from kettrack.services.backups import back_up, restore
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store import audit_anchor, migrate
from kettrack.store.audit import AuditLog, record
from kettrack.store.audit_anchor import NO_KEY, ON_SERVER, AuditChainBroken
from kettrack.store.backup import backup_dir_for
from kettrack.store.database import Database
from kettrack.store.models import AppSetting, AuditLogEntry, AuditSeal

# --- what someone with the file and sqlite3 can do ---------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER IF EXISTS tr_audit_log_no_update")
    connection.execute("DROP TRIGGER IF EXISTS tr_audit_log_no_delete")
    connection.execute("DROP TRIGGER IF EXISTS tr_audit_seals_no_update")
    connection.execute("DROP TRIGGER IF EXISTS tr_audit_seals_no_delete")
    return connection


def cut_last(path: Path, count: int, *, seals_too: bool = False) -> None:
    """Delete the last entries (``seals_too``: and their seals, which SQLite's foreign key check would
    otherwise find left behind)."""
    connection = _connect(path)
    try:
        end = connection.execute("SELECT max(sequence) FROM audit_log").fetchone()[0]
        connection.execute("DELETE FROM audit_log WHERE sequence > ?", (end - count,))
        if seals_too:
            connection.execute("DELETE FROM audit_seals WHERE sequence > ?", (end - count,))
        connection.commit()
    finally:
        connection.close()


def rewrite_from(path: Path, sequence: int, details: str, *, drop_seals: bool = False) -> None:
    """Alter one entry, then recompute its hash and every hash and link after it: the chain verifies."""
    connection = _connect(path)
    try:
        rows = connection.execute(
            "SELECT sequence, at, actor, machine, action, record_kind, record_id, details, previous_hash, "
            "hash FROM audit_log WHERE sequence >= ? ORDER BY sequence",
            (sequence - 1,),
        ).fetchall()
        previous: AuditEntry | None = None
        for row in rows:
            entry = AuditEntry(
                row[0], datetime.fromisoformat(row[1]).replace(tzinfo=UTC), *row[2:8], row[8], row[9]
            )
            if entry.sequence >= sequence:
                assert previous is not None
                changed = entry.details if entry.sequence > sequence else details
                draft = AuditEntry(**{**entry.__dict__, "details": changed, "previous_hash": previous.hash})
                entry = AuditEntry(**{**draft.__dict__, "hash": entry_hash(draft)})
                connection.execute(
                    "UPDATE audit_log SET details = ?, previous_hash = ?, hash = ? WHERE sequence = ?",
                    (entry.details, entry.previous_hash, entry.hash, entry.sequence),
                )
            previous = entry
        if drop_seals:
            connection.execute("DELETE FROM audit_seals WHERE sequence >= ?", (sequence,))
        connection.commit()
    finally:
        connection.close()


# --- helpers -----------------------------------------------------------------------------------------


def _database_id(db: Database) -> str:
    with db.reader() as session:
        value = session.scalar(select(AppSetting.value).where(AppSetting.key == "database_id"))
    assert value is not None
    return value


def _head(db: Database) -> AuditHead:
    with db.reader() as session:
        found = audit_anchor.head(session)
    assert found is not None
    return found


def write_manifest(backup: Path, head: AuditHead | None) -> Path:
    """A backup manifest as kettrack.services.backups writes it: JSON with the head under "audit_head"."""
    manifest = backup.with_name(backup.name + ".manifest.json")
    if not manifest.exists():  # kettrack.services.backups writes one itself now
        assert head is not None
        manifest.write_text(json.dumps({"backup": backup.name, "audit_head": head.as_dict()}))
    return manifest


def _seals(db: Database) -> int:
    with db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(AuditSeal)) or 0)


@pytest.fixture(autouse=True)
def keys_in_files() -> Iterator[None]:
    """No keyring kettrack trusts, whatever this machine (or a test module defining a keyring backend,
    which keyring then takes as its default) offers: the keys go to files these tests can look at."""
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def demo(workspace: Workspace) -> Workspace:
    fill_demo(workspace, claims=False)
    return workspace


@pytest.fixture
def no_cached_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the keys this process found: as a new kettrack on this (or another) computer would."""
    monkeypatch.setattr(audit_anchor, "_KEYS", {})


@pytest.fixture
def reopen(db_path: Path) -> Iterator[Callable[[], Workspace]]:
    opened: list[Workspace] = []

    def open_again() -> Workspace:
        ws = Workspace.open(db_path)
        opened.append(ws)
        return ws

    yield open_again
    for ws in opened:
        ws.close()


# --- seals and anchors as they are written ---------------------------------------------------------------


def test_each_entry_is_sealed_and_the_head_anchored_outside_the_file(demo: Workspace) -> None:
    db = demo.db
    log = AuditLog(db)
    assert _seals(db) == log.count() > 10
    database_id = _database_id(db)
    assert str(uuid.UUID(database_id)) == database_id
    anchor = audit_anchor.read_config_anchor(database_id)
    assert anchor is not None and anchor.head == _head(db) and anchor.unmatched == ()
    assert anchor.head.mac and anchor.head.at is not None and anchor.head.database_id == database_id
    config = Path(os.environ["KETTRACK_CONFIG_DIR"])
    assert anchor.path.parent == config / "audit-anchors" and anchor.path in audit_anchor.anchor_slots(
        database_id
    )
    # No trusted keyring here: the key is a file, owner-only, in an owner-only folder of the config folder.
    key_file = config / "audit-keys" / f"{database_id}.key"
    for path, mode in ((key_file, 0o600), (key_file.parent, 0o700), (anchor.path, 0o600)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    # The key never lands in the database, nor the anchor in a place the file names.
    with sqlite3.connect(demo.db.target.sqlite_path) as connection:  # type: ignore[arg-type]
        dump = "\n".join(connection.iterdump())
    assert key_file.read_text().strip() not in dump
    found = log.report()
    assert found.ok and found.seals == "every entry sealed with this database's key"
    assert found.anchors == (f"the anchor kept in {anchor.path}",)
    # A refused change leaves neither entry nor seal, and the anchor stays where it was.
    with pytest.raises(Exception, match="name"):
        demo.patients.add(PatientRecord(""))
    assert _seals(db) == log.count() and audit_anchor.read_config_anchor(database_id) == anchor


def test_a_rolled_back_unit_of_work_moves_no_anchor(workspace: Workspace) -> None:
    workspace.patients.add(PatientRecord("Ann Able"))
    database_id = _database_id(workspace.db)
    before = audit_anchor.read_config_anchor(database_id)
    with pytest.raises(RuntimeError), workspace.db.session() as session:
        record(session, "view", "patient", 1)
        raise RuntimeError("the change it describes failed")
    assert audit_anchor.read_config_anchor(database_id) == before
    assert AuditLog(workspace.db).report().ok


# --- (a) truncation ---------------------------------------------------------------------------------------


def test_cutting_the_end_of_the_log_is_found_against_the_anchor_and_a_backup_manifest(
    demo: Workspace, db_path: Path, reopen: Callable[[], Workspace]
) -> None:
    backup = back_up(db_path, reason="manual")
    manifest = write_manifest(backup, audit_anchor.head_in_file(backup))
    last = _head(demo.db).sequence
    database_id = _database_id(demo.db)
    demo.close()
    cut_last(db_path, 3)
    anchor_file = audit_anchor.read_config_anchor(database_id).path  # type: ignore[union-attr]
    ws = reopen()
    log = AuditLog(ws.db)
    found = log.report()
    assert not found.ok
    # The chain itself is intact: only the anchors outside the file show the cut.
    assert not [p for p in found.problems if "missing" in p or "altered" in p or "follow" in p]
    assert (
        f"the anchor kept in {anchor_file} records entry {last}, "
        f"the database ends at entry {last - 3}: entries were removed"
    ) in found.problems
    assert (
        f"the backup manifest {manifest} records entry {last}, "
        f"the database ends at entry {last - 3}: entries were removed"
    ) in found.problems
    assert log.verify() == list(found.problems) == audit_anchor.verify_all(ws.db)

    # Working on does not wash the evidence away: the anchor keeps the head it no longer finds.
    ws.patients.add(PatientRecord("Written After The Cut"))
    anchor = audit_anchor.read_config_anchor(database_id)
    assert anchor is not None and anchor.unmatched[0].sequence == last
    again = log.report().problems
    assert any(p.startswith(f"the anchor kept in {anchor.path} records entry {last}, ") for p in again)


# --- (b) rewriting ----------------------------------------------------------------------------------------


def test_an_altered_and_rehashed_log_is_found_by_its_seals(
    demo: Workspace, db_path: Path, reopen: Callable[[], Workspace]
) -> None:
    last = _head(demo.db).sequence
    demo.close()
    rewrite_from(db_path, 7, "nothing happened")
    ws = reopen()
    problems = AuditLog(ws.db).verify()
    assert not [p for p in problems if "altered" in p or "follow" in p]  # the hashes were recomputed
    assert f"entry 7 was rewritten (its seal does not match), and so were entries 8–{last}" in problems
    assert any(f"records entry {last} with another hash" in p for p in problems)


def test_removing_the_seals_of_a_rewritten_tail_does_not_hide_it(
    demo: Workspace, db_path: Path, reopen: Callable[[], Workspace]
) -> None:
    last = _head(demo.db).sequence
    demo.close()
    rewrite_from(db_path, last - 4, "nothing happened", drop_seals=True)
    ws = reopen()
    found = AuditLog(ws.db).report()
    assert any(f"records entry {last} with another hash" in p for p in found.problems)
    # The next write does not seal the forged entries (the anchor disagrees): the report stays.
    ws.patients.add(PatientRecord("Written After"))
    problems = AuditLog(ws.db).verify()
    assert f"entries {last - 4}–{last} have no seal, though later entries are sealed: " in " ".join(problems)
    assert any(f"records entry {last} with another hash" in p for p in problems)


def test_a_forged_manifest_is_not_taken_for_kettracks_own(demo: Workspace, db_path: Path) -> None:
    real = _head(demo.db)
    forged = AuditHead(real.sequence + 5, "ab" * 32, "cd" * 32, real.at, real.database_id)
    folder = backup_dir_for(db_path)
    folder.mkdir(exist_ok=True)
    (folder / "forged.manifest.json").write_text(json.dumps({"audit_head": forged.as_dict()}))
    problems = AuditLog(demo.db).verify()
    assert problems == [
        f"the backup manifest {folder / 'forged.manifest.json'} was not written with this database's "
        "seal key: it is not kettrack's own"
    ]


# --- (d) intact, and after a backup and a restore on the same computer ------------------------------------


def test_a_backup_restored_on_the_same_computer_verifies_clean(demo: Workspace, db_path: Path) -> None:
    log = AuditLog(demo.db)
    made = back_up(db_path, reason="manual")
    write_manifest(made, audit_anchor.head_in_file(made))
    log.record_now("backup", details=made.name)  # as kettrack backup does
    demo.patients.add(PatientRecord("Added After The Backup"))
    assert log.report().ok
    demo.close()

    kept = restore(db_path, made)
    assert kept is not None
    write_manifest(kept, audit_anchor.head_in_file(kept))  # the pre-restore backup's, as backups writes it
    db = Database.open(db_path)
    try:
        AuditLog(db).record_now("restore", details=f"from {made.name}")  # as kettrack restore does
        found = AuditLog(db).report()
        assert found.ok, found.problems
        assert found.seals == "every entry sealed with this database's key"  # the id came back with it
        assert "1 backup manifest" in found.anchors
        assert any("taken before a restore replaced their later history" in n for n in found.notes)
    finally:
        db.close()


def test_a_fresh_database_has_no_id_until_it_is_written(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        found = AuditLog(db).report()
        assert found.ok and found.entries == 0 and found.anchors == ()
        with db.reader() as session:
            assert session.get(AppSetting, "database_id") is None  # copies of a template stay distinct
    finally:
        db.close()


# --- (e) a missing key ------------------------------------------------------------------------------------


def test_a_database_without_its_key_here_cannot_be_checked_and_is_not_called_tampered(
    demo: Workspace, db_path: Path, reopen: Callable[[], Workspace], no_cached_keys: None
) -> None:
    database_id = _database_id(demo.db)
    sealed = _seals(demo.db)
    demo.close()
    key_file = Path(os.environ["KETTRACK_CONFIG_DIR"]) / "audit-keys" / f"{database_id}.key"
    away = key_file.with_name("away")
    key_file.rename(away)  # the file on another computer: its key stayed at home
    try:
        ws = reopen()
        found = AuditLog(ws.db).report()
        assert found.ok and found.seals == NO_KEY
        # Work goes on; new entries carry no seal, and no second key is made for the database.
        ws.patients.add(PatientRecord("Seen Away From Home"))
        assert _seals(ws.db) == sealed and _database_id(ws.db) == database_id and not key_file.exists()
        found = AuditLog(ws.db).report()
        assert found.ok and found.seals == NO_KEY
        assert any("does not make a second key" in n for n in found.notes)
        ws.close()
    finally:
        away.rename(key_file)
    # Home again: the entries written away are sealed at the next write, since the anchor agrees.
    audit_anchor._KEYS.clear()
    ws = reopen()
    ws.patients.add(PatientRecord("Back Home"))
    found = AuditLog(ws.db).report()
    assert found.ok and found.seals == "every entry sealed with this database's key"


def test_a_changed_or_removed_database_id_is_reported(demo: Workspace, db_path: Path) -> None:
    demo.close()
    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE app_settings SET value = '../../elsewhere' WHERE key = 'database_id'")
    connection.commit()
    ws = Workspace.open(db_path)
    try:
        problems = AuditLog(ws.db).verify()
        assert "the database's id in its settings is not one kettrack writes: it was changed" in problems
    finally:
        ws.close()
    connection.execute("DELETE FROM app_settings WHERE key = 'database_id'")
    connection.commit()
    connection.close()
    ws = Workspace.open(db_path)
    try:
        assert AuditLog(ws.db).verify() == [
            "entries are sealed but the database's id was removed from its settings"
        ]
        ws.patients.add(PatientRecord("Still Works"))  # and no new id is made over the old seals
        with ws.db.reader() as session:
            assert session.get(AppSetting, "database_id") is None
    finally:
        ws.close()


# --- trust on first use: entries written before seals existed ----------------------------------------


def _database_at_0003(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scripts = tmp_path / "alembic-0003"
    shutil.copytree(migrate.script_location(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    for script in (scripts / "versions").glob("*.py"):
        if script.name[:4] > "0003":
            script.unlink()
    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrate, "script_location", lambda: scripts)
        migrate._revision_graph.cache_clear()
        migrate._script_directory.cache_clear()
        Database.open(path).close()
    migrate._revision_graph.cache_clear()
    migrate._script_directory.cache_clear()
    # Entries as the kettrack of schema 0003 wrote them: chained, unsealed.
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
    previous = None
    start = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    for n in range(12):
        entry = seal(
            AuditEntry(0, start + timedelta(minutes=n), "ana", "desk-1", "view", "patient", n), previous
        )
        connection.execute(
            "INSERT INTO audit_log (sequence, at, actor, machine, action, record_kind, record_id, details, "
            "previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.sequence,
                entry.at.replace(tzinfo=None).isoformat(sep=" "),
                entry.actor,
                entry.machine,
                entry.action,
                entry.record_kind,
                entry.record_id,
                entry.details,
                entry.previous_hash,
                entry.hash,
            ),
        )
        previous = entry
    connection.commit()
    connection.close()
    return path


def test_entries_from_before_seals_are_sealed_once_on_first_open_after_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _database_at_0003(tmp_path, monkeypatch)
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 12
    connection.close()
    # Opening it (as the window and every command do, through a workspace) upgrades it to 0004 and
    # seals what the chain vouches for.
    db = Workspace(Database.open(path)).db
    try:
        assert db.revision == migrate.head_revision()
        assert _seals(db) == 12
        found = AuditLog(db).report()
        assert found.ok and found.seals == "every entry sealed with this database's key" and found.anchors
        audit_anchor.seal_on_open(db)  # once: nothing more to do
        assert _seals(db) == 12
    finally:
        db.close()


def test_a_broken_chain_from_before_seals_is_not_sealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _database_at_0003(tmp_path, monkeypatch)
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER IF EXISTS tr_audit_log_no_update")
    connection.execute("UPDATE audit_log SET details = 'edited' WHERE sequence = 4")
    connection.commit()
    connection.close()
    db = Database.open(path)
    try:
        audit_anchor.seal_on_open(db)  # makes the id and key, but seals nothing it cannot vouch for
        AuditLog(db).record_now("view", "patient", 1)
        assert _seals(db) == 1
        problems = AuditLog(db).verify()
        assert "entry 4 was altered after it was written" in problems
        assert (
            "entries 1–12 have no seal, though later entries are sealed: removed or put in without the key"
            in (problems)
        )
    finally:
        db.close()


# --- import: the hook at the end of the import transaction ------------------------------------------------


def test_seal_all_seals_imported_entries_under_a_new_id(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        source_id = str(uuid.uuid4())
        with db.session() as session:
            # What an import leaves: the source's settings (its id among them) and its chain, unsealed.
            session.add(AppSetting(key="database_id", value=source_id))
            previous = None
            for n in range(5):
                draft = AuditEntry(
                    0, datetime(2026, 9, 1, 8, n, tzinfo=UTC), "bo", "desk-2", "create", "patient", n
                )
                previous = seal(draft, previous)
                session.add(AuditLogEntry(**previous.__dict__))
            session.flush()
            assert audit_anchor.seal_all(session) == 5
        database_id = _database_id(db)
        assert database_id != source_id  # an import makes a new database
        found = AuditLog(db).report()
        assert found.ok and found.seals == "every entry sealed with this database's key"
        anchor = audit_anchor.read_config_anchor(database_id)
        assert anchor is not None and anchor.head.sequence == 5
        with db.session() as session:
            assert audit_anchor.seal_all(session) == 0
    finally:
        db.close()


def test_seal_all_refuses_a_broken_chain(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        with pytest.raises(AuditChainBroken, match="entry 2 does not follow"), db.session() as session:
            first = seal(AuditEntry(0, datetime(2026, 9, 1, tzinfo=UTC), "bo", "m", "view"), None)
            stray = seal(AuditEntry(0, datetime(2026, 9, 2, tzinfo=UTC), "bo", "m", "view"), first)
            session.add(AuditLogEntry(**first.__dict__))
            session.add(AuditLogEntry(**{**stray.__dict__, "previous_hash": "1" * 64}))
            session.flush()
            audit_anchor.seal_all(session)
        assert AuditLog(db).count() == 0
    finally:
        db.close()


# --- the head, for manifests and exports -------------------------------------------------------------


def test_the_head_in_a_file_is_the_head_in_the_database(demo: Workspace, db_path: Path) -> None:
    in_session = _head(demo.db)
    assert audit_anchor.head_in_file(db_path) == in_session
    assert AuditHead.from_dict(json.loads(json.dumps(in_session.as_dict()))) == in_session
    with demo.db.reader() as session:
        assert audit_anchor.check_against(session, in_session, "the export x.json") == []
        later = AuditHead(in_session.sequence + 2, in_session.hash)
        assert audit_anchor.check_against(session, later, "the export x.json") == [
            f"the export x.json records entry {later.sequence}, the database ends at entry "
            f"{in_session.sequence}: entries were removed"
        ]


# --- a server database -------------------------------------------------------------------------------


def test_a_server_database_uses_no_seals_and_says_so(pg_url: str) -> None:
    db = Database.open(pg_url)
    try:
        log = AuditLog(db)
        for n in range(3):
            log.record_now("view", "patient", n)
        assert _seals(db) == 0
        found = log.report()
        assert found.ok and found.seals == ON_SERVER and found.entries == 3
        assert "seals: not used on a server database" in found.lines()
        # The desk still anchors the head it wrote, in its own config folder.
        anchor = audit_anchor.read_config_anchor(_database_id(db))
        assert anchor is not None and anchor.head.sequence == 3 and anchor.head.mac == ""
    finally:
        db.close()


def test_an_anchor_write_cut_short_leaves_the_previous_head(workspace: Workspace) -> None:
    workspace.patients.add(PatientRecord("Ann Able"))
    workspace.patients.add(PatientRecord("Bo Brook"))
    database_id = _database_id(workspace.db)
    newer = audit_anchor.read_config_anchor(database_id)
    assert newer is not None and newer.head == _head(workspace.db)
    whole = newer.path.read_bytes()
    newer.path.write_bytes(whole[: len(whole) // 2])  # the power went mid-write
    older = audit_anchor.read_config_anchor(database_id)
    assert older is not None and older.generation == newer.generation - 1
    assert older.head.sequence < newer.head.sequence
    found = AuditLog(workspace.db).report()
    assert found.ok and found.anchors == (f"the anchor kept in {older.path}",)
    older.path.write_bytes(b"")
    found = AuditLog(workspace.db).report()
    assert found.ok and any("could not be read" in n for n in found.notes)  # unreadable is not tampering
    workspace.patients.add(PatientRecord("Cy Crane"))  # and the next write makes it whole again
    assert audit_anchor.read_config_anchor(database_id) is not None
    assert AuditLog(workspace.db).report().anchors


def test_the_key_goes_to_a_trusted_keyring_when_there_is_one(
    workspace: Workspace, db_path: Path, no_cached_keys: None
) -> None:
    # Resolved before the class below exists: keyring takes every KeyringBackend subclass as a
    # candidate for its default, and a class defined at import time would become the whole run's.
    before = keyring.get_keyring()

    class MemoryKeyring(KeyringBackend):
        """A keyring backend of the keyring package's own plug-in kind, holding secrets in memory."""

        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.secrets: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.secrets.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.secrets[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.secrets.pop((service, username), None)

    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        workspace.patients.add(PatientRecord("Ann Able"))
        database_id = _database_id(workspace.db)
        assert list(ring.secrets) == [("kettrack", f"audit seal key {database_id}")]
        assert not (Path(os.environ["KETTRACK_CONFIG_DIR"]) / "audit-keys" / f"{database_id}.key").exists()
        assert AuditLog(workspace.db).report().seals == "every entry sealed with this database's key"
        ring.secrets.clear()  # the keyring was reset, or this is another computer
        audit_anchor._KEYS.clear()
        found = AuditLog(workspace.db).report()
        assert found.ok and found.seals == NO_KEY
    finally:
        keyring.set_keyring(before)


def test_opening_anchors_a_database_this_computer_has_no_anchor_for(demo: Workspace) -> None:
    database_id = _database_id(demo.db)
    for slot in audit_anchor.anchor_slots(database_id):
        slot.unlink(missing_ok=True)  # a new user account, or the config folder was cleared
    audit_anchor.seal_on_open(demo.db)
    anchor = audit_anchor.read_config_anchor(database_id)
    assert anchor is not None and anchor.head == _head(demo.db)
    assert AuditLog(demo.db).report().ok
