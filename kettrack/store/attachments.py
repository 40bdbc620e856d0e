"""Attachment files: copied into the data folder under generated names, owner-only, with SHA-256.

The original file is never referenced again (it may be on a USB stick or in Downloads); the copy
is what the claim keeps, and its hash proves later that it is the file that was attached.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from kettrack.core.attachments import MAX_ATTACHMENT_BYTES, check_attachment
from kettrack.core.problems import InvalidInput
from kettrack.store.files import sha256_of, write_private
from kettrack.store.location import make_private_dir

# (stored path, original name, media type, sha256, size, description)
Copied = tuple[Path, str, str, str, int, str]


class AttachmentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def copy_in(self, source: Path, description: str = "") -> Copied:
        """Check ``source`` by its leading bytes and size, then copy it in; returns what to record."""
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
        stored = make_private_dir(self.folder) / f"{secrets.token_hex(16)}{extension}"
        write_private(stored, content)
        return (
            stored,
            name,
            media_type,
            hashlib.sha256(content).hexdigest(),
            len(content),
            description.strip(),
        )

    def problem(self, file_name: str, sha256: str) -> str | None:
        path = self.folder / file_name
        if not path.is_file():
            return "the file is missing"
        if sha256_of(path) != sha256:
            return "the file was changed after it was attached"
        return None

    def verified(self, file_name: str, sha256: str) -> Path:
        problem = self.problem(file_name, sha256)
        if problem:
            raise InvalidInput.single("attachment", problem)
        return self.folder / file_name
