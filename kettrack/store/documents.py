"""Issued documents in the database: superbills, letters and attachments as rows of ``documents``,
content-addressed by SHA-256 and written in the caller's transaction, so a document exists exactly
when the record that issued it does (no orphan file after a failed issue or import, nothing outside
the encrypted file, nothing per desk on a shared server).

``adopt_folder`` moves the files of a database from before documents lived inside it (the old
``<database>-documents/`` folder) in, each checked against the SHA-256 its record holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.problems import InvalidInput, Problem
from kettrack.store.models import AppealLetterEntry, ClaimAttachment, Document, IssuedSuperbill
from kettrack.store.types import utcnow

PDF = "application/pdf"


class DocumentMissing(InvalidInput):
    """A record names a document whose bytes are not in the database (or no longer match)."""

    def __init__(self, what: str, problem: str) -> None:
        super().__init__([Problem("document", f"{what}: {problem}")])


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def put(session: Session, content: bytes, media_type: str) -> str:
    """Store ``content`` (once: the same bytes are one row) in the caller's transaction; its SHA-256."""
    if not content:
        raise InvalidInput.single("document", "is empty")
    sha = digest(content)
    if session.get(Document, sha) is None:
        session.add(
            Document(
                sha256=sha,
                media_type=media_type[:40],
                size=len(content),
                content=content,
                created_at=utcnow(),
            )
        )
        session.flush()
    return sha


def content(session: Session, sha256: str, what: str = "the document") -> bytes:
    """The bytes recorded under ``sha256``, checked against it (DocumentMissing if absent or altered)."""
    data = session.scalar(select(Document.content).where(Document.sha256 == sha256))
    if data is None:
        raise DocumentMissing(what, "its content is missing from the database")
    data = bytes(data)
    if digest(data) != sha256:
        raise DocumentMissing(what, "its content no longer matches its SHA-256")
    return data


def problems(session: Session, shas: Iterable[str]) -> dict[str, str]:
    """For each SHA-256 that is missing or whose bytes no longer match: the problem, in words."""
    wanted = set(shas)
    found: dict[str, str] = {}
    seen: set[str] = set()
    chunk: list[str] = []

    def flush() -> None:
        for sha, data in session.execute(
            select(Document.sha256, Document.content).where(Document.sha256.in_(chunk))
        ):
            seen.add(sha)
            if digest(bytes(data)) != sha:
                found[sha] = "its content no longer matches its SHA-256"
        chunk.clear()

    for sha in wanted:
        chunk.append(sha)
        if len(chunk) >= 500:
            flush()
    if chunk:
        flush()
    for sha in wanted - seen:
        found[sha] = "its content is missing from the database"
    return found


# --- the folder of a database from before 0004 ---------------------------------------------------


@dataclass(frozen=True)
class Adopted:
    """What ``adopt_folder`` did: documents moved in, and the ones it could not (missing or changed)."""

    moved: int
    missing: tuple[str, ...]
    changed: tuple[str, ...]
    folder: Path

    def describe(self) -> str:
        parts = [f"{self.moved} document(s) from {self.folder} are now inside the database"]
        if self.missing:
            parts.append(f"{len(self.missing)} listed file(s) were not found ({', '.join(self.missing[:3])})")
        if self.changed:
            parts.append(
                f"{len(self.changed)} file(s) no longer matched their recorded SHA-256 and were left out "
                f"({', '.join(self.changed[:3])})"
            )
        parts.append("the old folder was left in place and can be deleted once you have checked it")
        return "; ".join(parts)


def _legacy_rows(session: Session) -> list[tuple[str, str, str]]:
    """(sub-folder, file name, sha256) of every record that names a document."""
    rows: list[tuple[str, str, str]] = []
    rows += [
        ("superbills", n, s)
        for n, s in session.execute(select(IssuedSuperbill.file_name, IssuedSuperbill.sha256))
    ]
    rows += [
        ("letters", n, s)
        for n, s in session.execute(select(AppealLetterEntry.file_name, AppealLetterEntry.sha256))
    ]
    rows += [
        ("attachments", n, s)
        for n, s in session.execute(select(ClaimAttachment.file_name, ClaimAttachment.sha256))
    ]
    return rows


def adopt_folder(session: Session, folder: Path) -> Adopted | None:
    """Move the documents of the old per-database folder in (in the caller's transaction); None when
    there is no such folder or nothing in it is still needed. Files are read, never removed; only a
    plain file name inside the folder's own sub-folder is followed."""
    if not folder.is_dir():
        return None
    needed = [(sub, name, sha) for sub, name, sha in _legacy_rows(session)]
    if not needed:
        return None
    present = set(
        session.scalars(select(Document.sha256).where(Document.sha256.in_({s for _, _, s in needed})))
    )
    moved, missing, changed = 0, [], []
    for sub, name, sha in needed:
        if sha in present:
            continue
        if not name or Path(name).name != name or name.startswith("."):
            missing.append(name)
            continue
        path = folder / sub / name
        try:
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        except OSError:
            data = None
        if data is None:
            missing.append(name)
            continue
        if digest(data) != sha:
            changed.append(name)
            continue
        put(session, data, PDF if name.lower().endswith(".pdf") else _sniff(data))
        present.add(sha)
        moved += 1
    if not moved and not missing and not changed:
        return None
    return Adopted(moved, tuple(missing), tuple(changed), folder)


def _sniff(data: bytes) -> str:
    from kettrack.core.attachments import check_attachment

    try:
        return check_attachment(data[:16], len(data), "document")[0]
    except InvalidInput:
        return "application/octet-stream"
