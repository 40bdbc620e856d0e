"""Tests of the PySide6 window (pytest-qt, offscreen)."""
