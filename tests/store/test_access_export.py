"""Right of access: one patient's complete record, as a zip or a folder, owner-only, with their
documents checked against their hashes, the audit entries about them, and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

from kettrack.store.access_export import export_patient
from kettrack.store.audit import AuditLog
from kettrack.store.demo import fill_demo
from kettrack.store.workspace import Workspace


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
    assert {"README.txt", "record.json", "sessions.csv", "claims.csv", "audit.csv"} <= names
    assert any(n.startswith("documents/letters/AP-") for n in names)
    assert {s["patient_id"] for s in record["sessions"]} == {1} and len(record["claims"]) == 4
    assert all(c["row"]["patient_id"] == 1 for c in record["claims"])
    assert "Harold" not in json.dumps(record)
    assert any(e["action"] == "update" and e["record"] == "patient 1" for e in record["audit"])
    header = claims[0]
    patient_cells = [row[header.index("patient_name")] for row in claims[1:]]
    assert patient_cells and all(cell.startswith("'=HYPERLINK") for cell in patient_cells)
    assert "MISSING" not in documents and "CHANGED" not in documents
    assert AuditLog(workspace.db).entries(action="export")[0].record_id == 1


def test_a_folder_is_owner_only_throughout(workspace: Workspace, tmp_path: Path) -> None:
    fill_demo(workspace)
    folder = export_patient(workspace, 2, tmp_path / "harold")
    for path in [folder, *folder.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
