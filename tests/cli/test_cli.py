"""The command line, run in-process through ``main([...])``: every list and add subcommand, JSON
output, one-line refusals (exit 2) that write nothing, the schema guard, export/import and demo, and
how the window is started."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
import sys
import types
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kettrack import __version__
from kettrack.cli import main
from tests.store.test_transfer import comparable

TABLES = ("patients", "providers", "payers", "coverages", "treatments", "infusions", "payments")


class Cli:
    """Runs ``kettrack --db <file> ...`` in this process and keeps what it printed."""

    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys
        self.out = self.err = ""

    def __call__(self, *args: str, db: bool = True) -> int:
        code = main((["--db", str(self.db)] if db else []) + list(args))
        captured = self.capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        return code

    def json(self, *args: str) -> Any:
        assert self(*args, "--json") == 0, self.err
        return json.loads(self.out)

    def new_id(self, *args: str) -> int:
        assert self(*args) == 0, self.err
        return int(self.out.strip())

    def counts(self) -> dict[str, int]:
        connection = sqlite3.connect(self.db)
        try:
            return {t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        finally:
            connection.close()


@pytest.fixture
def cli(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    # icd10: builds the code index into the session's cache folder once, so the CLI only reads it.
    return Cli(db_path, capsys)


@pytest.fixture
def clinic(cli: Cli) -> dict[str, int]:
    """A small practice set up through the command line itself."""
    ids = {
        "clinic": cli.new_id(
            "providers",
            "add",
            "--kind",
            "organization",
            "--name",
            "Fernhollow Clinic",
            "--npi",
            "1234567893",
            "--tin",
            "12-3456789",
            "--taxonomy",
            "261QM0801X",
            "--address-line1",
            "1 Main St",
            "--city",
            "Fernhollow",
            "--state",
            "nc",
            "--postal-code",
            "27999",
        ),
    }
    ids["doctor"] = cli.new_id(
        "providers",
        "add",
        "--name",
        "Dana Reyes",
        "--credentials",
        "MD",
        "--npi",
        "1043528714",
        "--taxonomy",
        "2084P0800X",
        "--license",
        "2011-03478",
        "--license-state",
        "NC",
        "--clinic",
        str(ids["clinic"]),
    )
    ids["payer"] = cli.new_id(
        "payers",
        "add",
        "--name",
        "Blue Ridge Health Plan",
        "--kind",
        "commercial",
        "--payer-code",
        "BRHP1",
        "--phone",
        "1-800-555-0199",
        "--claims-address",
        "PO Box 1\nFernhollow, NC",
        "--appeals-address",
        "PO Box 2",
    )
    ids["patient"] = cli.new_id(
        "patients",
        "add",
        "--name",
        "Jane Doe",
        "--dob",
        "1980-02-03",
        "--sex",
        "female",
        "--phone",
        "919-555-0100",
        "--address-line1",
        "88 Elm St",
        "--address-line2",
        "Apt 2",
        "--city",
        "Fernhollow",
        "--state",
        "NC",
        "--postal-code",
        "27999",
        "--email",
        "jane@example.com",
    )
    return ids


def _one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in text
    return lines[0]


def test_version(cli: Cli) -> None:
    assert cli("--version", db=False) == 0
    assert cli.out.strip() == f"kettrack {__version__}"


def test_patients_add_and_list(cli: Cli, clinic: dict[str, int]) -> None:
    assert cli("patients", "list") == 0
    header, rule, row = cli.out.splitlines()
    assert header.split() == ["ID", "Name", "Born", "Sex", "Phone", "City", "State", "REMS"]
    assert set(rule) <= {"-", " "}
    assert "Jane Doe" in row and "1980-02-03" in row
    # The columns line up: each header starts where its values start.
    assert header.index("Born") == row.index("1980-02-03")
    [patient] = cli.json("patients", "list")
    assert patient == {
        "id": clinic["patient"],
        "legal_name": "Jane Doe",
        "date_of_birth": "1980-02-03",
        "sex": "female",
        "address": {
            "line1": "88 Elm St",
            "line2": "Apt 2",
            "city": "Fernhollow",
            "state": "NC",
            "postal_code": "27999",
        },
        "phone": "919-555-0100",
        "email": "jane@example.com",
        "rems_enrolled": False,
        "rems_enrolled_on": None,
        "rems_id": "",
    }


def test_providers_and_payers(cli: Cli, clinic: dict[str, int]) -> None:
    providers = {p["id"]: p for p in cli.json("providers", "list")}
    assert providers[clinic["clinic"]]["kind"] == "organization"
    assert providers[clinic["clinic"]]["address"]["state"] == "NC"
    assert providers[clinic["doctor"]]["clinic_id"] == clinic["clinic"]
    assert providers[clinic["doctor"]]["license_number"] == "2011-03478"
    assert cli("providers", "list") == 0 and "Fernhollow Clinic" in cli.out and "2084P0800X" in cli.out
    [payer] = cli.json("payers", "list")
    assert payer["kind"] == "commercial" and payer["claims_address"] == "PO Box 1\nFernhollow, NC"
    assert cli("payers", "list") == 0 and "BRHP1" in cli.out


def test_coverages_and_treatments(cli: Cli, clinic: dict[str, int]) -> None:
    patient = str(clinic["patient"])
    cli.new_id(
        "coverages",
        "add",
        "--patient",
        patient,
        "--payer",
        str(clinic["payer"]),
        "--member-id",
        "BRH1",
        "--group",
        "G7",
        "--relationship",
        "spouse",
        "--policyholder",
        "John Doe",
        "--policyholder-dob",
        "1979-01-01",
        "--rank",
        "primary",
        "--from",
        "2025-01-01",
        "--to",
        "2026-12-31",
        "--network",
        "out_of_network",
    )
    [coverage] = cli.json("coverages", "list", "--patient", patient)
    assert coverage["relationship"] == "spouse" and coverage["effective_to"] == "2026-12-31"
    assert coverage["network"] == "out_of_network" and coverage["policyholder_name"] == "John Doe"
    assert cli("coverages", "list") == 0 and "Jane Doe" in cli.out and "BRH1" in cli.out
    cli.new_id(
        "treatments",
        "add",
        "--patient",
        patient,
        "--kind",
        "medication",
        "--name",
        "Sertraline",
        "--details",
        "200 mg",
        "--started",
        "2019-03-01",
        "--ended",
        "2020-01-15",
        "--outcome",
        "no_response",
        "--notes",
        "no change",
    )
    cli.new_id("treatments", "add", "--patient", patient, "--kind", "tms", "--name", "TMS")
    treatments = cli.json("treatments", "list", "--patient", patient)
    assert sorted(t["name"] for t in treatments) == ["Sertraline", "TMS"]
    assert {t["outcome"] for t in treatments} == {"no_response", "other"}
    assert cli("treatments", "list") == 0 and "Sertraline" in cli.out


def test_infusions_add_and_filtered_list(cli: Cli, clinic: dict[str, int]) -> None:
    session = cli.new_id(
        "infusions",
        "add",
        "--patient",
        str(clinic["patient"]),
        "--date",
        "2026-03-02",
        "--drug",
        "ketamine",
        "--route",
        "iv",
        "--provider",
        str(clinic["doctor"]),
        "--clinic",
        str(clinic["clinic"]),
        "--start",
        "09:00",
        "--end",
        "09:50",
        "--pos",
        "11",
        "--dose-mg",
        "40",
        "--weight-kg",
        "80",
        "--dx",
        "F33.2",
        "--dx",
        "F41.1",
        "--phq9-before",
        "20",
        "--phq9-after",
        "15",
        "--gad7-before",
        "14",
        "--gad7-after",
        "10",
        "--pain-before",
        "3",
        "--pain-after",
        "1",
        "--side-effects",
        "mild nausea",
        "--notes",
        "first",
        "--paid",
        "450",
        "--paid-on",
        "2026-03-03",
        "--paid-method",
        "card",
        "--paid-reference",
        "V-1",
    )
    cli.new_id(
        "infusions",
        "add",
        "--patient",
        str(clinic["patient"]),
        "--date",
        "2026-04-10",
        "--drug",
        "esketamine",
        "--route",
        "intranasal",
        "--dose-mg",
        "56",
        "--dx",
        "F33.2",
    )
    records = cli.json("infusions", "list")
    assert [r["service_date"] for r in records] == ["2026-03-02", "2026-04-10"]
    first = records[0]
    assert first["id"] == session
    assert first["dose_mg"] == "40.00" and first["weight_kg"] == "80.00"
    assert first["start_time"] == "09:00" and first["diagnoses"] == ["F33.2", "F41.1"]
    assert first["payments"] == [
        {"paid_on": "2026-03-03", "amount": "450.00", "method": "card", "reference": "V-1"}
    ]
    assert first["pain_after"] == 1 and first["gad7_before"] == 14
    assert records[1]["payments"] == [] and records[1]["route"] == "intranasal"
    assert [r["id"] for r in cli.json("infusions", "list", "--from", "2026-04-01")] == [records[1]["id"]]
    assert [r["id"] for r in cli.json("infusions", "list", "--to", "2026-03-31")] == [session]
    assert [r["id"] for r in cli.json("infusions", "list", "--text", "esket")] == [records[1]["id"]]
    assert cli.json("infusions", "list", "--patient", "999") == []
    assert cli("infusions", "list") == 0
    lines = cli.out.splitlines()
    assert len(lines) == 4 and "Dana Reyes, MD" in lines[2] and lines[2].rstrip().endswith("450.00")
    assert cli("infusions", "list", "--patient", "999") == 0 and cli.out.strip() == "no infusion sessions"


def _bad_inputs(clinic: dict[str, int]) -> dict[str, list[str]]:
    patient = str(clinic["patient"])
    future = (date.today() + timedelta(days=30)).isoformat()
    session = ["infusions", "add", "--patient", patient, "--date", "2026-03-02"]
    return {
        "bad NPI": ["providers", "add", "--name", "X", "--npi", "1234567890"],
        "Feb 30": ["patients", "add", "--name", "X", "--dob", "2023-02-30"],
        "future date": ["infusions", "add", "--patient", patient, "--date", future, "--dx", "F33.2"],
        "NaN": [*session, "--paid", "NaN"],
        "1e309": [*session, "--paid", "1e309"],
        "12.345": [*session, "--paid", "12.345"],
        "unknown patient": ["infusions", "add", "--patient", "4242", "--date", "2026-03-02"],
        "unknown patient on coverage": [
            "coverages",
            "add",
            "--patient",
            "4242",
            "--payer",
            "1",
            "--member-id",
            "M",
        ],
        "unknown clinic": ["providers", "add", "--name", "Y", "--clinic", "4242"],
        "NUL in a name": ["patients", "add", "--name", "Jane\x00Doe"],
        "U+202E in a name": ["patients", "add", "--name", "Jane \u202eeoD"],
        "not billable": [*session, "--dx", "F43.1"],
        "bad drug": [*session, "--drug", "aspirin"],
        "bad time": [*session, "--start", "25:00", "--end", "26:00"],
        "bad id": [*session[:2], "--patient", "abc", "--date", "2026-03-02"],
        "several problems": ["providers", "add", "--name", "Z", "--npi", "1234567890", "--tin", "1234"],
        "payment options without amount": [*session, "--paid-on", "2026-03-02"],
    }


def test_bad_inputs_give_one_line_exit_2_and_write_nothing(cli: Cli, clinic: dict[str, int]) -> None:
    before = cli.counts()
    for name, argv in _bad_inputs(clinic).items():
        code = cli(*argv)
        assert code == 2, (name, cli.err)
        line = _one_line(cli.err)
        assert line.startswith("kettrack: error: "), (name, line)
        assert cli.out == "", name
        assert cli.counts() == before, name
    assert cli("providers", "add", "--name", "X", "--npi", "1234567890") == 2
    assert cli.err.startswith("kettrack: error: npi: NPI has a wrong check digit")
    assert cli(*_bad_inputs(clinic)["several problems"]) == 2
    assert "npi: " in cli.err and "; tin: TIN/EIN" in cli.err
    assert cli(*_bad_inputs(clinic)["U+202E in a name"]) == 2
    assert "legal_name: contains an invisible text-direction character (U+202E)" in cli.err


def test_usage_errors_exit_2(cli: Cli) -> None:
    for argv in (["patients", "add"], ["frobnicate"], ["patients"], ["infusions", "list", "--bogus"]):
        assert cli(*argv) == 2, argv
        assert _one_line(cli.err).startswith("kettrack"), argv
    assert cli("--db", "x.sqlite3", "--demo", "patients", "list", db=False) == 2
    assert _one_line(cli.err) == "kettrack: error: choose either --db or --demo, not both"


def test_db_option_after_the_subcommand(cli: Cli, tmp_path: Path, template_db: Path) -> None:
    other = tmp_path / "other.sqlite3"
    shutil.copyfile(template_db, other)
    assert cli("patients", "add", "--name", "Only Here", "--db", str(other), db=False) == 0
    assert cli("patients", "list", "--db", str(other), db=False) == 0 and "Only Here" in cli.out
    assert cli.counts()["patients"] == 0


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_newer_schema_is_refused_untouched(cli: Cli, tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    shutil.copyfile(cli.db, newer)
    connection = sqlite3.connect(newer)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff'")
    connection.close()
    digest, mode = _digest(newer), stat.S_IMODE(newer.stat().st_mode)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    for argv in (
        ["patients", "list"],
        ["patients", "add", "--name", "X"],
        ["demo"],
        ["export", str(tmp_path / "e.json")],
    ):
        assert main(["--db", str(newer), *argv]) == 2
        line = _one_line(cli.capsys.readouterr().err)
        assert "newer version of kettrack" in line and "ffff" in line
    assert _digest(newer) == digest and stat.S_IMODE(newer.stat().st_mode) == mode
    assert not (tmp_path / "e.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before  # no -wal, -shm or backup either


def test_database_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello")
    cases = [["--db", str(not_db)], ["--db", str(tmp_path)], ["--db", "mysql://somewhere/db"]]
    for db in cases:
        assert main([*db, "patients", "list"]) == 2, db
        assert _one_line(cli.capsys.readouterr().err).startswith("kettrack: error: ")
    assert not_db.read_text() == "hello"


def test_unexpected_errors_exit_1_with_traceback_only_in_debug(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ws: Any, args: Any) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr("kettrack.cli.records.patients_list", broken)
    assert cli("patients", "list") == 1
    assert "boom" in _one_line(cli.err)
    monkeypatch.setenv("KETTRACK_DEBUG", "1")
    assert cli("patients", "list") == 1
    assert "Traceback" in cli.err and cli.err.splitlines()[-1].startswith("kettrack: error: unexpected")


def test_demo_export_import(cli: Cli, tmp_path: Path, template_db: Path) -> None:
    assert cli("demo") == 0 and "2 patients" in cli.out
    assert cli("demo") == 2
    assert "already holds records" in _one_line(cli.err)
    export = tmp_path / "out" / "all.json"
    export.parent.mkdir()
    assert cli("export", str(export)) == 0 and "26 infusions" in cli.out
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    assert cli("export", str(export)) == 2 and "--force" in _one_line(cli.err)
    assert cli("export", str(export), "--force") == 0
    assert cli("export", str(tmp_path / "missing" / "x.json")) == 2
    assert (
        _one_line(cli.err)
        == f"kettrack: error: cannot write {tmp_path / 'missing' / 'x.json'}: No such file or directory"
    )
    assert cli("import", str(export)) == 2 and "already holds records" in _one_line(cli.err)
    target = tmp_path / "target.sqlite3"
    shutil.copyfile(template_db, target)
    assert main(["--db", str(target), "import", str(export)]) == 0
    again = tmp_path / "again.json"
    assert main(["--db", str(target), "export", str(again)]) == 0
    first, second = json.loads(export.read_text()), json.loads(again.read_text())
    assert comparable(first) == comparable(second)


def test_import_problems_list_each_record(cli: Cli, tmp_path: Path) -> None:
    assert cli("demo", "--no-claims") == 0
    export = tmp_path / "all.json"
    assert cli("export", str(export)) == 0
    data = json.loads(export.read_text())
    data["infusions"][0]["diagnoses"] = ["F43.1"]
    data["providers"][0]["npi"] = "1234567890"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    cli.db = tmp_path / "fresh.sqlite3"
    assert cli("import", str(broken)) == 2
    lines = cli.err.splitlines()
    assert lines[0] == "kettrack: error: import refused, nothing was imported: 2 problems"
    assert lines[1].startswith("  providers[1] (id 1): npi: NPI has a wrong check digit")
    assert lines[2].startswith("  infusions[1] (id 1): diagnoses: F43.1 is not a billable code")
    assert cli.counts() == dict.fromkeys(TABLES, 0)
    broken.write_text(json.dumps({**data, "format_version": 6}))
    assert cli("import", str(broken)) == 2 and "newer kettrack" in _one_line(cli.err)
    assert cli("import", str(tmp_path / "nope.json")) == 2 and "cannot read" in _one_line(cli.err)


def _fake_ui(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    module = types.ModuleType("kettrack.ui.app")

    def run(
        location: str | None, *, quit_after_startup: bool = False, started_at: float | None = None
    ) -> int:
        calls.append((location, quit_after_startup, started_at))
        return 0

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kettrack.ui.app", module)
    return calls


def test_no_command_starts_the_window(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import kettrack.launch

    calls = _fake_ui(monkeypatch)
    assert cli("--quit-after-startup") == 0
    assert calls == [(str(cli.db), True, kettrack.launch.STARTED)]
    assert cli(db=False) == 0
    assert calls[-1] == (None, False, kettrack.launch.STARTED)


def test_demo_window_uses_a_filled_demo_database(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KETTRACK_DATA_DIR", str(tmp_path / "data"))
    calls = _fake_ui(monkeypatch)
    assert cli("--demo", db=False) == 0, cli.err
    demo = tmp_path / "data" / "demo.sqlite3"
    assert calls == [(str(demo), False, pytest.approx(calls[0][2]))]
    connection = sqlite3.connect(demo)
    count = connection.execute("SELECT COUNT(*) FROM infusions").fetchone()[0]
    connection.close()
    assert count == 26 and stat.S_IMODE(demo.stat().st_mode) == 0o600
    assert cli("--demo", db=False) == 0  # already filled: opened as it is, not filled twice
    assert cli("--demo", "patients", "list", db=False) == 0 and "Kemperman" in cli.out
    assert len(calls) == 2
    connection = sqlite3.connect(demo)
    assert connection.execute("SELECT COUNT(*) FROM infusions").fetchone()[0] == 26
    connection.close()


def test_unexpected_database_errors_do_not_echo_patient_data(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    def broken(ws: Any, args: Any) -> int:
        raise IntegrityError(
            "INSERT INTO patients ...", {"legal_name": "Secret Person"}, Exception("constraint")
        )

    monkeypatch.setattr("kettrack.cli.records.patients_list", broken)
    assert cli("patients", "list") == 1
    line = _one_line(cli.err)
    assert "IntegrityError: constraint" in line and "Secret Person" not in line


def test_command_names_match_the_parser() -> None:
    """The window-only fast path knows every command's name, so no command is mistaken for the window."""
    import argparse

    from kettrack.cli.parser import COMMANDS, build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == COMMANDS
