"""Test helpers for documents kept inside the database (schema 0004): a document row read back with
plain ``sqlite3``, one changed or removed as someone holding the file could (the ``documents`` table
refuses UPDATE through a trigger, so the trigger is dropped first, as an attacker would), the text of
a PDF read back with pypdf, and the checks that nothing lands on disk beside the database."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from pathlib import Path

from pypdf import PdfReader

PDF_MAGIC = b"%PDF"


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace folded."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _connect(database: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(database, timeout=10)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


def document_row(database: Path, sha: str) -> tuple[str, int, bytes] | None:
    """(media type, size, content) of the ``documents`` row named ``sha``, read with plain sqlite3."""
    connection = _connect(database)
    try:
        row = connection.execute(
            "SELECT media_type, size, content FROM documents WHERE sha256 = ?", (sha,)
        ).fetchone()
    finally:
        connection.close()
    return None if row is None else (str(row[0]), int(row[1]), bytes(row[2]))


def document_shas(database: Path) -> set[str]:
    connection = _connect(database)
    try:
        return {str(r[0]) for r in connection.execute("SELECT sha256 FROM documents")}
    finally:
        connection.close()


def assert_stored(database: Path, sha: str, media_type: str) -> bytes:
    """The row named ``sha`` exists, is what it says it is, and its bytes hash to its name; its bytes."""
    row = document_row(database, sha)
    assert row is not None, f"no documents row {sha}"
    found_type, size, content = row
    assert found_type == media_type and size == len(content) > 0
    assert sha256(content) == sha
    return content


def tamper(database: Path, sha: str, content: bytes) -> None:
    """Change a document's bytes in place, keeping its name (its SHA-256), as an attacker would."""
    connection = _connect(database)
    try:
        with connection:
            connection.execute("DROP TRIGGER IF EXISTS tr_documents_no_update")
            changed = connection.execute(
                "UPDATE documents SET content = ?, size = ? WHERE sha256 = ?", (content, len(content), sha)
            ).rowcount
        assert changed == 1
    finally:
        connection.close()


def remove(database: Path, sha: str) -> None:
    """Delete a document's row (its records still name it)."""
    connection = _connect(database)
    try:
        with connection:
            assert connection.execute("DELETE FROM documents WHERE sha256 = ?", (sha,)).rowcount == 1
    finally:
        connection.close()


def legacy_folder(database: Path) -> Path:
    """Where kettrack kept documents before they moved into the database: ``<stem>-documents/``."""
    return database.parent / f"{database.stem}-documents"


def assert_no_document_files(root: Path, *, except_for: tuple[Path, ...] = ()) -> None:
    """No ``*-documents`` folder and no PDF anywhere under ``root`` (the documents are in the database),
    but for the files the test itself wrote (``except_for``)."""
    for folder, folders, files in os.walk(root):
        for name in folders:
            assert not name.endswith("-documents"), os.path.join(folder, name)
        for name in files:
            path = Path(folder) / name
            if path in except_for or path.is_symlink() or not path.is_file():
                continue
            with open(path, "rb") as handle:
                assert handle.read(4) != PDF_MAGIC, path
