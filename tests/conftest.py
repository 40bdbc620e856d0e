"""Shared test fixtures: real SQLite files in temp folders, a real throw-away PostgreSQL cluster,
and the Qt offscreen platform. Nothing is mocked."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from itertools import count
from pathlib import Path

import pytest

# A fixed "today" keeps date rules (no future date of service) deterministic on any day CI runs.
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session", autouse=True)
def private_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the app's data and cache folders (and any default database) out of the real home."""
    root = tmp_path_factory.mktemp("kettrack-home")
    names = (
        "KETTRACK_DATA_DIR",
        "KETTRACK_CACHE_DIR",
        "KETTRACK_CONFIG_DIR",
        "KETTRACK_LOG_DIR",
        "KETTRACK_DB",
    )
    saved = {k: os.environ.get(k) for k in names}
    os.environ["KETTRACK_DATA_DIR"] = str(root / "data")
    os.environ["KETTRACK_CACHE_DIR"] = str(root / "cache")
    os.environ["KETTRACK_CONFIG_DIR"] = str(root / "config")  # audit seal keys and anchors
    os.environ["KETTRACK_LOG_DIR"] = str(root / "log")  # the window's log file
    os.environ.pop("KETTRACK_DB", None)
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def icd10(private_dirs: Path):  # type: ignore[no-untyped-def]
    """The ICD-10-CM index, built once per test session into the session's cache folder."""
    from kettrack.core.icd10 import load_index

    return load_index(Path(os.environ["KETTRACK_CACHE_DIR"]))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated empty database, made once; tests get copies (Anki's getEmptyCol)."""
    from kettrack.store.database import Database

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    Database.open(path).close()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "kettrack.sqlite3"
    shutil.copyfile(template_db, path)
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def workspace(db_path: Path, icd10):  # type: ignore[no-untyped-def]
    from kettrack.services.workspace import Workspace

    ws = Workspace.open(db_path, today=lambda: TODAY)
    from kettrack.core.icd10_releases import Icd10Releases

    ws._icd = Icd10Releases([icd10])  # share the session's index instead of reloading it per test
    yield ws
    ws.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_binaries() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return (initdb, pg_ctl) if initdb and pg_ctl else None


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so drop to 'nobody' for the server.
    if os.geteuid() == 0:
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    return command


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a Unix socket in a temp folder; yields its base URL."""
    binaries = _pg_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not on the PATH")
    initdb, pg_ctl = binaries
    root = Path(tempfile.mkdtemp(prefix="kettrack-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
    data, log = root / "data", root / "server.log"
    # C.UTF-8 sorts by code point like SQLite and folds case in every script (ILIKE "åsa" finds "Åsa");
    # where the machine lacks that locale, fall back to plain C.
    for locale_option in ("--locale=C.UTF-8", "--no-locale"):
        created = subprocess.run(
            _as_server_user(
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "kettrack",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    locale_option,
                    "--no-sync",
                ]
            ),
            capture_output=True,
        )
        if created.returncode == 0:
            break
        shutil.rmtree(data, ignore_errors=True)
    else:
        raise RuntimeError(f"initdb failed: {created.stderr!r}")
    options = f"-k {root} -c listen_addresses='' -c fsync=off -c max_connections=60"
    subprocess.run(
        _as_server_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://kettrack@/{{db}}?host={root}"
    finally:
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


_pg_names = count(1)


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """A new, empty database on the throw-away cluster for one test."""
    import psycopg

    name = f"kt_{os.getpid()}_{next(_pg_names)}"
    admin = pg_server.format(db="postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return pg_server.format(db=name)
