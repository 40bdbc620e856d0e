"""Copies of issued documents for the system's viewer and for printing from it: the documents live in
the database, and an outside program can only open a file. Each copy is owner-only from its first
byte (in an owner-only folder of the user cache), removed when kettrack exits, and any copy left by
a kettrack that was killed is removed at the next start once it is an hour old (a viewer of another
kettrack still running may have a newer one open)."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import time
from pathlib import Path

from kettrack.store.location import cache_dir, make_private_dir

STALE_SECONDS = 3600
_MINE: list[Path] = []


def _root() -> Path:
    return cache_dir() / "viewer-copies"


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in ".-_ " else "_" for c in name).strip(" .")
    return cleaned[:120] or "document.pdf"


def write_copy(content: bytes, name: str) -> Path:
    """Write ``content`` to a fresh owner-only file named ``name`` (made safe); returns its path."""
    folder = make_private_dir(_root()) / secrets.token_hex(8)
    folder.mkdir(mode=0o700)
    path = folder / _safe(name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    if not _MINE:
        atexit.register(remove_mine)
    _MINE.append(folder)
    return path


def remove_mine() -> None:
    """Remove the copies this process made (at exit)."""
    while _MINE:
        shutil.rmtree(_MINE.pop(), ignore_errors=True)


def sweep_stale(now: float | None = None) -> int:
    """Remove copies left by earlier runs (older than an hour); returns how many folders went."""
    root = _root()
    if not root.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - STALE_SECONDS
    removed = 0
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime >= limit:
                continue
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink()
            removed += 1
        except OSError:
            continue
    return removed
