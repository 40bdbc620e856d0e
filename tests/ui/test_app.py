"""Start-up: a database that cannot be opened gives exit status 2 (no traceback); a good one shows
the window and, with quit_after_startup, prints when its data showed and when it was ready, and
exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kettrack.ui.app import run


def test_not_a_database(tmp_path: Path, qapp, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not SQLite " * 100)
    assert run(str(junk), quit_after_startup=True) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err.startswith("kettrack: ")
    assert junk.read_text().startswith("this is not SQLite")


def test_quit_after_startup(db_path: Path, tmp_path: Path) -> None:
    # In a child process: once QApplication.exec() has returned, this process's later tests would find
    # the application closing and their timers silent.
    script = (
        "import sys, time; t = time.perf_counter(); from kettrack.ui.app import run; "
        f"sys.exit(run({str(db_path)!r}, quit_after_startup=True, started_at=t))"
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    timings = dict(line.split("=") for line in result.stdout.split())
    assert set(timings) == {"startup_ms", "ready_ms"}
    assert 0 < int(timings["startup_ms"]) <= int(timings["ready_ms"])
    assert "Traceback" not in result.stderr
