"""Qt calls must leave the reference counts of None, True and False where they were.

PySide6 6.12.0 on Python 3.11 drops a reference to None on every method without a return value (each
QLabel.setText) and to True on every Signal.emit: it was built for 3.12, where these objects are immortal.
On 3.11 a window process then aborts ("none_dealloc: deallocating None") after a few thousand calls.
pyproject.toml pins a PySide6 without the defect; these tests guard that pin, and that kettrack.ui does
not hide such a defect by patching the interpreter's counts.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import kettrack.ui

CALLS = 60_000
TOLERANCE = 100  # caches inside Qt or Python may keep a few references; the defect loses one a call

QT_CALLS = f"""
import json, sys
from PySide6 import __version__
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QLabel

class Bus(QObject):
    changed = Signal(object)

app = QApplication([])
label, model, bus = QLabel(), QStandardItemModel(10, 10), Bus()

def counts():
    return [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]

def calls(n):
    for i in range(n):
        label.setText("x")
        model.setItem(i % 10, 1, QStandardItem("y"))
        bus.changed.emit(i)

calls(10)  # first calls fill caches (method lookups, signal connections)
before = counts()
calls({CALLS})
print(json.dumps({{"version": __version__, "patched": "kettrack.ui" in sys.modules,
                   "before": before, "after": counts()}}))
"""


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )


def test_many_qt_calls_leave_none_true_and_false_counts_alone() -> None:
    """In a child process: a broken PySide6 aborts it, which would otherwise end the test run."""
    result = _run(QT_CALLS)
    assert result.returncode == 0, (
        f"the process died after Qt calls (exit {result.returncode}): is PySide6 6.12.0 installed? "
        f"pyproject.toml pins a release without its reference-count defect\n{result.stderr[-2000:]}"
    )
    report = json.loads(result.stdout)
    assert not report["patched"]
    for name, before, after in zip(("None", "True", "False"), report["before"], report["after"], strict=True):
        assert abs(after - before) <= TOLERANCE, (
            f"{CALLS} Qt calls moved sys.getrefcount({name}) from {before} to {after} "
            f"under PySide6 {report['version']}"
        )


def test_kettrack_ui_leaves_reference_counts_alone() -> None:
    """Importing the whole UI adds ordinary references only (a patch added 2**40 to hide the defect)."""
    script = (
        "import json, pkgutil, sys, importlib\n"
        "before = [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]\n"
        "import kettrack.ui\n"
        "package_needs_ctypes = 'ctypes' in sys.modules\n"
        "for module in pkgutil.iter_modules(kettrack.ui.__path__, 'kettrack.ui.'):\n"
        "    importlib.import_module(module.name)\n"
        "after = [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]\n"
        "print(json.dumps({'ctypes': package_needs_ctypes, 'before': before, 'after': after}))\n"
    )
    result = _run(script)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert not report["ctypes"], "importing kettrack.ui loads ctypes"
    for before, after in zip(report["before"], report["after"], strict=True):
        assert 0 <= after - before < 1_000_000, (before, after)


def test_no_ui_module_uses_ctypes() -> None:
    """pypdfium2 uses ctypes for pdfium; kettrack.ui itself must not reach into the interpreter."""
    users = []
    for path in Path(kettrack.ui.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name == "ctypes" or name.startswith("ctypes.") for name in names):
                users.append(path.name)
    assert users == []
