"""Check database: SQLite's own checks (``integrity_check``, ``foreign_key_check``) and kettrack's
invariants (each claim's state equals the one its events give, totals add up, each session's
diagnoses are billable in the ICD-10-CM release in force on its date of service, every attachment,
letter and issued superbill is in the database with its recorded SHA-256, the audit chain is unbroken),
reported in words. A damaged file is never repaired in place: the report says so and names the
newest backup that passes its own check."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    newest_good_backup: Path | None = None
    # Said whatever the verdict, without making it a problem: leftovers of interrupted runs.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            return [f"no problems found ({', '.join(self.checked)})", *self.notes]
        count = len(self.problems)
        lines = [
            f"{count} problem{'' if count == 1 else 's'} found:",
            *(f"  {p}" for p in self.problems[:100]),
        ]
        if self.newest_good_backup is not None:
            backup = self.newest_good_backup
            lines.append(f"the file was not changed; the newest backup that passes its check is {backup}")
            lines.append(f"to go back to it: kettrack restore '{backup}' --yes")
        return lines + self.notes


def sqlite_problems(path: Path, *, quick: bool = False, passphrase: str | None = None) -> list[str]:
    """SQLite's own checks, read-only; a file that cannot be read at all is one problem."""
    from kettrack.store.backup import read_connection

    try:
        connection = read_connection(path, passphrase)
        try:
            rows = [
                str(r[0])
                for r in connection.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check")
            ]
            problems = [] if rows == ["ok"] else [f"integrity: {r}" for r in rows[:20]]
            for table, rowid, parent, _fk in connection.execute("PRAGMA foreign_key_check"):
                problems.append(f"row {rowid} of {table} refers to a missing row of {parent}")
            return problems
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        return [f"the file is damaged or not a database ({exc})"]


def check_database(location: str | Path | None, passphrase: str | None = None) -> CheckReport:
    """Check a database without changing it: SQLite's own checks first, then (read-only, never
    migrating) kettrack's invariants, documents and audit chain. A file that is not a kettrack
    database is refused (NotADatabase), a missing one too (DatabaseMissing): neither is a report."""
    from kettrack.services.backups import newest_good_backup
    from kettrack.store.location import DatabaseMissing, resolve

    report = CheckReport()
    target = resolve(location)
    if target.sqlite_path is not None:
        path = target.sqlite_path
        if not path.is_file():
            raise DatabaseMissing(path)
        from kettrack.store.migrate import NotADatabase

        try:
            _refuse_foreign(path, passphrase)
        except NotADatabase as exc:
            # A file that has good backups was a kettrack database: report its damage and the way back
            # (a file that never was one is refused: there is nothing to report about it).
            report.newest_good_backup = newest_good_backup(path, passphrase)
            if report.newest_good_backup is None:
                raise
            report.problems.append(f"the file is damaged or not a database: {str(exc).split(';')[0]}")
            return report
        from kettrack.store import leftovers

        left = leftovers.find(path)
        if left:
            names = ", ".join(p.name for p in left[:5]) + (" ..." if len(left) > 5 else "")
            report.notes.append(
                f"{len(left)} leftover(s) of an interrupted backup, restore or conversion ({names}): "
                "kettrack removes them the next time it opens the database"
            )
        report.problems += sqlite_problems(path, passphrase=passphrase)
        report.checked.append("integrity_check, foreign_key_check")
        if report.problems:
            report.newest_good_backup = newest_good_backup(path, passphrase)
            return report
    from kettrack.services.workspace import Workspace
    from kettrack.store.database import Database

    # Read-only: a check never migrates, sweeps or writes (and may run beside an open window).
    ws = Workspace(Database.open(location, passphrase=passphrase, read_only=target.sqlite_path is not None))
    try:
        report.problems += ws.claims.invariant_problems()
        report.checked.append("claims against their events, attachments")
        report.problems += _document_problems(ws)
        from kettrack.services.code_sets import session_code_findings

        code_problems, code_notes = session_code_findings(ws)
        report.problems += code_problems
        report.notes += code_notes
        report.checked.append("diagnoses against the ICD-10-CM release of each date of service")
        report.checked.append("issued superbills and letters")
        from kettrack.store.audit import AuditLog

        report.problems += [f"audit log: {p}" for p in AuditLog(ws.db).verify()]
        report.checked.append("audit chain")
    finally:
        ws.close()
    return report


def _refuse_foreign(path: Path, passphrase: str | None) -> None:
    """Refuse what is not a kettrack database at all (NotADatabase), or is from a newer kettrack
    (SchemaTooNew); damage found on the way is for the report, with the newest good backup."""
    from kettrack.store.migrate import peek_sqlite, refuse_if_newer

    refuse_if_newer(peek_sqlite(path, passphrase, check=True), str(path))


def _document_problems(ws: Workspace) -> list[str]:
    from kettrack.store import documents
    from kettrack.store.models import AppealLetterEntry, IssuedSuperbill

    db = ws.db
    with db.reader() as session:
        named = [
            (f"superbill {number} version {version}", sha)
            for number, version, sha in session.execute(
                select(IssuedSuperbill.number, IssuedSuperbill.version, IssuedSuperbill.sha256)
            )
        ]
        named += [
            (f"appeal letter {number}", sha)
            for number, sha in session.execute(select(AppealLetterEntry.number, AppealLetterEntry.sha256))
        ]
        broken = documents.problems(session, (sha for _, sha in named))
    return [f"{what}: {broken[sha]}" for what, sha in named if sha in broken]
