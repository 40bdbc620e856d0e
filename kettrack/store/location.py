"""Where the database lives: the platform's user data folder, ``--db`` or ``KETTRACK_DB``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

APP_NAME = "kettrack"
DEFAULT_FILENAME = "kettrack.sqlite3"
ENV_VARIABLE = "KETTRACK_DB"


def data_dir() -> Path:
    override = os.environ.get("KETTRACK_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir  # deferred: a start with --db never needs it

    return Path(user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    override = os.environ.get("KETTRACK_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


# Written into every database file kettrack creates (PRAGMA application_id): "kett".
APPLICATION_ID = 0x6B657474


def backup_dir_for(database: Path) -> Path:
    """Where a SQLite database's backups (and a conversion's original) are kept: beside it."""
    return database.parent / f"{database.stem}-backups"


def make_private_dir(path: Path) -> Path:
    """Create a folder readable by its owner only (it will hold health information)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def own_private_dir(path: Path) -> Path:
    """A folder that is kettrack's own (its log, its audit keys and anchors) made owner-only, and kept
    so: mkdir's mode only applies to a folder it creates, so one found wider (made by an older
    kettrack, or by hand) is narrowed to 0700. A link or a file in its place is refused. Never used
    for a folder the person chose (the one holding their database)."""
    import stat

    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(f"{path} is not a folder")
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)
    return path


class DatabaseMissing(RuntimeError):
    """A command that only reads was pointed at a path where there is no database; nothing was created."""

    def __init__(self, path: Path) -> None:
        from shlex import quote

        super().__init__(
            f"there is no database at {path}; create one with `kettrack --db {quote(str(path))} demo` "
            "or by opening the window; nothing was created"
        )
        self.path = path


def at_rest(path: Path) -> bool:
    """Whether a SQLite file has no write-ahead log or hot journal beside it: all its pages are in it."""
    return not any(os.path.lexists(f"{path}{suffix}") for suffix in ("-wal", "-journal"))


def read_only_uri(path: Path) -> str:
    """A URI that opens ``path`` for reading only and never creates a file, beside it or in its place.

    ``mode=ro`` alone still makes -wal and -shm files beside a WAL database, so a file kettrack refuses
    would not be left as it was; at rest (nothing beside it to read) ``immutable=1`` stops that. When a
    -wal file is there its pages belong to the database, so it is read normally.
    """
    return path.absolute().as_uri() + ("?mode=ro&immutable=1" if at_rest(path) else "?mode=ro")


class DatabaseTarget(NamedTuple):
    """A resolved database location: a SQLite file or a server URL."""

    # Not a frozen dataclass: defining one costs about 1 ms, and this is defined before the first paint.
    url: str
    sqlite_path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.sqlite_path is not None

    @property
    def display(self) -> str:
        """A location safe to show and log: server URLs lose their password."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


class BadDatabaseTarget(ValueError):
    """The database location given cannot be used."""


def resolve(target: str | Path | None) -> DatabaseTarget:
    """Turn ``--db`` (or ``KETTRACK_DB``, or nothing) into a database location."""
    text = str(target) if target is not None else os.environ.get(ENV_VARIABLE, "")
    if not text:
        path = data_dir() / DEFAULT_FILENAME
    elif text.startswith(("postgresql://", "postgresql+")):
        url = text.replace("postgresql://", "postgresql+psycopg://", 1)
        return DatabaseTarget(url=url, sqlite_path=None)
    elif text.startswith("sqlite:///"):
        path = Path(text.removeprefix("sqlite:///"))
    elif "://" in text:
        raise BadDatabaseTarget(
            f"unsupported database URL scheme in {text.split('://', 1)[0]!r}: "
            "use a file path or postgresql+psycopg://user@host/dbname"
        )
    else:
        path = Path(text).expanduser()
    path = path.absolute()
    if path.exists() and path.is_dir():
        raise BadDatabaseTarget(f"{path} is a folder, not a database file")
    return DatabaseTarget(url=f"sqlite:///{path}", sqlite_path=path)


def legacy_documents_dir(target: DatabaseTarget) -> Path:
    """Where kettrack kept issued documents before they moved into the database (schema 0004): beside a
    SQLite file, or per server database in the user data folder. Only read, to move them in; never
    created."""
    if target.sqlite_path is not None:
        return target.sqlite_path.parent / f"{target.sqlite_path.stem}-documents"
    import hashlib  # deferred: its OpenSSL binding costs milliseconds at start-up

    digest = hashlib.sha256(target.display.encode("utf-8")).hexdigest()[:16]
    return data_dir() / "documents" / digest


# File systems on which SQLite's locking is unreliable: a database there can be damaged when two
# machines write; the shared PostgreSQL mode exists for that.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "davfs",
        "fuse.davfs2",
    }
)


def network_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The network file system type ``path`` lives on (from /proc/mounts), or None."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = str(path.absolute())
    best, kind = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind if kind in NETWORK_FILESYSTEMS else None


def network_warning(path: Path, mounts: str | None = None) -> str | None:
    kind = network_filesystem(path, mounts)
    if kind is None:
        return None
    return (
        f"{path} is on a network share ({kind}): SQLite files there can be damaged when more than one "
        "computer uses them; for several desks use the shared PostgreSQL mode (--db postgresql+psycopg://...)"
    )
