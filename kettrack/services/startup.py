"""What the window needs before the database is open: the newest sessions read with the standard
library alone (kettrack.store.snapshot), so the first paint does not wait for SQLAlchemy."""

from __future__ import annotations

from kettrack.store.snapshot import Snapshot, read

__all__ = ["Snapshot", "read"]
