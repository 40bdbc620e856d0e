"""Issued documents inside the database (schema 0004), end to end on real SQLite files:

- an encrypted database and its backup hold no document, name or member ID in plaintext anywhere;
- a database from before 0004 with its old ``<stem>-documents/`` folder is upgraded and the files are
  moved in, each checked against its recorded SHA-256; a changed file is left out and named, a name
  that leads out of the folder (``../../etc/passwd``, an absolute path, a symbolic link) is never
  followed, and the folder itself is left in place;
- a superbill or an attachment whose record cannot be written leaves no document and no file;
- ``superbill -o`` refuses a file it cannot write before anything is issued;
- ``restore`` refuses a backup whose documents do not check out (an altered row, an old backup's zip
  that expands beyond its limits or names a path outside it), leaving the current database
  byte-for-byte as it was and no staging folder behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import string
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kettrack.cli import main
from kettrack.core.claim_states import EventKind
from kettrack.core.claims import Adjustment, EobAmounts, GroupCode, NewClaim, NewEvent
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import PatientRecord
from kettrack.services import backups
from kettrack.services.check import check_database
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import SuperbillRequest
from kettrack.services.workspace import Workspace
from kettrack.store import encryption, migrate
from kettrack.store.audit import AuditLog
from kettrack.store.database import Database
from kettrack.store.documents import DocumentMissing
from tests.conftest import TODAY
from tests.store.stored_documents import (
    PDF_MAGIC,
    assert_no_document_files,
    document_shas,
    pdf_text,
    sha256,
    tamper,
)
from tests.store.tmpfs import mounted_tmpfs

PASS = "correct horse battery staple"
PNG = b"\x89PNG\r\n\x1a\n"


def _open(path: Path, icd10: Any, passphrase: str | None = None) -> Workspace:
    ws = Workspace(Database.open(path, passphrase=passphrase), today=lambda: TODAY)
    ws._icd = Icd10Releases([icd10])
    return ws


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the SHA-256 of its bytes (folders as ``<dir>``)."""
    found: dict[str, str] = {}
    for folder, folders, files in os.walk(root):
        for name in folders:
            found[os.path.relpath(os.path.join(folder, name), root)] = "<dir>"
        for name in files:
            path = Path(folder) / name
            found[os.path.relpath(path, root)] = "<link>" if path.is_symlink() else sha256(path.read_bytes())
    return found


# --- (a) encrypted: nothing in plaintext ------------------------------------------------------------


def _unique_name(rng: random.Random) -> str:
    def word(n: int) -> str:
        return rng.choice(string.ascii_uppercase) + "".join(rng.choices(string.ascii_lowercase, k=n))

    return f"{word(7)} Q. {word(9)}"


def _denied_claim_of_new_patient(ws: Workspace, name: str, member_id: str) -> tuple[int, int]:
    """A new patient (a copy of the demo's first, renamed) with her own coverage and induction sessions,
    billed on a superbill, on a claim submitted and denied; (superbill id, claim id)."""
    avery_id = fill_demo(ws, claims=False).patient_ids[0]
    avery = ws.patients.get(avery_id)
    patient = ws.patients.add(replace(avery, id=None, legal_name=name))
    assert patient.id is not None
    coverage = ws.coverages.for_patient(avery_id)[0]
    mine = ws.coverages.add(
        replace(coverage, id=None, patient_id=patient.id, member_id=member_id, policyholder_name="")
    )
    assert mine.id is not None
    template = next(s for s in ws.infusions.list() if s.patient_id == avery_id)
    sessions = tuple(
        ws.infusions.add(replace(template, id=None, patient_id=patient.id, service_date=day)).id
        for day in (date(2026, 9, 1), date(2026, 9, 3), date(2026, 9, 5))
    )
    bill = ws.superbills.issue(SuperbillRequest(infusion_ids=sessions))  # type: ignore[arg-type]
    claim = ws.claims.create(NewClaim(mine.id, superbill_id=bill.id))
    ws.claims.record(claim, NewEvent(EventKind.SUBMITTED, date(2026, 10, 1)))
    billed = ws.claim_views.row(claim).billed
    ws.claims.record(
        claim,
        NewEvent(
            EventKind.DENIED,
            date(2026, 10, 20),
            received_on=date(2026, 10, 24),
            amounts=EobAmounts(allowed=Decimal("0.00"), paid=Decimal("0.00")),
            adjustments=(Adjustment(GroupCode.CO, "50", billed, "N386"),),
        ),
    )
    return bill.id, claim


def _files_holding(roots: list[Path], needles: dict[str, bytes]) -> list[str]:
    """``"<file>: <needle>"`` for every file under ``roots`` that holds one of ``needles``."""
    found = []
    for root in roots:
        for folder, _folders, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                if path.is_symlink() or not path.is_file():
                    continue
                content = path.read_bytes()
                found += [f"{path}: {label}" for label, needle in needles.items() if needle in content]
    return found


def test_an_encrypted_database_and_its_backup_hold_nothing_in_plaintext(
    db_path: Path, tmp_path: Path, icd10: Any
) -> None:
    rng = random.Random(os.urandom(8))
    name = _unique_name(rng)
    member_id = "ZQ" + "".join(rng.choices(string.digits, k=10))
    scan_bytes = PNG + os.urandom(3000) + b"ATTACHMENT-MARKER-" + os.urandom(3000)
    encryption.encrypt(db_path, PASS)
    ws = _open(db_path, icd10, PASS)
    try:
        bill, claim = _denied_claim_of_new_patient(ws, name, member_id)
        letter = ws.appeals.issue(
            claim, ws.appeals.draft(claim).paragraphs, filed_on=TODAY, no_claim_number=True
        )
        outside = tmp_path.parent / f"{tmp_path.name}-scan.png"  # the person's own file, elsewhere
        outside.write_bytes(scan_bytes)
        try:
            attachment = ws.claims.attach(claim, outside, "EOB")
        finally:
            outside.unlink()
        backup = backups.back_up(db_path, passphrase=PASS)
        # What the encrypted file holds, read through its key: the needles are really in there.
        superbill_pdf, letter_pdf = ws.superbills.pdf(bill), ws.appeals.letter_pdf(letter.id)
        assert name in pdf_text(superbill_pdf) and member_id in pdf_text(superbill_pdf)
        assert name in pdf_text(letter_pdf)
        assert ws.claims.attachment_content(attachment.id)[1] == scan_bytes
        assert name in {p.legal_name for p in ws.patients.list()}
        needles = {
            "patient name": name.encode(),
            "member ID": member_id.encode(),
            "attachment bytes": scan_bytes[1000:1064],
            "attachment marker": b"ATTACHMENT-MARKER-",
            "superbill bytes": superbill_pdf[-200:-100],
            "letter bytes": letter_pdf[-200:-100],
        }
        # While the database is open (its write-ahead log beside it) and after it is closed.
        assert _files_holding([tmp_path], {**needles, "a PDF": PDF_MAGIC}) == []
    finally:
        ws.close()
    assert not encryption.is_plain_sqlite(backup)
    assert backups.manifest_for(backup).is_file() and not backups.documents_zip_for(backup).exists()
    assert _files_holding([tmp_path], {**needles, "a PDF": PDF_MAGIC}) == []
    # Nor in the app's own folders. They are shared by the test session (a viewer copy of another test's
    # superbill may sit in the cache), and a PDF's tail or font subset can be byte for byte the same in
    # every superbill: there, look for what only this patient's records hold.
    home = [Path(os.environ[k]) for k in ("KETTRACK_DATA_DIR", "KETTRACK_CACHE_DIR", "KETTRACK_CONFIG_DIR")]
    own = {k: needles[k] for k in ("patient name", "member ID", "attachment bytes")}
    assert _files_holding([p for p in home if p.exists()], own) == []
    # The backup holds every document, readable with the passphrase only.
    connection = encryption.connect(backup, PASS)
    try:
        held = {sha: bytes(c) for sha, c in connection.execute("SELECT sha256, content FROM documents")}
    finally:
        connection.close()
    assert held[letter.sha256] == letter_pdf and held[attachment.sha256] == scan_bytes
    assert sha256(superbill_pdf) in held


# --- (b) a database from before 0004, with its documents folder --------------------------------------


@pytest.fixture(scope="module")
def schema_0003(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[tuple[str, ...]]]:
    """The schema (sqlite_master) of an empty database made by the real migrations up to 0003."""
    root = tmp_path_factory.mktemp("schema-0003")
    scripts = root / "alembic"
    shutil.copytree(migrate.script_location(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    for script in (scripts / "versions").glob("*.py"):
        if script.name[:4] > "0003":
            script.unlink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrate, "script_location", lambda: scripts)
        migrate._revision_graph.cache_clear()
        migrate._script_directory.cache_clear()
        try:
            Database.open(root / "old.sqlite3").close()
        finally:
            migrate._revision_graph.cache_clear()
            migrate._script_directory.cache_clear()
    schema = _schema(root / "old.sqlite3")
    _SCHEMA_0003.update(schema)
    yield schema


_SCHEMA_0003: set[tuple[str, ...]] = set()


def _schema(path: Path) -> set[tuple[str, ...]]:
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
        return set(
            connection.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        )
    finally:
        connection.close()


def _back_to_0003(path: Path) -> None:
    """A database as kettrack before 0004 left it: what 0004 and every later migration added taken
    away, table by table, down to the schema the real migrations up to 0003 make (``_SCHEMA_0003``,
    set by the ``schema_0003`` fixture): tables 0003 did not have are dropped, tables whose definition
    changed are rebuilt from 0003's statement with the columns it had, and indexes follow."""
    assert _SCHEMA_0003, "the schema_0003 fixture runs first"
    old_tables = {name: sql for kind, name, _tbl, sql in _SCHEMA_0003 if kind == "table"}
    old_other = {(kind, name): sql for kind, name, _tbl, sql in _SCHEMA_0003 if kind != "table"}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        # A rename must not rewrite the other tables' references to the table renamed.
        connection.execute("PRAGMA legacy_alter_table=ON")
        connection.execute("BEGIN")
        now = {name: sql for kind, name, _t, sql in connection.execute(_MASTER) if kind == "table"}
        for kind, name, _tbl, sql in list(connection.execute(_MASTER)):
            if kind != "table" and old_other.get((kind, name)) != sql and sql is not None:
                connection.execute(f"DROP {kind.upper()} IF EXISTS {name}")
        for name, sql in now.items():
            if name not in old_tables:
                connection.execute(f"DROP TABLE {name}")
            elif old_tables[name] != sql:
                columns = [row[1] for row in connection.execute(f"PRAGMA table_info({name})")]
                connection.execute(f"ALTER TABLE {name} RENAME TO _rewind_{name}")
                connection.execute(old_tables[name])
                kept = [
                    row[1] for row in connection.execute(f"PRAGMA table_info({name})") if row[1] in columns
                ]
                listed = ", ".join(kept)
                connection.execute(f"INSERT INTO {name} ({listed}) SELECT {listed} FROM _rewind_{name}")
                connection.execute(f"DROP TABLE _rewind_{name}")
        present = {(kind, name) for kind, name, _t, _s in connection.execute(_MASTER)}
        for (kind, name), sql in old_other.items():
            if (kind, name) not in present and sql is not None:
                connection.execute(sql)
        connection.execute("UPDATE alembic_version SET version_num = '0003'")
        connection.execute("COMMIT")
    finally:
        connection.close()


_MASTER = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"


def _named_documents(path: Path) -> list[tuple[str, int, str, str, bytes]]:
    """(folder, record id, file name, sha256, content) of every record naming a document."""
    connection = sqlite3.connect(path)
    try:
        content = {sha: bytes(c) for sha, c in connection.execute("SELECT sha256, content FROM documents")}
        rows = []
        for folder, table in (
            ("superbills", "superbills"),
            ("letters", "appeal_letters"),
            ("attachments", "claim_attachments"),
        ):
            for record_id, name, sha in connection.execute(f"SELECT id, file_name, sha256 FROM {table}"):
                rows.append((folder, record_id, name, sha, content[sha]))
        return rows
    finally:
        connection.close()


def _content_of(ws: Workspace, folder: str, record_id: int) -> bytes:
    if folder == "superbills":
        return ws.superbills.pdf(record_id)
    if folder == "letters":
        return ws.appeals.letter_pdf(record_id)
    return ws.claims.attachment_content(record_id)[1]


def test_an_old_documents_folder_is_moved_in_checked_and_left_in_place(
    workspace: Workspace, db_path: Path, tmp_path: Path, icd10: Any, schema_0003: set[tuple[str, ...]]
) -> None:
    fill_demo(workspace)
    scan = tmp_path / "incoming" / "eob.png"
    scan.parent.mkdir()
    scan.write_bytes(PNG + b"an EOB, scanned" + os.urandom(64))
    workspace.claims.attach(1, scan, "EOB")
    shutil.rmtree(scan.parent)
    named = _named_documents(db_path)
    assert {f for f, *_ in named} == {"superbills", "letters", "attachments"}
    workspace.close()

    # The database as kettrack before 0004 left it: schema 0003, the documents in files beside it.
    _back_to_0003(db_path)
    assert _schema(db_path) == schema_0003  # what the real migrations up to 0003 make
    folder = tmp_path / f"{db_path.stem}-documents"
    for sub, _id, name, _sha, content in named:
        (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / sub / name).write_bytes(content)
    # One superbill file changed since it was issued,
    changed = next(row for row in named if row[0] == "superbills")
    (folder / "superbills" / changed[2]).write_bytes(changed[4].replace(b"%%EOF", b"%%EOF\n% edited"))
    # one letter replaced by a link to a file elsewhere holding the very bytes its record names,
    linked = next(row for row in named if row[0] == "letters")
    elsewhere = tmp_path / "elsewhere" / "letter.pdf"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(linked[4])
    (folder / "letters" / linked[2]).unlink()
    (folder / "letters" / linked[2]).symlink_to(elsewhere)
    # and two attachment rows whose names lead out of the folder, to files holding their bytes.
    secret, absolute = b"root:x:0:0:root:/root:/bin/bash\n", b"%PDF-1.4 a file outside the folder\n"
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_bytes(secret)  # attachments/../../etc/passwd
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(absolute)
    connection = sqlite3.connect(db_path)
    with connection:
        for file_name, content, media_type in (
            ("../../etc/passwd", secret, "application/pdf"),
            (str(outside), absolute, "application/pdf"),
        ):
            connection.execute(
                "INSERT INTO claim_attachments (claim_id, event_id, file_name, original_name, media_type, "
                "size, sha256, description, added_at, added_by) VALUES (1, NULL, ?, 'x.pdf', ?, ?, ?, '', "
                "'2026-11-01 00:00:00.000000', 'someone')",
                (file_name, media_type, len(content), sha256(content)),
            )
    connection.close()
    before = _tree(folder)

    ws = _open(db_path, icd10)
    try:
        assert ws.db.revision == migrate.head_revision() and ws.db.pre_upgrade_backup is not None
        good = [row for row in named if row not in (changed, linked)]
        (notice,) = ws.notices
        assert notice.startswith(f"{len(good)} document(s) from {folder} are now inside the database")
        assert "can be deleted" in notice and "left in place" in notice
        assert (
            f"1 file(s) no longer matched their recorded SHA-256 and were left out ({changed[2]})" in notice
        )
        assert "3 listed file(s) were not found" in notice
        assert linked[2] in notice and "../../etc/passwd" in notice and str(outside) in notice
        # Each good one is in the database, checked; the changed one and the linked one are not.
        for sub, record_id, _name, _sha, content in good:
            assert _content_of(ws, sub, record_id) == content, (sub, record_id)
        for sub, record_id, *_ in (changed, linked):
            with pytest.raises(DocumentMissing, match="missing from the database"):
                _content_of(ws, sub, record_id)
        held = document_shas(db_path)
        assert {r[3] for r in good} <= held
        assert not {changed[3], linked[3], sha256(secret), sha256(absolute)} & held
        # Files are read, never removed or changed; what lay outside the folder was never touched.
        assert _tree(folder) == before
        assert (tmp_path / "etc" / "passwd").read_bytes() == secret and outside.read_bytes() == absolute
        (moved,) = AuditLog(ws.db).entries(action="import")
        assert moved.details == f"{len(good)} documents moved in"
        # The check names what could not be moved in.
        problems = check_database(db_path).problems
        assert any(changed[2].removesuffix(".pdf").split("-v")[0] in p and "missing" in p for p in problems)
        assert any("'x.pdf'" in p and "missing" in p for p in problems)
    finally:
        ws.close()
    # Opened again: nothing more is moved in (and nothing moved twice); the notice still says what is not.
    again = _open(db_path, icd10)
    try:
        assert document_shas(db_path) == held
        assert again.notices and again.notices[0].startswith(f"0 document(s) from {folder}")
        assert len(AuditLog(again.db).entries(action="import")) == 1
    finally:
        again.close()


# --- (c) no document without its record --------------------------------------------------------------


def test_a_record_that_cannot_be_written_leaves_no_document_and_no_file(
    workspace: Workspace, db_path: Path, tmp_path: Path
) -> None:
    fill_demo(workspace)
    before = document_shas(db_path)
    tree = _tree(tmp_path)
    with workspace.db.session() as session:
        for table in ("superbills", "claim_attachments"):
            session.execute(
                text(
                    f"CREATE TRIGGER test_no_{table} BEFORE INSERT ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'no room for {table}'); END"
                )
            )
    # A session not billed yet (the demo's are: a session is billed once).
    first = workspace.infusions.get(1)
    fresh = workspace.infusions.add(replace(first, id=None, service_date=date(2026, 6, 3), payments=()))
    before = document_shas(db_path)
    with pytest.raises(IntegrityError, match="no room for superbills"):
        workspace.superbills.issue(SuperbillRequest(infusion_ids=(fresh.id or 0,)))
    outside = tmp_path.parent / f"{tmp_path.name}-eob.png"
    outside.write_bytes(PNG + os.urandom(256))
    try:
        with pytest.raises(IntegrityError, match="no room for claim_attachments"):
            workspace.claims.attach(1, outside, "EOB")
        with pytest.raises(IntegrityError, match="no room for claim_attachments"):
            workspace.claims.record(
                4, NewEvent(EventKind.NOTE, TODAY, note="called"), attachments=[(outside, "")]
            )
    finally:
        outside.unlink()
    # The PDF and the scan were written in the record's transaction: they went with it.
    assert document_shas(db_path) == before
    changed = {k for k, v in _tree(tmp_path).items() if tree.get(k) != v}
    assert changed <= {db_path.name + "-wal", db_path.name + "-shm"}, changed  # only SQLite's own files
    assert_no_document_files(tmp_path)
    with workspace.db.session() as session:
        for table in ("superbills", "claim_attachments"):
            session.execute(text(f"DROP TRIGGER test_no_{table}"))
    issued = workspace.superbills.issue(SuperbillRequest(infusion_ids=(fresh.id or 0,)))
    assert document_shas(db_path) == before | {issued.sha256}


# --- (d) superbill -o: checked before issuing -------------------------------------------------------


@pytest.fixture
def cli(
    db_path: Path, icd10: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Any:
    from tests.cli.test_cli import Cli

    original = Workspace.__init__

    def init(self: Workspace, db: Any, **kwargs: Any) -> None:
        kwargs.setdefault("today", lambda: TODAY)
        original(self, db, **kwargs)

    monkeypatch.setattr(Workspace, "__init__", init)
    runner = Cli(db_path, capsys)
    assert runner("demo", "--no-claims") == 0, runner.err
    return runner


def test_an_output_file_that_cannot_be_written_is_refused_before_issuing(cli: Any, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("a regular file, not a folder")
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o500)
    targets = [
        ("/nonexistent-folder/x.pdf", "does not exist"),
        (str(afile / "x.pdf"), "does not exist"),  # under a file: no folder to write into
        ("/proc/x.pdf", "cannot be written"),  # a folder no one may create files in, root included
        (str(tmp_path), "is a folder"),
    ]
    if os.geteuid() != 0:  # root ignores permission bits
        targets.append((str(read_only / "x.pdf"), "cannot be written"))
    for target, message in targets:
        assert cli("superbill", "--session", "1", "-o", target) == 2, target
        lines = cli.err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in cli.err, (target, cli.err)
        assert cli.json("superbills", "list") == [], target
    assert document_shas(cli.db) == set() and list(read_only.iterdir()) == []
    # The retry with a good path issues exactly one.
    good = tmp_path / "sb.pdf"
    assert cli("superbill", "--session", "1", "-o", str(good)) == 0, cli.err
    (issued,) = cli.json("superbills", "list")
    assert sha256(good.read_bytes()) == issued["sha256"] and document_shas(cli.db) == {issued["sha256"]}
    # Re-issuing to a bad path issues no version 2 either.
    assert cli("superbills", "reissue", str(issued["id"]), "-o", "/nonexistent-folder/x.pdf") == 2
    assert [r["version"] for r in cli.json("superbills", "list")] == [1]
    assert_no_document_files(tmp_path, except_for=(good,))


def test_a_symbolic_link_as_output_is_refused_before_issuing(cli: Any, tmp_path: Path) -> None:
    real = tmp_path / "real.pdf"
    real.write_bytes(b"mine")
    link, dangling = tmp_path / "link.pdf", tmp_path / "dangling.pdf"
    link.symlink_to(real)
    dangling.symlink_to(tmp_path / "nowhere.pdf")
    for target, extra in ((link, ["--force"]), (dangling, [])):
        assert cli("superbill", "--session", "1", "-o", str(target), *extra) == 2, target
        assert "symbolic link" in cli.err
        assert cli.json("superbills", "list") == [], target
    assert real.read_bytes() == b"mine" and not (tmp_path / "nowhere.pdf").exists()


# --- (e) restore refuses a backup whose documents do not check out ------------------------------------


@pytest.fixture
def with_backup(workspace: Workspace, db_path: Path, schema_0003: set[tuple[str, ...]]) -> tuple[Path, Path]:
    """A filled database (closed) and a backup of it; (database, backup). (schema_0003: what an old-style
    backup is turned back into.)"""
    fill_demo(workspace)
    backup = backups.back_up(db_path)
    workspace.patients.add(PatientRecord("Added After The Backup"))
    workspace.close()
    return db_path, backup


def _restore_refused(db: Path, backup: Path, capsys: pytest.CaptureFixture[str], *messages: str) -> None:
    """``kettrack restore BACKUP --yes`` exits 2 saying why; nothing beside the database changed."""
    root = db.parent
    before = _tree(root)
    assert main(["--db", str(db), "restore", str(backup), "--yes"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "nothing was changed" in err and all(m in err for m in messages), err
    assert _tree(root) == before  # byte for byte: the database, its backups, no staging folder left
    assert not [p for p in root.rglob("*") if "restoring" in p.name]


def test_a_backup_with_an_altered_document_is_refused(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, backup = with_backup
    connection = sqlite3.connect(backup)
    ((sha,),) = connection.execute("SELECT sha256 FROM appeal_letters LIMIT 1").fetchall()
    connection.close()
    tamper(backup, sha, b"%PDF-1.4 a letter that was never issued")
    with pytest.raises(Exception, match="no longer matches its SHA-256"):
        backups.check_backup(backup)
    _restore_refused(db, backup, capsys, "no longer matches its SHA-256")


def test_a_backup_missing_a_document_is_refused(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, backup = with_backup
    connection = sqlite3.connect(backup)
    with connection:
        ((sha,),) = connection.execute("SELECT sha256 FROM superbills LIMIT 1").fetchall()
        connection.execute("DELETE FROM documents WHERE sha256 = ?", (sha,))
    connection.close()
    _restore_refused(db, backup, capsys, "missing")


def _old_style(backup: Path, members: dict[str, bytes] | None = None) -> Path:
    """Turn ``backup`` into one kettrack wrote before 0004 (schema 0003, no documents inside) with a
    ``.documents.zip`` beside it holding ``members`` (default: its real documents); the zip's path."""
    named = _named_documents(backup)
    _back_to_0003(backup)
    backups.manifest_for(backup).unlink(missing_ok=True)
    archive = backups.documents_zip_for(backup)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as opened:
        if members is None:
            members = {f"{sub}/{name}": content for sub, _id, name, _sha, content in named}
        for member, content in members.items():
            opened.writestr(member, content)
    return archive


def test_an_old_style_backup_is_restored_and_its_documents_moved_in(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str], icd10: Any
) -> None:
    db, backup = with_backup
    named = _named_documents(backup)
    _old_style(backup)
    assert main(["--db", str(db), "restore", str(backup), "--yes"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert not [p for p in db.parent.rglob("*") if "restoring" in p.name]
    ws = _open(db, icd10)
    try:
        assert "Added After The Backup" not in {p.legal_name for p in ws.patients.list()}
        assert ws.notices and ws.notices[0].startswith(f"{len(named)} document(s) from ")
        for sub, record_id, _name, _sha, content in named:
            assert _content_of(ws, sub, record_id) == content
    finally:
        ws.close()


def test_an_old_style_zip_beyond_the_member_limit_is_refused(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, backup = with_backup
    size = backups.ZIP_MEMBER_LIMIT + 16 * 1024 * 1024  # 80 MiB of zeros: about 80 KB compressed
    archive = _old_style(backup, {"superbills/SB-2026-000001-v1.pdf": bytes(size)})
    assert archive.stat().st_size < 1024 * 1024
    _restore_refused(db, backup, capsys, "larger than allowed")


def test_an_old_style_zip_beyond_the_total_limit_is_refused(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, backup = with_backup
    # Each member under the member limit, together over the total (lowered so the test stays small):
    # counted as read, the extraction stops at the limit and the staging folder goes.
    monkeypatch.setattr(backups, "ZIP_TOTAL_LIMIT", 12 * 1024 * 1024)
    members = {f"attachments/{n}.pdf": bytes(5 * 1024 * 1024) for n in range(3)}
    _old_style(backup, members)
    _restore_refused(db, backup, capsys, "expands beyond its limits")


@pytest.mark.parametrize("member", ["../x", "superbills/../../x", "/x", "superbills/.hidden", "other/x.pdf"])
def test_an_old_style_zip_naming_a_path_outside_is_refused(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str], member: str
) -> None:
    db, backup = with_backup
    _old_style(backup, {"superbills/ok.pdf": b"%PDF-1.4 fine\n", member: b"escaped"})
    _restore_refused(db, backup, capsys, "unexpected name")
    assert not [p for p in db.parent.parent.rglob("x") if p.is_file()]


def test_check_backup_accepts_a_good_backup_and_the_restore_is_whole(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str], icd10: Any
) -> None:
    db, backup = with_backup
    manifest = json.loads(backups.manifest_for(backup).read_text(encoding="utf-8"))
    assert backups.check_backup(backup) is None  # nothing to stage: the documents are inside
    named = _named_documents(backup)
    assert main(["--db", str(db), "restore", str(backup), "--yes"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    ws = _open(db, icd10)
    try:
        assert ws.notices == []
        for sub, record_id, _name, _sha, content in named:
            assert _content_of(ws, sub, record_id) == content
        # The restored database carries the backup's audit head (then the restore's own entry).
        entries = AuditLog(ws.db).entries(newest_first=False)
        head = next(e for e in entries if e.sequence == manifest["audit_head"]["sequence"])
        assert head.hash == manifest["audit_head"]["hash"] and entries[-1].action == "restore"
    finally:
        ws.close()
    assert hashlib.sha256(b"").hexdigest() not in document_shas(db)
    assert_no_document_files(db.parent)


@pytest.fixture
def other_disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs: another file system, as a USB stick holding a backup is."""
    with mounted_tmpfs(tmp_path / "usb", "64m") as mounted:
        yield mounted


def test_an_old_style_backup_on_another_disk_is_restored_with_its_documents(
    with_backup: tuple[Path, Path], other_disk: Path, capsys: pytest.CaptureFixture[str], icd10: Any
) -> None:
    db, backup = with_backup
    named = _named_documents(backup)
    _old_style(backup)
    on_stick = other_disk / backup.name
    shutil.copyfile(backup, on_stick)
    shutil.copyfile(backups.documents_zip_for(backup), backups.documents_zip_for(on_stick))
    assert main(["--db", str(db), "restore", str(on_stick), "--yes"]) == 0, capsys.readouterr().err
    ws = _open(db, icd10)
    try:
        for sub, record_id, _name, _sha, content in named:
            assert _content_of(ws, sub, record_id) == content
    finally:
        ws.close()


def test_the_command_line_says_when_old_documents_were_moved_in(
    with_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str], icd10: Any
) -> None:
    db, backup = with_backup
    named = _named_documents(backup)
    _old_style(backup)
    assert main(["--db", str(db), "restore", str(backup), "--yes"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["--db", str(db), "patients", "list"]) == 0
    said = capsys.readouterr().err
    assert f"note: {len(named)} document(s) from " in said and "can be deleted" in said
    ws = _open(db, icd10)
    try:
        assert ws.notices == []  # moved once: the next open has nothing to say
        for sub, record_id, _name, _sha, content in named:
            assert _content_of(ws, sub, record_id) == content
    finally:
        ws.close()
