"""The audit chain's head anchors, kept in files the database cannot reach; and where kettrack keeps
things outside the database: the config folder, its owner-only subfolders, and the database ids
that name files there. (Why anchors and seals at all: ``kettrack.store.audit_anchor``.)

The head of the chain (last sequence, its hash, its seal) is recorded in the config folder (a small
JSON file per database id, in two slots written in turn after every commit that appended entries:
``write_config_anchor`` says why), in every backup manifest (``"audit_head"``, written by
``kettrack.services.backups``) and in every export. An anchor whose entry is missing from the
database means entries were removed (truncation); one whose entry has another hash means the log was
rewritten. The config-folder anchor never silently moves back: if kettrack is about to write while
the database does not hold the anchored head, the old head is kept in the file (``unmatched``) and
goes on being reported. A restore through kettrack (its "restore" entry) starts the anchor over, and
backups whose head lies in the history a sealed restore replaced are not compared with the restored
database.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kettrack.core.audit import AuditHead
from kettrack.store.location import own_private_dir

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "MANIFEST_KEY",
    "MANIFEST_PATTERN",
    "AnchorUnreadable",
    "ConfigAnchor",
    "anchor_slots",
    "config_dir",
    "private_folder",
    "read_anchor_file",
    "read_config_anchor",
    "valid_database_id",
    "write_config_anchor",
]

CONFIG_DIR_VARIABLE = "KETTRACK_CONFIG_DIR"
MANIFEST_KEY = "audit_head"  # the key of the head in a backup manifest and in an export
MANIFEST_PATTERN = "*.manifest.json"
_ANCHOR_FORMAT = "kettrack-audit-anchor"


# --- where things are kept -----------------------------------------------------------------------


def config_dir() -> Path:
    """The user's config folder for kettrack (``KETTRACK_CONFIG_DIR`` overrides it)."""
    override = os.environ.get(CONFIG_DIR_VARIABLE)
    if override:
        return Path(override)
    from platformdirs import user_config_dir  # deferred, as location.data_dir does

    return Path(user_config_dir("kettrack", appauthor=False))


def private_folder(name: str) -> Path:
    """The owner-only folder ``name`` of the config folder, made if missing."""
    return own_private_dir(config_dir() / name)


def valid_database_id(value: str | None) -> bool:
    """Only kettrack's own form of a UUID: the id becomes part of file names."""
    if not value:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


# --- the config-folder anchor ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigAnchor:
    """The head this computer last saw written to a database, and heads it found missing since."""

    database_id: str
    head: AuditHead
    unmatched: tuple[AuditHead, ...] = ()
    database: str = ""  # where the database was (for people reading the file)
    generation: int = 0  # counts the writes: the newer of the two slots is the anchor

    @property
    def path(self) -> Path:
        """The file this anchor is kept in: one of two slots, taken in turn."""
        return anchor_slots(self.database_id)[self.generation % 2]


class AnchorUnreadable(ValueError):
    """The config-folder anchor exists but is not one kettrack wrote."""


def anchor_slots(database_id: str) -> tuple[Path, Path]:
    folder = config_dir() / "audit-anchors"
    return folder / f"{database_id}.a.json", folder / f"{database_id}.b.json"


def _parsed(raw: bytes, database_id: str, slot: int) -> ConfigAnchor:
    data = json.loads(raw.decode("utf-8"))
    if data.get("format") != _ANCHOR_FORMAT or data.get("database_id") != database_id:
        raise ValueError("not an anchor of this database")
    generation = data.get("generation")
    if not isinstance(generation, int) or generation % 2 != slot:
        raise ValueError("not this slot's generation")
    return ConfigAnchor(
        database_id,
        AuditHead.from_dict(data["head"]),
        tuple(AuditHead.from_dict(h) for h in data.get("unmatched", [])),
        str(data.get("database", "")),
        generation,
    )


def read_config_anchor(database_id: str) -> ConfigAnchor | None:
    """This computer's anchor for the database (None: none kept): the newer of its two slots that
    reads whole; ``AnchorUnreadable`` when neither does."""
    if not valid_database_id(database_id):
        return None
    found: list[ConfigAnchor] = []
    damaged: list[Path] = []
    for slot, path in enumerate(anchor_slots(database_id)):
        try:
            found.append(_parsed(path.read_bytes(), database_id, slot))
        except FileNotFoundError:
            continue
        except (OSError, AttributeError, KeyError, TypeError, ValueError):
            damaged.append(path)
    if found:
        return max(found, key=lambda a: (a.generation, a.head.sequence))
    if damaged:
        raise AnchorUnreadable(f"the anchor kept in {damaged[0]} could not be read")
    return None


_FOLDERS_MADE: set[Path] = set()


def write_config_anchor(anchor: ConfigAnchor) -> None:
    """Write the anchor over the older of its two slots, in place.

    Not a temp file and a rename: on ext4 a rename over an existing file forces its data to disk
    (``auto_da_alloc``), 0.6-1.9 ms here against some 10 µs for a write in place, after every commit
    that appended entries. A write in place cut short by a power cut spoils only the slot it was
    writing; the other still holds the previous head (an ancestor of the new one, so it still checks
    true). No fsync, for the same reason."""
    path = anchor.path
    if path.parent not in _FOLDERS_MADE:
        private_folder(path.parent.name)
        _FOLDERS_MADE.add(path.parent)
    content = json.dumps(
        {
            "format": _ANCHOR_FORMAT,
            "generation": anchor.generation,
            "database_id": anchor.database_id,
            "database": anchor.database,
            "head": anchor.head.as_dict(),
            "unmatched": [h.as_dict() for h in anchor.unmatched],
            "written_at": datetime.now(UTC).isoformat(),
        }
    ).encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:  # the folder was removed meanwhile: make it again next time
        _FOLDERS_MADE.discard(path.parent)
        raise
    try:
        # No O_TRUNC: truncating to zero would bring back the forced write-out the rename had.
        written = os.write(fd, content)
        if written != len(content):
            raise OSError(f"short write to {path}")
        os.ftruncate(fd, len(content))
    finally:
        os.close(fd)


# --- the head a backup manifest or an export records -----------------------------------------------


def read_anchor_file(path: Path) -> AuditHead | None:
    """The head a backup manifest or an export records under ``"audit_head"`` (None: it has none);
    ``ValueError`` when the file cannot be read or its head is malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} could not be read as JSON") from exc
    raw = data.get(MANIFEST_KEY) if isinstance(data, dict) else None
    if raw is None:
        return None
    try:
        return AuditHead.from_dict(raw)
    except ValueError as exc:
        raise ValueError(f"the audit head in {path} is malformed: {exc}") from exc
