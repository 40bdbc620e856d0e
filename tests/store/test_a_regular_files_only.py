"""``write_private(..., overwrite=True)`` replaces regular files only: a device, a named pipe, a
symbolic link or a folder at the name is refused and left as it was (``export /dev/full --force``
once replaced the device node with the export)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kettrack.core.problems import InvalidInput
from kettrack.store.files import write_private


def _left_clean(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # no temp file either


def test_a_named_pipe_is_not_replaced(tmp_path: Path) -> None:
    pipe = tmp_path / "export.json"
    os.mkfifo(pipe)
    with pytest.raises(InvalidInput) as refused:
        write_private(pipe, "{}\n", overwrite=True)
    assert refused.value.problems[0].field == "file"
    assert "named pipe, not a regular file" in str(refused.value)
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    _left_clean(tmp_path)


def test_a_symbolic_link_is_not_replaced_nor_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("theirs")
    link = tmp_path / "export.json"
    link.symlink_to(target)
    with pytest.raises(InvalidInput, match="symbolic link, not a regular file"):
        write_private(link, "{}\n", overwrite=True)
    assert link.is_symlink() and target.read_text() == "theirs"
    dangling = tmp_path / "nowhere.json"
    dangling.symlink_to(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="symbolic link"):
        write_private(dangling, "{}\n", overwrite=True)
    with pytest.raises(FileExistsError):  # a link leading nowhere is still something at that name
        write_private(dangling, "{}\n")
    assert dangling.is_symlink() and not (tmp_path / "missing").exists()
    _left_clean(tmp_path)


def test_a_folder_is_not_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "export.json"
    folder.mkdir()
    with pytest.raises(InvalidInput, match="folder, not a regular file"):
        write_private(folder, "{}\n", overwrite=True)
    assert folder.is_dir()


def test_a_regular_file_is_still_replaced(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new", overwrite=True)
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    _left_clean(tmp_path)
