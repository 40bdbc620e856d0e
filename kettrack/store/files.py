"""Files kettrack writes (exports, superbills, letters): owner-only from the first byte, and atomic."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from kettrack.core.problems import InvalidInput

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISLNK, "symbolic link"),
    (stat.S_ISCHR, "device"),
    (stat.S_ISBLK, "device"),
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
)


def write_private(path: Path, content: str | bytes, *, overwrite: bool = False) -> None:
    """Write a file readable by its owner only (0600), atomically: a temp name, then a rename.

    The temp file is created with mode 0600 from the start, so the health data is never readable by
    others, not even for a moment; a crash leaves either the old file or the new one, never half.
    ``overwrite`` replaces a regular file only (see ``existing_regular_file``).
    """
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"{path} already exists; choose another name or allow overwriting")
    existing_regular_file(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        # Make the rename itself durable: without this a power cut can lose the new name.
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


def existing_regular_file(path: Path) -> bool:
    """Whether a regular file is at ``path`` (False: nothing is); anything else raises ``InvalidInput``.

    A rename onto ``path`` would put the data in place of a device, a pipe, a socket or a link
    (``export /dev/full --force`` once replaced the device node), so only a regular file may be
    replaced; a folder would fail later with a less helpful error.
    """
    try:
        # lstat: a link is judged as the link (even one leading nowhere), not as what it leads to.
        found = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISREG(found.st_mode):
        return True
    kind = next((name for test, name in _KINDS if test(found.st_mode)), "special file")
    raise InvalidInput.single(
        "file",
        f"{path} is a {kind}, not a regular file; only regular files are replaced: choose another name",
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
