"""Spravato REMS on a real database: the patient's enrolment fields (migrated, validated, kept), which
sessions owe a Patient Monitoring Form (drug or service line), recording it (audited, refused when it
cannot be true), the form as a deadline in ``due``, on the dashboard and in the calendar, and the
fields through export and import (an older file without them still imports; hostile values refused)."""

from __future__ import annotations

import copy
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kettrack.core.deadlines import DeadlineKind
from kettrack.core.enums import Drug, Route
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.records import InfusionRecord, PatientRecord
from kettrack.services import rems
from kettrack.services.transfer import ImportRefused, export_data, import_data
from kettrack.services.workspace import Workspace
from kettrack.store.audit import AuditLog
from kettrack.store.database import Database
from kettrack.store.models import ServiceLine
from tests.conftest import TODAY


def _patient(ws: Workspace, name: str = "Ann Able", **kwargs: Any) -> int:
    saved = ws.patients.add(PatientRecord(name, date_of_birth=date(1980, 5, 1), **kwargs))
    assert saved.id is not None
    return saved.id


def _session(ws: Workspace, patient_id: int, day: date, drug: Drug = Drug.ESKETAMINE) -> int:
    route = Route.INTRANASAL if drug is Drug.ESKETAMINE else Route.IV
    saved = ws.infusions.add(InfusionRecord(patient_id=patient_id, service_date=day, drug=drug, route=route))
    assert saved.id is not None
    return saved.id


def _bill(ws: Workspace, infusion_id: int, day: date, code: str) -> None:
    """A service line written as the billing repository keeps them (its rules are not under test here)."""
    with ws.db.session() as session:
        session.add(
            ServiceLine(
                infusion_id=infusion_id,
                position=0,
                service_date=day,
                place_of_service="11",
                code=code,
                description="our words",
                units=1,
                charge=Decimal("100.00"),
            )
        )


# --- the schema --------------------------------------------------------------------------------------


def test_the_migrated_claims_check_knows_every_deadline_kind(db_path: Path) -> None:
    Database.open(db_path).close()
    connection = sqlite3.connect(db_path)
    try:
        (sql,) = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'claims'").fetchone()
    finally:
        connection.close()
    clause = sql[sql.index("ck_claims_deadline_kind") :]
    assert all(f"'{kind.value}'" in clause.split(")")[0] for kind in DeadlineKind)


def test_the_migrated_claims_check_knows_every_deadline_kind_on_postgres(pg_url: str) -> None:
    from sqlalchemy import text

    db = Database.open(pg_url)
    try:
        with db.reader() as session:
            definition = session.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
                {"name": "ck_claims_deadline_kind"},
            ).scalar_one()
    finally:
        db.close()
    assert all(f"'{kind.value}'" in definition for kind in DeadlineKind)


# --- enrolment on the patient's record ----------------------------------------------------------------


def test_enrolment_is_kept_and_changed_on_the_patient(workspace: Workspace) -> None:
    ws = workspace
    patient_id = _patient(ws)
    assert ws.patients.get(patient_id).rems_enrolled is False  # nobody is enrolled until said so
    enrolled = ws.patients.update(
        replace(
            ws.patients.get(patient_id),
            rems_enrolled=True,
            rems_enrolled_on=date(2026, 1, 5),
            rems_id=" R-77 ",
        )
    )
    assert (enrolled.rems_enrolled, enrolled.rems_enrolled_on, enrolled.rems_id) == (
        True,
        date(2026, 1, 5),
        "R-77",
    )
    entry = AuditLog(ws.db).entries(record_kind="patient", record_id=patient_id, action="update")[0]
    assert "rems_enrolled" in entry.details and "rems_id" in entry.details


def test_a_contradictory_enrolment_is_refused_and_nothing_saved(workspace: Workspace) -> None:
    ws = workspace
    with pytest.raises(InvalidInput) as caught:
        ws.patients.add(PatientRecord("Ann Able", rems_enrolled_on=date(2026, 12, 1), rems_id="R/1"))
    assert {p.field for p in caught.value.problems} == {"rems_enrolled", "rems_enrolled_on", "rems_id"}
    assert ws.patients.count() == 0


# --- which sessions owe a form, and recording it ------------------------------------------------------


def test_esketamine_by_drug_or_by_line_owes_a_form(workspace: Workspace) -> None:
    ws = workspace
    patient_id = _patient(ws, rems_enrolled=True)
    by_drug = _session(ws, patient_id, date(2026, 11, 2))
    by_line = _session(ws, patient_id, date(2026, 11, 3), Drug.KETAMINE)
    _bill(ws, by_line, date(2026, 11, 3), "G2082")
    ketamine = _session(ws, patient_id, date(2026, 11, 4), Drug.KETAMINE)
    _bill(ws, ketamine, date(2026, 11, 4), "96365")
    owed = rems.forms(ws).open_forms()
    assert [s.session_id for s in owed] == [by_drug, by_line]
    assert rems.forms(ws).session(ketamine) is None
    with pytest.raises(NotFound):
        rems.forms(ws).session(999)


def test_recording_the_form_closes_its_deadline(workspace: Workspace) -> None:
    ws = workspace
    patient_id = _patient(ws, rems_enrolled=True)
    first = _session(ws, patient_id, date(2026, 11, 9))
    second = _session(ws, patient_id, date(2026, 11, 20))
    assert [i.session_id for i in rems.due(ws, 30)] == [first, second]

    done = rems.record_form_sent(ws, first, date(2026, 11, 12))
    assert done.form_done and done.form_sent_on == date(2026, 11, 12)
    assert [i.session_id for i in rems.due(ws, 30)] == [second]
    assert ws.infusions.get(first).rems_form_sent_on == date(2026, 11, 12)
    entry = AuditLog(ws.db).entries(record_kind="infusion", record_id=first, action="update")[0]
    assert "rems_form_sent_on" in entry.details

    # A later record corrects the day; the audit entry says what it was.
    rems.record_form_sent(ws, first, date(2026, 11, 13))
    entry = AuditLog(ws.db).entries(record_kind="infusion", record_id=first, action="update")[0]
    assert "was 2026-11-12" in entry.details

    # Editing the session (the window's form knows nothing of the form date) keeps it.
    edited = replace(ws.infusions.get(first), rems_form_sent_on=None, notes="felt calm")
    assert ws.infusions.update(edited).rems_form_sent_on == date(2026, 11, 13)


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (date(2026, 11, 19), "before the session"),
        (TODAY + timedelta(days=1), "in the future"),
        (None, "required"),
    ],
)
def test_a_form_date_that_cannot_be_true_is_refused(
    workspace: Workspace, sent: date | None, words: str
) -> None:
    ws = workspace
    session_id = _session(ws, _patient(ws), date(2026, 11, 20))
    with pytest.raises(InvalidInput) as caught:
        rems.record_form_sent(ws, session_id, sent)
    assert caught.value.for_field("rems_form_sent_on") and words in str(caught.value)
    assert ws.infusions.get(session_id).rems_form_sent_on is None


def test_a_ketamine_session_owes_no_form(workspace: Workspace) -> None:
    ws = workspace
    session_id = _session(ws, _patient(ws), date(2026, 11, 20), Drug.KETAMINE)
    with pytest.raises(InvalidInput, match="owes no REMS form"):
        rems.record_form_sent(ws, session_id, date(2026, 11, 21))
    with pytest.raises(NotFound):
        rems.record_form_sent(ws, 999, date(2026, 11, 21))


def test_the_enrolment_warning_of_a_session(workspace: Workspace) -> None:
    ws = workspace
    not_enrolled = _session(ws, _patient(ws, "Ann Able"), date(2026, 11, 20))
    late = _session(
        ws, _patient(ws, "Bo Bee", rems_enrolled=True, rems_enrolled_on=date(2026, 11, 21)), TODAY
    )
    fine = _session(ws, _patient(ws, "Cy Cole", rems_enrolled=True), date(2026, 11, 20))
    ketamine = _session(ws, _patient(ws, "Di Dunn"), date(2026, 11, 20), Drug.KETAMINE)
    assert "not enrolled" in (rems.session_warning(ws, not_enrolled) or "")
    assert rems.session_warning(ws, late) is None  # enrolled 2026-11-21, session on TODAY (11-23)
    assert rems.session_warning(ws, fine) is None
    assert rems.session_warning(ws, ketamine) is None
    early = _session(ws, ws.patients.list()[1].id or 0, date(2026, 11, 20))  # Bo Bee, before enrolling
    assert "after this session" in (rems.session_warning(ws, early) or "")
    # The dashboard line says it too.
    action = next(i.action for i in rems.due(ws, 30) if i.session_id == not_enrolled)
    assert "not enrolled" in action


# --- the deadline beside the claims' -----------------------------------------------------------------


def test_forms_in_due_the_dashboard_and_the_calendar(workspace: Workspace) -> None:
    ws = workspace
    patient_id = _patient(ws, rems_enrolled=True)
    overdue = _session(ws, patient_id, date(2026, 11, 10))  # due 11-17
    this_week = _session(ws, patient_id, date(2026, 11, 20))  # due 11-27
    done = _session(ws, patient_id, date(2026, 11, 18))
    rems.record_form_sent(ws, done, date(2026, 11, 19))
    old = _session(ws, patient_id, date(2025, 1, 10))  # long overdue: still listed

    items = rems.due(ws, 0)
    assert [i.session_id for i in items] == [old, overdue]
    assert all(i.kind is DeadlineKind.REMS_FORM and i.claim_id is None for i in items)
    assert [i.due for i in rems.due(ws, 30)] == [date(2025, 1, 17), date(2026, 11, 17), date(2026, 11, 27)]

    board = rems.dashboard(ws)
    assert [i.session_id for i in board.overdue] == [old, overdue]
    assert [i.session_id for i in board.within_7] == [this_week]
    assert "Patient Monitoring Form" in board.within_7[0].action

    calendar = [c for c in rems.calendar_items(ws) if c.deadline.kind is DeadlineKind.REMS_FORM]
    assert sorted(c.key for c in calendar) == sorted(
        f"session-{n}/rems-form" for n in (old, overdue, this_week)
    )
    assert all("Ann Able" not in c.summary for c in calendar)  # the name stays in the description

    from kettrack.core.calendar_export import to_ics

    ics = to_ics(calendar).decode()
    assert ics.count("BEGIN:VEVENT") == 3 and "DTSTART;VALUE=DATE:20261127" in ics


# --- export and import ------------------------------------------------------------------------------


@pytest.fixture
def target(template_db: Path, tmp_path: Path, icd10: Any) -> Iterator[Workspace]:
    path = tmp_path / "target.sqlite3"
    shutil.copyfile(template_db, path)
    ws = Workspace.open(path, today=lambda: TODAY)
    from kettrack.core.icd10_releases import Icd10Releases

    ws._icd = Icd10Releases([icd10])
    yield ws
    ws.close()


@pytest.fixture
def exported(workspace: Workspace) -> dict[str, Any]:
    ws = workspace
    enrolled = _patient(ws, "Ann Able", rems_enrolled=True, rems_enrolled_on=date(2026, 1, 5), rems_id="R-77")
    sent = _session(ws, enrolled, date(2026, 11, 2))
    rems.record_form_sent(ws, sent, date(2026, 11, 4))
    _session(ws, enrolled, date(2026, 11, 20))
    _session(ws, _patient(ws, "Bo Bee"), date(2026, 11, 21), Drug.KETAMINE)
    return export_data(ws)


def test_export_and_import_keep_the_rems_fields(exported: dict[str, Any], target: Workspace) -> None:
    patient = exported["patients"][0]
    assert (patient["rems_enrolled"], patient["rems_enrolled_on"], patient["rems_id"]) == (
        True,
        "2026-01-05",
        "R-77",
    )
    assert exported["infusions"][0]["rems_form_sent_on"] == "2026-11-04"
    import_data(target, exported)
    assert target.patients.get(1).rems_id == "R-77"
    assert target.infusions.get(1).rems_form_sent_on == date(2026, 11, 4)
    assert [s.session_id for s in rems.forms(target).open_forms()] == [2]
    again = export_data(target)
    assert again["patients"] == exported["patients"] and again["infusions"] == exported["infusions"]


def test_an_older_export_without_the_fields_imports(exported: dict[str, Any], target: Workspace) -> None:
    old = copy.deepcopy(exported)
    for patient in old["patients"]:
        for name in ("rems_enrolled", "rems_enrolled_on", "rems_id"):
            del patient[name]
    for infusion in old["infusions"]:
        del infusion["rems_form_sent_on"]
    import_data(target, old)
    assert [p.rems_enrolled for p in target.patients.list()] == [False, False]
    assert [s.session_id for s in rems.forms(target).open_forms()] == [1, 2]


HOSTILE = [
    # section, index, field, value, words of the problem
    ("patients", 0, "rems_enrolled", "yes", "must be true or false"),
    ("patients", 0, "rems_enrolled", 1, "must be true or false"),
    ("patients", 0, "rems_id", "R-77\u202e", ""),
    ("patients", 0, "rems_id", "../../R", "letters, digits"),
    ("patients", 0, "rems_id", "R" * 51, "50"),
    ("patients", 0, "rems_enrolled_on", "2999-01-01", "in the future"),
    ("patients", 0, "rems_enrolled_on", "1900-02-30", ""),
    ("patients", 1, "rems_id", "B-1", "mark the patient as enrolled"),
    ("infusions", 0, "rems_form_sent_on", "2026-11-01", "before the session"),
    ("infusions", 0, "rems_form_sent_on", "2026-12-24", "in the future"),
    ("infusions", 0, "rems_form_sent_on", 20261104, "YYYY-MM-DD"),
]


@pytest.mark.parametrize(("section", "index", "field", "value", "words"), HOSTILE)
def test_hostile_rems_values_are_refused(
    exported: dict[str, Any], target: Workspace, section: str, index: int, field: str, value: Any, words: str
) -> None:
    data = copy.deepcopy(exported)
    data[section][index][field] = value
    with pytest.raises(ImportRefused) as caught:
        import_data(target, data)
    # The problem names the record and a REMS field (a contradiction lands on "rems_enrolled").
    label = f"{section}[{index + 1}]"
    mine = [p for p in caught.value.problems if p.field.startswith(label) and "rems" in p.field]
    assert mine and words in mine[0].message, caught.value.problems
    assert target.patients.count() == 0 and target.infusions.count() == 0


def test_an_upgraded_database_tracks_forms_from_a_week_before_the_upgrade(workspace: Workspace) -> None:
    """Migration 0008 sets ``rems_forms_from`` on a database that already held sessions: the forms of
    sessions before it were due before kettrack tracked them, and no sent date is invented for them."""
    from kettrack.store.rems import TRACKED_FROM, RemsForms

    patient = workspace.patients.add(PatientRecord(legal_name="Rae Old", date_of_birth=date(1970, 1, 1)))
    assert patient.id is not None
    for day in (date(2026, 6, 1), date(2026, 11, 20)):
        workspace.infusions.add(
            InfusionRecord(
                patient_id=patient.id, service_date=day, drug=Drug.ESKETAMINE, route=Route.INTRANASAL
            )
        )
    forms = RemsForms(workspace.db, lambda: TODAY)
    assert [f.service_date for f in forms.open_forms()] == [date(2026, 6, 1), date(2026, 11, 20)]
    workspace.settings.set(TRACKED_FROM, "2026-11-16")
    assert [f.service_date for f in forms.open_forms()] == [date(2026, 11, 20)]
