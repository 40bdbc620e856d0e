"""The ``documents`` section of an export (format 4): the bytes of every issued document (superbills,
appeal letters, claim attachments) once, keyed by SHA-256, read from the database on export and
checked on import against its hash, its leading bytes and every record that names it.

The rows that issue a document name it only by ``sha256``; their ``file_name`` is the suggested name
of a saved copy, never a path. Formats 1-3 carried the bytes beside the rows (a superbill's
``pdf_base64``, the claims' file sections keyed by file name); an import maps each such content to its
SHA-256 and treats it exactly like a format-4 document.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.attachments import MAX_ATTACHMENT_BYTES, sniff
from kettrack.core.problems import InvalidInput, Problem
from kettrack.store import documents
from kettrack.store.models import Document

__all__ = [
    "DOCUMENTS_SECTION",
    "PDF",
    "CheckedDocument",
    "DocumentRef",
    "check_documents",
    "export_documents",
    "import_documents",
    "sha256_problem",
]

DOCUMENTS_SECTION = "documents"
PDF = documents.PDF
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DocumentRef:
    """A record of the file that names a document: what the document must be for the record to hold."""

    label: str  # the record, as problems name it: "superbills[2] (id 2)"
    sha256: str
    media_type: str
    size: int | None = None  # an attachment records its size; superbills and letters do not
    # Formats 1-3 only: the base64 content the record carried (None: the file said it was missing)
    # and where in the file it was.
    legacy_content: str | None = None
    legacy_where: str = ""


@dataclass(frozen=True)
class CheckedDocument:
    media_type: str
    content: bytes


def sha256_problem(value: str) -> str | None:
    return None if _SHA256.fullmatch(value) else "is not a SHA-256 (64 lowercase hexadecimal digits)"


def export_documents(session: Session, named: Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """The ``documents`` section: every document a record names, ``(what, sha256)``, read from the
    database and checked against its hash. Refuses (InvalidInput, listing each) when any is missing or
    altered: the file would name documents it does not hold, and no import would take it."""
    wanted: dict[str, str] = {}
    for what, sha in named:
        wanted.setdefault(sha, what)
    media_types: dict[str, str] = {
        sha: media_type for sha, media_type in session.execute(select(Document.sha256, Document.media_type))
    }
    section: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for sha in sorted(wanted):
        try:
            content = documents.content(session, sha, wanted[sha])
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        section[sha] = {
            "media_type": media_types[sha],
            "base64": base64.b64encode(content).decode("ascii"),
        }
    if problems:
        problems.append(
            Problem("export", "nothing was exported: run 'kettrack check' to see every damaged record")
        )
        raise InvalidInput(problems)
    return section


def _decode_content(raw: Any) -> tuple[bytes | None, str | None]:
    """The bytes of base64 ``raw`` and what is wrong with them as a document (None: nothing)."""
    if not isinstance(raw, str):
        return None, "must be the document's content in base64 text"
    if len(raw) > (MAX_ATTACHMENT_BYTES * 4) // 3 + 4:
        return None, f"is larger than a document may be ({MAX_ATTACHMENT_BYTES // 1048576} MB)"
    try:
        content = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None, "is not base64"
    if not content:
        return None, "is empty"
    return content, None


def check_documents(
    raw: Any, refs: list[DocumentRef], *, legacy: bool
) -> tuple[dict[str, CheckedDocument], list[Problem]]:
    """The documents to store, each checked against its SHA-256, its leading bytes and every record
    that names it. ``raw`` is the format-4 ``documents`` section; ``legacy`` files carry the content in
    the records instead (``DocumentRef.legacy_content``)."""
    problems: list[Problem] = []
    found: dict[str, CheckedDocument] = {}
    offered: dict[str, tuple[Any, bytes]] = {}  # sha256 -> (media type, content) as the file gives them
    broken: set[str] = set()  # offered, but not usable: the problem is reported once, where it is

    if legacy:
        for ref in refs:
            if ref.legacy_content is None:
                continue
            content, problem = _decode_content(ref.legacy_content)
            if problem is None and content is not None and documents.digest(content) != ref.sha256:
                problem = "does not match the recorded SHA-256: the document was altered"
            if problem is not None or content is None:
                problems.append(Problem(f"{ref.label}: {ref.legacy_where}", problem or "is empty"))
                broken.add(ref.sha256)
                continue
            offered.setdefault(ref.sha256, (ref.media_type, content))
    elif not isinstance(raw, dict):
        problems.append(Problem(DOCUMENTS_SECTION, "must be an object of SHA-256 to document"))
    else:
        for number, (sha, item) in enumerate(raw.items(), start=1):
            if problem := sha256_problem(sha):
                problems.append(Problem(f"{DOCUMENTS_SECTION}[{number}]", f"{sha[:80]!r} {problem}"))
                continue
            where = f"{DOCUMENTS_SECTION}.{sha}"
            if not isinstance(item, dict) or set(item) != {"media_type", "base64"}:
                problems.append(Problem(where, 'must be an object with "media_type" and "base64" (only)'))
                broken.add(sha)
                continue
            content, problem = _decode_content(item["base64"])
            if problem is None and content is not None and documents.digest(content) != sha:
                problem = "does not match its SHA-256: the document was altered"
            if problem is not None or content is None:
                problems.append(Problem(f"{where}.base64", problem or "is empty"))
                broken.add(sha)
                continue
            offered[sha] = (item["media_type"], content)
    for sha, (media_type, content) in offered.items():
        where = f"{DOCUMENTS_SECTION}.{sha}"
        kind = sniff(content[:16])
        if kind is None:
            problems.append(Problem(where, "is not a PDF, PNG, JPEG or TIFF file"))
        elif media_type != kind[0]:
            shown = str(media_type)[:60]
            problems.append(Problem(f"{where}.media_type", f"{shown!r}, but the content is {kind[0]}"))
        else:
            found[sha] = CheckedDocument(kind[0], content)
    named: set[str] = set()
    for ref in refs:
        named.add(ref.sha256)
        document = found.get(ref.sha256)
        if document is None:
            if ref.sha256 not in offered and ref.sha256 not in broken:
                problems.append(Problem(f"{ref.label}: sha256", "its document is not in the file"))
            continue
        if document.media_type != ref.media_type:
            problems.append(
                Problem(f"{ref.label}: media_type", f"the document it names is {document.media_type}")
            )
        if ref.size is not None and ref.size != len(document.content):
            problems.append(
                Problem(f"{ref.label}: size", f"the document it names has {len(document.content):,} bytes")
            )
    for sha in sorted((set(offered) | broken) - named):
        problems.append(
            Problem(
                f"{DOCUMENTS_SECTION}.{sha}", "no record in the file names it (refused rather than dropped)"
            )
        )
    return found, problems


def import_documents(session: Session, checked: dict[str, CheckedDocument]) -> None:
    """Store the file's documents in the import's transaction (each once, by its SHA-256)."""
    for sha, document in sorted(checked.items()):
        stored = documents.put(session, document.content, document.media_type)
        assert stored == sha  # checked against the hash before; a difference would be a bug here
