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
    # Data on screen, then the window takes input, then (opened on the database worker) editing.
    assert set(timings) == {"startup_ms", "ready_ms", "pause_ms", "open_ms"}
    assert 0 < int(timings["startup_ms"]) <= int(timings["ready_ms"]) <= int(timings["open_ms"])
    assert "Traceback" not in result.stderr


def test_a_database_in_use_is_named_and_opens_read_only_when_asked(db_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from kettrack.store.lock import DatabaseLocked
    from kettrack.ui.app import _open
    from tests.store.test_lock_modes import HOLDER

    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        said: list[str] = []

        def answer(choice: str) -> QTimer:
            def press() -> None:
                box = QApplication.activeModalWidget()
                if isinstance(box, QMessageBox):
                    said.append(box.text())
                    next(b for b in box.buttons() if b.text() == choice).click()

            timer = QTimer()
            timer.timeout.connect(press)
            timer.start(20)
            return timer

        timer = answer("Close")
        with pytest.raises(DatabaseLocked):
            _open(str(db_path), quietly=False)
        timer.stop()
        assert f"process {holder.pid}" in said[0]
        timer = answer("Open read-only")
        db = _open(str(db_path), quietly=False)
        timer.stop()
        try:
            assert db.read_only
        finally:
            db.close()
    finally:
        holder.kill()
        holder.wait()
