"""Emitting Qt signals from Python without corrupting the interpreter.

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without taking a reference to it: every emit
from Python lowers the reference count of Python's ``True`` by one, and once it runs out the interpreter
aborts ("bool_dealloc: deallocating True or False") - in a long session, after a few hundred emits. So
every emit in kettrack goes through ``emit`` below, which measures once whether the installed PySide6
has the bug and, if it does, gives the reference back. With a fixed PySide6 it does nothing extra.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
_leaks: bool | None = None


class _Probe(QObject):
    fired = Signal()


def _emit_leaks_true() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(lost, 0)):
        _incref(True)  # repay what the probe itself cost
    return lost >= 8


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, repaying the reference PySide6 6.12.0 takes from ``True``."""
    global _leaks
    if _leaks is None:
        _leaks = _emit_leaks_true()
    result = signal.emit(*args)
    if _leaks and result is True:
        _incref(True)


def emit_needs_repair() -> bool:
    """Whether the installed PySide6 has the bug (for tests and diagnostics)."""
    global _leaks
    if _leaks is None:
        _leaks = _emit_leaks_true()
    return _leaks
