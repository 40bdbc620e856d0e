"""Benchmark: kettrack's start-up against a bare PySide6 window, as a ratio measured in one run.

Each run is a fresh process, timed from launch until it says what it shows: the bare window prints
``shown`` once it is shown and painted; kettrack (``--quit-after-startup``) prints ``startup_ms`` once
the Infusions view shows its data, ``ready_ms`` once its GUI thread handles events again (the window
takes input while the database opens on the database worker), ``pause_ms=N``, the longest the GUI
thread went without handling events meanwhile, and ``open_ms`` once the database is open for
editing. Runs alternate so machine noise hits both sides alike; medians count. Targets: data on
screen within 1.5x the bare window, ready for input within 3x.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kettrack
from tests.bench.seed import seed

pytestmark = pytest.mark.bench

RUNS = 15
BARE_WINDOW = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1180, 720)
window.show()
app.processEvents()
window.repaint()
print("shown", flush=True)
window.close()
"""


def _timed_lines(command: list[str], values: dict[str, float] | None = None) -> dict[str, float]:
    """Seconds from launch until each line's first word (before '=') was printed, and until exit;
    ``values`` gets what each ``name=number`` line said."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    seen: dict[str, float] = {}
    for line in process.stdout:
        name, _, said = line.strip().partition("=")
        seen[name] = time.perf_counter() - start
        if values is not None and said.isdigit():
            values[name] = float(said)
    _, errors = process.communicate(timeout=120)
    seen["exit"] = time.perf_counter() - start
    assert process.returncode == 0, errors[-2000:]
    return seen


def _measure(db: Path, script: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "kettrack", "--db", str(db), "--quit-after-startup"]
    # An installed kettrack has its bytecode compiled at install time, as PySide6 has; an editable
    # checkout (and a machine with PYTHONDONTWRITEBYTECODE) would otherwise compile every module anew.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(kettrack.__file__).parent)], check=True
    )
    _timed_lines(command)  # warm the page cache once
    bare, data, ready, opened, pause = [], [], [], [], []
    for _ in range(RUNS):
        bare.append(_timed_lines([sys.executable, str(script)])["shown"])
        said: dict[str, float] = {}
        app = _timed_lines(command, said)
        data.append(app["startup_ms"])
        ready.append(app["ready_ms"])
        opened.append(app["open_ms"])
        pause.append(said["pause_ms"] / 1000)
    return {
        "bare": statistics.median(bare),
        "data": statistics.median(data),
        "ready": statistics.median(ready),
        "open": statistics.median(opened),
        "pause": statistics.median(pause),
        "worst_pause": max(pause),
    }


def test_startup_ratio(
    tmp_path: Path, template_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The windows read and save their settings here, never in the real home.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    script = tmp_path / "bare_window.py"
    script.write_text(BARE_WINDOW)
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(template_db.read_bytes())
    seeded = seed(tmp_path / "seeded.sqlite3", infusions=5_000, patients=100)
    lines = []
    for label, db in (("empty database", empty), ("5,000 infusions", seeded)):
        m = _measure(db, script)
        lines.append(
            f"start-up, {label}: bare window {m['bare'] * 1000:.0f} ms; kettrack data on screen "
            f"{m['data'] * 1000:.0f} ms (ratio {m['data'] / m['bare']:.2f}x, target 1.5x), ready for input "
            f"{m['ready'] * 1000:.0f} ms ({m['ready'] / m['bare']:.2f}x, target 3x), database open for "
            f"editing {m['open'] * 1000:.0f} ms ({m['open'] / m['bare']:.2f}x), longest GUI-thread pause "
            f"while it opened {m['pause'] * 1000:.0f} ms (worst run {m['worst_pause'] * 1000:.0f} ms); "
            f"medians of {RUNS}"
        )
        assert 0 < m["data"] <= m["ready"] <= m["open"]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
