"""Where the databases live, for a face that has not opened one yet: the data folder and a read-only
SQLite address, and kettrack's own owner-only folders (the window's log), with the standard library
alone.

:mod:`kettrack.services.opening` offers these too, but importing it loads SQLAlchemy (about 200 ms);
``kettrack --demo`` looks into an already filled demo database with sqlite3 and opens the window
without paying that first.
"""

from __future__ import annotations

from kettrack.store.location import data_dir, own_private_dir, read_only_uri

__all__ = ["data_dir", "own_private_dir", "read_only_uri"]
