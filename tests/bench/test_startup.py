"""Benchmark: kettrack's start-up against a bare PySide6 window, as a ratio measured in one run.

Each run is a fresh process, timed from launch until it exits: the bare window is shown, events are
processed and it closes; kettrack opens its window with ``--quit-after-startup``, which waits until
the first view shows its data. Runs alternate so machine noise hits both sides alike; medians count.
Target (issue 2): kettrack within 1.5x the bare window.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bench.seed import seed

pytestmark = pytest.mark.bench

RUNS = 7
BARE_WINDOW = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1100, 700)
window.show()
app.processEvents()
window.close()
"""


def _wall(command: list[str]) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-2000:]
    return elapsed


def _measure(db: Path, script: Path) -> tuple[float, float]:
    bare, app = [], []
    command = [sys.executable, "-m", "kettrack", "--db", str(db), "--quit-after-startup"]
    _wall(command)  # warm the page cache and the ICD-free start path once
    for _ in range(RUNS):
        bare.append(_wall([sys.executable, str(script)]))
        app.append(_wall(command))
    return statistics.median(bare), statistics.median(app)


def test_startup_ratio(tmp_path: Path, template_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "bare_window.py"
    script.write_text(BARE_WINDOW)
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(template_db.read_bytes())
    seeded = seed(tmp_path / "seeded.sqlite3", infusions=5_000, patients=100)
    lines = []
    for label, db in (("empty database", empty), ("5,000 infusions", seeded)):
        bare, app = _measure(db, script)
        lines.append(
            f"start-up, {label}: bare window {bare * 1000:.0f} ms, kettrack {app * 1000:.0f} ms, "
            f"ratio {app / bare:.2f}x (target 1.5x; medians of {RUNS})"
        )
        assert app > 0 and bare > 0
    with capsys.disabled():
        print("\n" + "\n".join(lines))
