"""The installed app, not only a checkout, must carry its migrations and resources: build the wheel,
unpack it, and open (migrate) a database from it, run from another folder."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(out.glob("kettrack-*.whl"))
    site = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_wheel_carries_migrations_and_resources(unpacked_wheel: Path) -> None:
    assert (unpacked_wheel / "kettrack" / "_alembic" / "env.py").is_file()
    assert list((unpacked_wheel / "kettrack" / "_alembic" / "versions").glob("0001_*.py"))
    assert (unpacked_wheel / "kettrack" / "_resources" / "kettrack.svg").is_file()


def test_installed_wheel_migrates_a_new_database(unpacked_wheel: Path, tmp_path: Path) -> None:
    script = (
        "import kettrack, sys\n"
        "from kettrack.store.database import Database\n"
        "from kettrack.store import migrate\n"
        "from kettrack.core.resources import resource_path\n"
        "assert kettrack.__file__.startswith(sys.argv[1]), kettrack.__file__\n"
        "assert str(migrate.script_location()).startswith(sys.argv[1]), migrate.script_location()\n"
        "assert str(resource_path('kettrack.svg')).startswith(sys.argv[1])\n"
        "db = Database.open(sys.argv[2]); print(db.revision); db.close()\n"
    )
    # -S skips site-packages' .pth files, so the editable checkout cannot shadow the wheel;
    # the dependencies come from this environment's site-packages, after the wheel.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(unpacked_wheel), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
        ),
    }
    result = subprocess.run(
        [sys.executable, "-S", "-c", script, str(unpacked_wheel), str(tmp_path / "fresh.sqlite3")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    from kettrack.store.migrate import head_revision

    assert result.stdout.strip() == head_revision()


def test_light_revision_reader_agrees_with_alembic() -> None:
    """migrate.head_revision() reads scripts as text to spare start-up an alembic import."""
    from alembic.script import ScriptDirectory

    from kettrack.store import migrate

    scripts = ScriptDirectory(str(migrate.script_location()))
    assert migrate.head_revision() == scripts.get_current_head()
    assert migrate.known_revisions() == {s.revision for s in scripts.walk_revisions()}
