"""Spravato REMS on the command line: a patient's enrolment (``patients add --rems-...``, ``patients
rems``), the Patient Monitoring Form listed by ``due`` and in the calendar until ``infusions rems-form``
records it, the warning for esketamine to a patient not enrolled, and one-line refusals (exit 2) that
write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def cli(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    return Cli(db_path, capsys)


def _esketamine(cli: Cli, patient: int, day: str) -> int:
    return cli.new_id(
        "infusions",
        "add",
        "--patient",
        str(patient),
        "--date",
        day,
        "--drug",
        "esketamine",
        "--route",
        "intranasal",
    )


def test_enrolment_options_on_the_patient(cli: Cli) -> None:
    ann = cli.new_id("patients", "add", "--name", "Ann Able")
    bo = cli.new_id(
        "patients", "add", "--name", "Bo Bee", "--rems-enrolled-on", "2026-01-05", "--rems-id", "R-7"
    )
    cy = cli.new_id("patients", "add", "--name", "Cy Cole", "--rems-enrolled")
    listed = {p["id"]: p for p in cli.json("patients", "list")}
    assert [listed[n]["rems_enrolled"] for n in (ann, bo, cy)] == [False, True, True]
    assert (listed[bo]["rems_enrolled_on"], listed[bo]["rems_id"]) == ("2026-01-05", "R-7")
    assert cli("patients", "list") == 0 and "enrolled 2026-01-05" in cli.out

    assert cli("patients", "rems", str(ann), "--enrolled", "yes", "--on", "2026-11-02") == 0, cli.err
    assert "enrolled in the Spravato REMS (since 2026-11-02)" in cli.out
    assert cli("patients", "rems", str(bo), "--enrolled", "no") == 0, cli.err
    assert "not enrolled" in cli.out
    listed = {p["id"]: p for p in cli.json("patients", "list")}
    assert (listed[bo]["rems_enrolled"], listed[bo]["rems_enrolled_on"], listed[bo]["rems_id"]) == (
        False,
        None,
        "",
    )
    assert listed[ann]["rems_enrolled_on"] == "2026-11-02"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("patients", "rems", "1", "--enrolled", "maybe"), "rems_enrolled: 'maybe': write yes or no"),
        (("patients", "rems", "1", "--enrolled", "no", "--on", "2026-01-01"), "mark the patient as enrolled"),
        (("patients", "rems", "1", "--enrolled", "yes", "--on", "2027-01-01"), "in the future"),
        (("patients", "rems", "1", "--enrolled", "yes", "--rems-id", "R/1"), "letters, digits"),
        (("patients", "rems", "9", "--enrolled", "yes"), "no patient with id 9"),
        (("patients", "add", "--name", "Di Dunn", "--rems-enrolled-on", "soon"), "not a date"),
    ],
)
def test_bad_enrolment_is_one_line_and_changes_nothing(cli: Cli, args: tuple[str, ...], words: str) -> None:
    cli.new_id("patients", "add", "--name", "Ann Able")
    assert cli(*args) == 2
    assert words in cli.err and len(cli.err.strip().splitlines()) == 1
    assert [(p["legal_name"], p["rems_enrolled"]) for p in cli.json("patients", "list")] == [
        ("Ann Able", False)
    ]


def test_due_lists_the_form_until_it_is_recorded(cli: Cli, tmp_path: Path) -> None:
    patient = cli.new_id("patients", "add", "--name", "Ann Able", "--rems-enrolled")
    first = _esketamine(cli, patient, "2026-11-10")  # due 2026-11-17: overdue on the suite's 2026-11-23
    second = _esketamine(cli, patient, "2026-11-20")  # due 2026-11-27
    cli.new_id("infusions", "add", "--patient", str(patient), "--date", "2026-11-21")  # ketamine: no form

    due = cli.json("due")
    assert [(d["session_id"], d["due"], d["kind"], d["overdue"]) for d in due] == [
        (first, "2026-11-17", "rems_form", True),
        (second, "2026-11-27", "rems_form", False),
    ]
    assert cli("due") == 0 and "OVERDUE" in cli.out and f"session {first}" in cli.out
    assert "Patient Monitoring Form" in cli.out
    ics = tmp_path / "deadlines.ics"
    assert cli("calendar", str(ics)) == 0 and cli.out.startswith("2 deadlines")

    assert cli("infusions", "rems-form", str(first), "--sent", "2026-11-12") == 0, cli.err
    assert "Form sent on 2026-11-12" in cli.out and cli.err == ""
    assert [d["session_id"] for d in cli.json("due")] == [second]
    assert cli("calendar", str(ics)) == 0 and cli.out.startswith("1 deadline ")


@pytest.mark.parametrize(
    ("session", "sent", "words"),
    [
        ("1", "2026-11-09", "before the session"),
        ("1", "2026-11-24", "in the future"),
        ("1", "12/11/2026", "YYYY-MM-DD"),
        ("0", "2026-11-12", "ids start at 1"),
        ("x", "2026-11-12", "is not an id"),
        ("9", "2026-11-12", "no infusion session with id 9"),
        ("2", "2026-11-22", "owes no REMS form"),  # the ketamine session
    ],
)
def test_bad_form_records_are_one_line_and_change_nothing(
    cli: Cli, session: str, sent: str, words: str
) -> None:
    patient = cli.new_id("patients", "add", "--name", "Ann Able", "--rems-enrolled")
    _esketamine(cli, patient, "2026-11-10")
    cli.new_id("infusions", "add", "--patient", str(patient), "--date", "2026-11-21")
    assert cli("infusions", "rems-form", session, "--sent", sent) == 2
    assert words in cli.err and len(cli.err.strip().splitlines()) == 1
    assert [d["session_id"] for d in cli.json("due")] == [1]


def test_esketamine_for_a_patient_not_enrolled_is_a_warning(cli: Cli) -> None:
    patient = cli.new_id("patients", "add", "--name", "Ann Able")
    assert (
        cli("infusions", "add", "--patient", str(patient), "--date", "2026-11-20", "--drug", "esketamine")
        == 0
    )
    assert cli.out.strip() == "1"  # stdout keeps only the id, for scripts
    assert "warning: session 1: the patient is not enrolled in the Spravato REMS" in cli.err
    (item,) = cli.json("due")
    assert "not enrolled" in item["action"]
    assert cli("infusions", "rems-form", "1", "--sent", "2026-11-21") == 0
    assert "not enrolled" in cli.err  # said again where the form is recorded
