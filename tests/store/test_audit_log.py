"""The audit log: written with each change in the same transaction, naming fields but never their
values, append-only in the database, and a chain whose check finds a removed or an altered entry."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from kettrack.core.records import PatientRecord
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store.audit import AuditLog


def test_changes_are_logged_with_field_names_not_values(workspace: Workspace) -> None:
    patient = workspace.patients.add(PatientRecord("Mara Quist", phone="555-0100"))
    assert patient.id is not None
    workspace.patients.update(replace(patient, phone="555-0199"))
    workspace.patients.view(patient.id)
    workspace.patients.delete(patient.id)
    log = AuditLog(workspace.db)
    entries = log.entries(record_kind="patient", record_id=patient.id, newest_first=False)
    assert [e.action for e in entries] == ["create", "update", "view", "delete"]
    assert entries[1].details == "changed: phone"
    everything = " ".join(f"{e.details} {e.actor}" for e in log.entries())
    assert "555-01" not in everything and "Mara" not in everything
    assert all(e.at.tzinfo is not None and e.machine for e in entries)
    assert log.verify() == []


def test_a_refused_change_leaves_no_entry(workspace: Workspace) -> None:
    log = AuditLog(workspace.db)
    before = log.count()
    with pytest.raises(Exception, match="name"):
        workspace.patients.add(PatientRecord(""))
    assert log.count() == before


def test_the_log_is_append_only(workspace: Workspace) -> None:
    workspace.patients.add(PatientRecord("Ann Able"))
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), workspace.db.session() as session:
            session.execute(text(statement))


def _tamper(path: Path, *statements: str) -> None:
    """What someone with the file and sqlite3 could do: drop the guards, then edit history."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("DROP TRIGGER tr_audit_log_no_update")
        connection.execute("DROP TRIGGER tr_audit_log_no_delete")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("DELETE FROM audit_log WHERE sequence = 5", "entry 5 is missing"),
        ("UPDATE audit_log SET details = 'nothing happened' WHERE sequence = 7", "entry 7 was altered"),
        ("DELETE FROM audit_log WHERE sequence = (SELECT max(sequence) FROM audit_log) - 1", "is missing"),
    ],
)
def test_verify_finds_a_removed_or_altered_entry(
    workspace: Workspace, db_path: Path, statement: str, found: str
) -> None:
    fill_demo(workspace, claims=False)
    log = AuditLog(workspace.db)
    assert log.verify() == [] and log.count() > 10
    workspace.close()
    _tamper(db_path, statement)
    reopened = Workspace.open(db_path)
    try:
        problems = AuditLog(reopened.db).verify()
    finally:
        reopened.close()
    assert any(found in p for p in problems), problems
