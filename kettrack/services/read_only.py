"""Whether a write failed because the database is open read-only (another kettrack holds it, or it sits
on a read-only medium): told by the database driver's own error code, never by the wording of a
message. The window then says so in words instead of reporting an unexpected error."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

# SQLite's primary result code for "attempt to write a readonly database" (the extended codes keep it
# in their low byte); sqlite3 and sqlcipher3 errors carry it as ``sqlite_errorcode``.
SQLITE_READONLY = 8
# PostgreSQL's SQLSTATE read_only_sql_transaction (a hot standby, or a read-only session).
READ_ONLY_SQL_TRANSACTION = "25006"


def _refused(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == SQLITE_READONLY:
        return True
    return getattr(error, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION


def refused_as_read_only(error: BaseException) -> bool:
    """True when ``error`` (or what it wraps: SQLAlchemy's ``orig``, a cause or context) is the
    database refusing a write because it is read-only."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _refused(current):
            return True
        if isinstance(current, DBAPIError) and isinstance(current.orig, BaseException):
            pending.append(current.orig)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False
