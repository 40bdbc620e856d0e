"""Keeps ``None``, ``True`` and ``False`` alive under PySide6 6.12 on Python 3.11.

PySide6 6.12.0 hands back ``None`` from every method without a return value, and ``True`` from a
signal's ``emit()``, without taking a reference to it: it was built for Python 3.12, where these three
objects are immortal and their reference counts never matter. On Python 3.11 each such call lowers the
count by one, and when it reaches zero the interpreter aborts ("none_dealloc: deallocating None").
A fresh window process holds about 5,000 references to ``None``: a few thousand Qt calls (filling one
large item model) would end it.

``protect()`` does for Python 3.11 what Python 3.12 does itself: it raises the three counts by 2**40,
more than any session can lose. The objects are static singletons that are never freed, so a higher
count changes nothing else. On Python 3.12 and later it does nothing.
"""

from __future__ import annotations

import sys

HEADROOM = 1 << 40
_protected = False


def protect() -> None:
    """Make the singletons PySide6 under-counts effectively immortal (once per process)."""
    global _protected
    if _protected or sys.version_info >= (3, 12):
        return
    import ctypes

    for singleton in (None, True, False):
        if hasattr(sys, "gettotalrefcount"):
            # A debug build keeps extra fields before the count: go through the C API instead.
            incref = ctypes.pythonapi.Py_IncRef
            incref.argtypes = [ctypes.py_object]
            incref.restype = None
            for _ in range(1 << 20):
                incref(singleton)
        else:
            # CPython's object header starts with its reference count (Py_ssize_t).
            ctypes.c_ssize_t.from_address(id(singleton)).value += HEADROOM
    _protected = True
