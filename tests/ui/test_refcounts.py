"""PySide6 6.12.0 under-counts None (every method without a return value) and True (emit): on Python
3.11 a window process would abort after a few thousand Qt calls. kettrack.ui protects them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from kettrack.ui import refcounts

CALLS = """
import sys
{prelude}
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QLabel

class Bus(QObject):
    changed = Signal(object)

app = QApplication([])
label, model, bus = QLabel(), QStandardItemModel(10, 10), Bus()
for i in range(60_000):
    label.setText("x")
    model.setItem(i % 10, 1, QStandardItem("y"))
    bus.changed.emit(i)
print("alive")
"""


def _run(prelude: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(CALLS.format(prelude=prelude))
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )


def test_many_qt_calls_leave_the_process_alive() -> None:
    result = _run("import kettrack.ui")
    assert result.returncode == 0 and result.stdout.strip() == "alive", result.stderr[-2000:]


def test_the_protection_is_needed_where_it_is_applied() -> None:
    """Without it, Python 3.11 aborts (the day PySide6 fixes this, the protection can go)."""
    result = _run("")
    if sys.version_info >= (3, 12):
        assert result.returncode == 0
    else:
        assert result.returncode != 0 and "dealloc" in result.stderr, result.stderr[-2000:]


def test_protect_is_idempotent(qapp) -> None:  # type: ignore[no-untyped-def]
    before = sys.getrefcount(None)
    refcounts.protect()
    assert abs(sys.getrefcount(None) - before) < 1000
    if sys.version_info < (3, 12):
        assert sys.getrefcount(None) > refcounts.HEADROOM // 2
