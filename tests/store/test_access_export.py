"""Right of access: one patient's complete record, as a zip or a folder, owner-only, with their
documents (read from the database) checked against their hashes, the audit entries about them, and
spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from kettrack.services.access_export import export_patient
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store.audit import AuditLog
from kettrack.store.models import AppealLetterEntry, Claim
from tests.store.stored_documents import assert_no_document_files, document_shas, tamper


def test_a_zip_holds_the_whole_record_and_nothing_of_others(workspace: Workspace, tmp_path: Path) -> None:
    fill_demo(workspace)
    avery = workspace.patients.get(1)
    workspace.patients.update(replace(avery, legal_name="=HYPERLINK(1)"))
    target = export_patient(workspace, 1, tmp_path / "avery.zip")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        record = json.loads(archive.read("record.json"))
        claims = list(csv.reader(io.StringIO(archive.read("claims.csv").decode())))
        documents = archive.read("documents.txt").decode()
        carried = {n: archive.read(n) for n in names if n.startswith("documents/")}
    assert {"README.txt", "record.json", "sessions.csv", "claims.csv", "audit.csv"} <= names
    assert any(n.startswith("documents/letters/AP-") for n in names)
    assert any(n.startswith("documents/superbills/SB-") for n in names)
    # Each document carried is the database's own copy, byte for byte (its SHA-256 is a documents row).
    database = workspace.db.target.sqlite_path
    assert database is not None
    held = document_shas(database)
    assert all(hashlib.sha256(content).hexdigest() in held for content in carried.values())
    assert all(
        c.startswith(b"%PDF") for n, c in carried.items() if not n.startswith("documents/attachments/")
    )
    assert {s["patient_id"] for s in record["sessions"]} == {1} and len(record["claims"]) == 5
    assert all(c["row"]["patient_id"] == 1 for c in record["claims"])
    assert "Harold" not in json.dumps(record)
    assert any(e["action"] == "update" and e["record"] == "patient 1" for e in record["audit"])
    header = claims[0]
    patient_cells = [row[header.index("patient_name")] for row in claims[1:]]
    assert patient_cells and all(cell.startswith("'=HYPERLINK") for cell in patient_cells)
    assert "MISSING" not in documents and "CHANGED" not in documents
    assert AuditLog(workspace.db).entries(action="export")[0].record_id == 1


def test_a_changed_document_is_named_and_left_out(workspace: Workspace, tmp_path: Path) -> None:
    fill_demo(workspace)
    database = workspace.db.target.sqlite_path
    assert database is not None
    with workspace.db.reader() as session:
        number, sha = session.execute(
            select(AppealLetterEntry.number, AppealLetterEntry.sha256)
            .join(Claim, Claim.id == AppealLetterEntry.claim_id)
            .where(Claim.patient_id == 1)
        ).first()  # type: ignore[misc]
    tamper(database, sha, b"%PDF-1.4 forged letter")
    target = export_patient(workspace, 1, tmp_path / "avery.zip")
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        documents = archive.read("documents.txt").decode()
        carried = [archive.read(n) for n in names if n.startswith("documents/")]
    line = next(x for x in documents.splitlines() if f"letters/{number}.pdf" in x)
    assert line.startswith("MISSING") and "no longer matches its SHA-256" in line
    assert f"documents/letters/{number}.pdf" not in names
    assert all(b"forged letter" not in content for content in carried)
    assert "ok      superbills/SB-" in documents  # the others still come


def test_a_folder_is_owner_only_throughout(workspace: Workspace, tmp_path: Path) -> None:
    fill_demo(workspace)
    folder = export_patient(workspace, 2, tmp_path / "harold")
    for path in [folder, *folder.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert any((folder / "documents" / "superbills").glob("SB-*.pdf"))
    # The PDFs are in the export the person asked for, and nowhere else beside the database.
    assert_no_document_files(tmp_path, except_for=tuple(folder.rglob("*.pdf")))


def test_two_attachments_with_one_name_both_come(workspace: Workspace, tmp_path: Path) -> None:
    fill_demo(workspace)
    claim = workspace.claim_views.rows()[0]
    scans = []
    for n in (1, 2):
        folder = tmp_path / f"scanner-{n}"
        folder.mkdir()
        (folder / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([n]) * 40)
        workspace.claims.attach(claim.id, folder / "scan.png")
        scans.append((folder / "scan.png").read_bytes())
    target = export_patient(workspace, claim.patient_id, tmp_path / "export.zip")
    with zipfile.ZipFile(target) as archive:
        carried = [archive.read(n) for n in archive.namelist() if n.startswith("documents/attachments/")]
    assert all(scan in carried for scan in scans)
