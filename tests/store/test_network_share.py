"""A database on a network share gets a warning pointing to the shared PostgreSQL mode."""

from __future__ import annotations

from pathlib import Path

from kettrack.store.location import network_filesystem, network_warning

MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
server:/export/office /mnt/office nfs4 rw,relatime 0 0
//nas/share /mnt/nas cifs rw 0 0
tmpfs /mnt/office/local tmpfs rw 0 0
"""


def test_network_file_systems_are_recognised() -> None:
    assert network_filesystem(Path("/mnt/office/kettrack.sqlite3"), MOUNTS) == "nfs4"
    assert network_filesystem(Path("/mnt/nas/a/b.sqlite3"), MOUNTS) == "cifs"
    assert network_filesystem(Path("/mnt/office/local/k.sqlite3"), MOUNTS) is None  # a local mount inside
    assert network_filesystem(Path("/home/me/k.sqlite3"), MOUNTS) is None
    assert network_filesystem(Path("/mnt/officeX/k.sqlite3"), MOUNTS) is None
    warning = network_warning(Path("/mnt/nas/k.sqlite3"), MOUNTS)
    assert warning is not None and "PostgreSQL" in warning and "cifs" in warning
