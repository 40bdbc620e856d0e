"""The first screenful of infusion rows, read with the standard library's sqlite3 alone.

Importing SQLAlchemy costs more than showing a whole Qt window, so the window shows this page first
and swaps in the full, repository-backed table a moment later, once the workspace has opened. It
reads only a database already at the current schema, read-only, and returns None (the window then
simply waits for the workspace) whenever anything is unusual. A test checks that its rows equal the
repository's for the same ids.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from kettrack.core.enums import Drug, Route
from kettrack.core.rows import InfusionRow
from kettrack.store.location import read_only_uri

# The newest revision in alembic/versions. Reading it from the scripts (kettrack.store.migrate) costs
# milliseconds this fast path exists to save; a test keeps the two equal. A stale value only turns
# the fast path off (the window then waits for the workspace, which migrates as usual).
SCHEMA_REVISION = "0008"

_FIRST_PAGE = """
SELECT i.id, i.service_date, i.patient_id, p.legal_name, r.name, r.credentials, i.drug, i.route,
       i.dose_mg, i.duration_minutes, i.diagnosis_summary, i.amount_paid
FROM infusions AS i
JOIN patients AS p ON p.id = i.patient_id
LEFT OUTER JOIN providers AS r ON r.id = i.provider_id
ORDER BY i.service_date DESC, i.id DESC
LIMIT ?
"""


class Snapshot(NamedTuple):
    """What the window can show before the workspace is open."""

    # Not a frozen dataclass: defining one costs about 1 ms, and this is defined before the first paint.
    rows: tuple[InfusionRow, ...]
    total: int
    setup_done: bool


def _decimal(scaled: int | None) -> Decimal | None:
    return None if scaled is None else Decimal(int(scaled)).scaleb(-2)


def read(path: Path, limit: int) -> Snapshot | None:
    """The newest ``limit`` sessions as table rows, or None if this fast path does not apply."""
    try:
        # as_uri() escapes "?" and "#" in folder names, which would otherwise open another file.
        # Never creates anything beside a file (read_only_uri): a file kettrack then refuses stays as it was.
        connection = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            if revision != [(SCHEMA_REVISION,)]:
                return None
            records = connection.execute(_FIRST_PAGE, (limit,)).fetchall()
            total = connection.execute("SELECT count(*) FROM infusions").fetchone()[0]
            done = connection.execute(
                "SELECT value FROM app_settings WHERE key = 'first_run_done'"
            ).fetchone()
        finally:
            connection.close()
    except (OSError, sqlite3.Error):
        return None
    rows: list[InfusionRow] = []
    for r in records:
        provider = f"{r[4]}, {r[5]}" if r[4] and r[5] else (r[4] or "")
        rows.append(
            InfusionRow(
                id=r[0],
                service_date=date.fromisoformat(r[1]),
                patient_id=r[2],
                patient_name=r[3],
                provider_name=provider,
                drug=Drug(r[6]),
                route=Route(r[7]),
                dose_mg=_decimal(r[8]),
                duration_minutes=r[9],
                diagnoses=r[10],
                amount_paid=_decimal(r[11]) or Decimal("0.00"),
            )
        )
    return Snapshot(tuple(rows), int(total), bool(done and done[0] == "yes"))
