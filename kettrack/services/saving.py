"""Saving a copy where the person says (a superbill, a letter, an export): owner-only from the first
byte, written whole or not at all, and replacing only a regular file."""

from __future__ import annotations

from kettrack.store.files import existing_regular_file, write_private

__all__ = ["existing_regular_file", "write_private"]
