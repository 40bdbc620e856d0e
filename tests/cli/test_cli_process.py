"""The command line as a user runs it: a real ``python -m kettrack`` process (the interpreter running
the tests, so a fresh venv works too). Headless subcommands must not load Qt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kettrack", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.usefixtures("icd10")
def test_process_add_list_and_refusal(db_path: Path) -> None:
    added = _run("--db", str(db_path), "patients", "add", "--name", "Jane Doe", "--dob", "1980-02-03")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().isdigit()
    listed = _run("--db", str(db_path), "patients", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [p["legal_name"] for p in json.loads(listed.stdout)] == ["Jane Doe"]
    refused = _run("--db", str(db_path), "providers", "add", "--name", "X", "--npi", "1234567890")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "kettrack: error: npi: NPI has a wrong check digit (last digit): "
        "re-check it against the provider's NPI record"
    ]
    assert refused.stdout == ""
    usage = _run("--db", str(db_path), "patients", "add")
    assert usage.returncode == 2 and len(usage.stderr.splitlines()) == 1


def test_headless_commands_do_not_load_qt(db_path: Path) -> None:
    code = (
        "import sys; from kettrack.cli import main; "
        f"rc = main(['--db', {str(db_path)!r}, 'patients', 'list']); "
        "print(rc, 'PySide6' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 False"
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.startswith("kettrack ")


def test_window_start_path_skips_the_database_layer(db_path: Path) -> None:
    """Opening the window must not pay for SQLAlchemy before the window exists (start-up budget)."""
    code = (
        "import sys, types\n"
        "seen = []\n"
        "app = types.ModuleType('kettrack.ui.app')\n"
        "app.run = lambda location, **kw: seen.append(('sqlalchemy' in sys.modules, location, kw)) or 0\n"
        "sys.modules['kettrack.ui.app'] = app\n"
        "from kettrack.cli import main\n"
        f"rc = main(['--db', {str(db_path)!r}, '--quit-after-startup'])\n"
        "print(rc, seen[0][0], seen[0][2]['quit_after_startup'], type(seen[0][2]['started_at']).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "False", "True", "float"]
