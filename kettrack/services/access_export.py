"""Right of access (HIPAA 45 CFR 164.524): one patient's complete record as a folder or a zip — their
data as JSON and as spreadsheet-safe CSV, their documents (superbills, appeal letters, claim
attachments, each checked against its recorded SHA-256) and the audit entries about them — with a
README saying what is where. Everything written is readable by the owner only."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from kettrack.core.claims import ClaimFilter
from kettrack.core.csv_safety import neutralize
from kettrack.core.rows import InfusionFilter
from kettrack.services.transfer import encode_record
from kettrack.services.workspace import Workspace
from kettrack.store import audit
from kettrack.store.documents import DocumentMissing
from kettrack.store.documents import content as stored_document
from kettrack.store.files import existing_regular_file, write_private
from kettrack.store.location import make_private_dir
from kettrack.store.models import AppealLetterEntry, AuditLogEntry, ClaimAttachment, IssuedSuperbill

README = """This folder holds the complete record kettrack keeps about one person, as of {when}.

record.json      every record: the patient, their insurance plans, treatment history, sessions
                 (with diagnoses, doses, scores and payments), superbills, claims with their whole
                 history of events, prior authorizations and appeal letters
*.csv            the same sessions, claims and audit entries as spreadsheets (cells that a
                 spreadsheet would run as formulas start with an apostrophe)
documents/       the issued superbills, appeal letters and claim attachments, as kept
audit.csv        who looked at or changed these records, when and from which machine

Files marked MISSING or CHANGED in documents.txt no longer match what kettrack recorded.
"""


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: neutralize(json.dumps(v) if isinstance(v, list | dict) else v) for k, v in row.items()}
            )
    return buffer.getvalue()


def gather(ws: Workspace, patient_id: int) -> tuple[dict[str, Any], dict[str, bytes], list[str]]:
    """The record as JSON-ready data, the documents by relative name, and notes about the files."""
    patient = ws.patients.get(patient_id)
    sessions = ws.infusions.list(InfusionFilter(patient_id=patient_id))
    claims = [ws.claim_views.get(r.id) for r in ws.claim_views.rows(ClaimFilter(patient_id=patient_id))]
    data: dict[str, Any] = {
        "patient": encode_record(patient),
        "coverages": [encode_record(c) for c in ws.coverages.for_patient(patient_id)],
        "treatments": [encode_record(t) for t in ws.treatments.for_patient(patient_id)],
        "sessions": [encode_record(s) for s in sessions],
        "superbills": [encode_record(s) for s in ws.superbills.list(patient_id=patient_id)],
        "claims": [encode_record(c) for c in claims],
        "prior_authorizations": [encode_record(a) for a in ws.auths.auths(patient_id)],
    }
    files: dict[str, bytes] = {}
    notes: list[str] = []
    claim_ids = [c.row.id for c in claims]
    with ws.db.reader() as session:
        documents: list[tuple[str, str, str]] = [
            (f"superbills/{name}", f"superbills/{name}", sha)
            for name, sha in session.execute(
                select(IssuedSuperbill.file_name, IssuedSuperbill.sha256).where(
                    IssuedSuperbill.patient_id == patient_id
                )
            )
        ]
        if claim_ids:
            documents += [
                (f"letters/{name}", f"letters/{name}", sha)
                for name, sha in session.execute(
                    select(AppealLetterEntry.file_name, AppealLetterEntry.sha256).where(
                        AppealLetterEntry.claim_id.in_(claim_ids)
                    )
                )
            ]
            documents += [
                # The attachment's id in the name: one claim may hold two files of the same name.
                (f"attachments/{name}", f"attachments/{claim}-{number}-{original}", sha)
                for name, original, claim, sha, number in session.execute(
                    select(
                        ClaimAttachment.file_name,
                        ClaimAttachment.original_name,
                        ClaimAttachment.claim_id,
                        ClaimAttachment.sha256,
                        ClaimAttachment.id,
                    ).where(ClaimAttachment.claim_id.in_(claim_ids))
                )
            ]
        kinds_ids = [("patient", patient_id), *(("claim", i) for i in claim_ids)]
        kinds_ids += [("infusion", s.id) for s in sessions if s.id is not None]
        conditions = [(AuditLogEntry.record_kind == k) & (AuditLogEntry.record_id == i) for k, i in kinds_ids]
        entries = session.scalars(
            select(AuditLogEntry).where(or_(*conditions)).order_by(AuditLogEntry.sequence)
        )
        data["audit"] = [
            {
                "sequence": e.sequence,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "machine": e.machine,
                "action": e.action,
                "record": f"{e.record_kind} {e.record_id}",
                "details": e.details,
            }
            for e in entries
        ]
        for _stored, shown, sha in documents:
            folder_name, _, name = shown.partition("/")
            try:
                content = stored_document(session, sha, shown)
            except DocumentMissing as exc:
                notes.append(f"MISSING {shown} ({exc.problems[0].message})")
                continue
            notes.append(f"ok      {shown}")
            files[f"documents/{folder_name}/{_safe_name(name)}"] = content
    return data, files, notes


def _safe_name(name: str) -> str:
    """A member name from a stored name: letters, digits and . - _ only (an attachment's original name
    came from the person's own disk and may hold anything)."""
    cleaned = "".join(c if c.isalnum() or c in ".-_" else "_" for c in name).lstrip(".")
    return cleaned[:120] or "document"


def export_patient(ws: Workspace, patient_id: int, destination: Path, *, overwrite: bool = False) -> Path:
    """Write the record to ``destination`` (a ``.zip`` file, or else a new folder); returns it."""
    from datetime import UTC, datetime

    data, files, notes = gather(ws, patient_id)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    contents: dict[str, bytes] = {
        "README.txt": README.format(when=when).encode(),
        "record.json": json.dumps(data, indent=2, ensure_ascii=False).encode(),
        "sessions.csv": _csv(data["sessions"]).encode(),
        "claims.csv": _csv([c["row"] for c in data["claims"]]).encode(),
        "audit.csv": _csv(data["audit"]).encode(),
        "documents.txt": ("\n".join(notes) + "\n").encode(),
        **files,
    }
    if destination.exists() and not overwrite:
        raise FileExistsError(f"{destination} already exists; choose another name")
    if destination.suffix.lower() == ".zip":
        existing_regular_file(destination)  # --force replaces a file, never a device, pipe or link
        fd, temp = tempfile.mkstemp(prefix=".access-", suffix=".zip", dir=destination.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, content in contents.items():
                    archive.writestr(name, content)
            # mkstemp made it 0600 from its first byte.
            os.replace(temp, destination)
        finally:
            Path(temp).unlink(missing_ok=True)
    else:
        make_private_dir(destination)
        for name, content in contents.items():
            folder = destination
            for part in Path(name).parent.parts:  # each level owner-only, not just the last
                folder = make_private_dir(folder / part)
            write_private(folder / Path(name).name, content, overwrite=overwrite)
    with ws.db.session() as session:
        audit.record(session, "export", "patient", patient_id, f"right of access: {destination.name}")
    return destination
