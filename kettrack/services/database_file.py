"""Where the database is and what kind of file it is, answered without opening it: the standard library
alone, no SQLAlchemy. The window asks these before its first paint (kettrack.ui.app imports this module
before PySide6, see there), so this facade must stay as light as the store modules it names.

The faces import this module, never ``kettrack.store``; ``kettrack.services.opening`` gathers the same
names with everything else opening a database needs.
"""

from __future__ import annotations

from kettrack.store.encryption import looks_encrypted
from kettrack.store.location import BadDatabaseTarget, DatabaseTarget, network_warning, resolve

__all__ = ["BadDatabaseTarget", "DatabaseTarget", "looks_encrypted", "network_warning", "resolve"]
