"""Attachment files read in: checked by their leading bytes and size, then kept inside the database
(kettrack.store.documents) with their SHA-256, in the transaction that records them.

The original file is never referenced again (it may be on a USB stick or in Downloads); the copy in
the database is what the claim keeps, and its hash proves later that it is the file that was attached.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from kettrack.core.attachments import MAX_ATTACHMENT_BYTES, check_attachment
from kettrack.core.problems import InvalidInput


@dataclass(frozen=True)
class IncomingFile:
    """A file the person chose to attach, read and checked, not yet recorded."""

    content: bytes
    stored_name: str  # unique generated name (a suggestion for saved copies; never a path)
    original_name: str
    media_type: str
    sha256: str
    description: str

    @property
    def size(self) -> int:
        return len(self.content)


def read_in(source: Path, description: str = "") -> IncomingFile:
    """Read ``source`` (a file the person picked), checking it by its leading bytes and size."""
    name = source.name[:255]
    try:
        size = source.stat().st_size
        if not source.is_file():
            raise InvalidInput.single("file", f"{name} is not a file")
        if size > MAX_ATTACHMENT_BYTES:
            check_attachment(b"", size, name)
        content = source.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput.single("file", f"{source} does not exist") from exc
    except PermissionError as exc:
        raise InvalidInput.single("file", f"{source} cannot be read (permission denied)") from exc
    media_type, extension = check_attachment(content[:16], len(content), name)
    return IncomingFile(
        content,
        f"{secrets.token_hex(16)}{extension}",
        name,
        media_type,
        hashlib.sha256(content).hexdigest(),
        description.strip(),
    )
