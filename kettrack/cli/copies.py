"""Copies a person asks for (``-o FILE.pdf`` on an issued superbill, ``--letter`` on an appeal): the
target is checked before anything is issued, and the copy written after, owner-only.
"""

from __future__ import annotations

from pathlib import Path

from kettrack.cli.kit import UsageError


def output_target(target: str | None, force: bool, example: str = "superbill.pdf") -> Path | None:
    """Check, before anything is issued, that a copy can be written to ``target``: an unwritable path
    must not leave an issued superbill (or letter) behind whose copy never arrived, and a retry would
    issue a duplicate. Proven by creating (and removing) an owner-only file in the target's folder."""
    if not target:
        return None
    import os
    import tempfile

    from kettrack.core.problems import InvalidInput
    from kettrack.services.saving import existing_regular_file

    path = Path(target)
    if path.is_dir() and not path.is_symlink():
        raise UsageError(f"{path} is a folder: give a file name like {example}")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{folder} does not exist: create the folder first, or give another file name")
    try:
        # lstat, not stat: a link (even one leading nowhere) is refused here, before anything is issued.
        exists = existing_regular_file(path)
    except InvalidInput as exc:
        raise UsageError(exc.problems[0].message) from exc
    if exists and not force:
        raise UsageError(f"{path} already exists: choose another name, or add --force to replace it")
    try:
        fd, probe = tempfile.mkstemp(prefix=".kettrack-probe-", dir=folder)
    except OSError as exc:
        raise UsageError(f"{path} cannot be written ({exc.strerror or exc}): nothing was issued") from exc
    os.close(fd)
    os.unlink(probe)
    return path


def copy_out(number: str, content: bytes, path: Path | None, command_hint: str) -> str:
    """Write the copy (checked writable beforehand); if it fails now, say what was issued and how to
    get the copy, instead of suggesting a retry that would issue again. Returns " and PATH" for the
    line that reports the issue, or nothing without a copy."""
    if path is None:
        return ""
    from kettrack.services.saving import write_private

    try:
        write_private(path, content, overwrite=True)
    except OSError as exc:
        raise UsageError(
            f"{number} was issued, but its copy could not be written to {path} ({exc.strerror or exc}); "
            f"do not issue it again: {command_hint}"
        ) from exc
    return f" and {path}"
