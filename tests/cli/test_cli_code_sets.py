"""The command line for code sets by date: `codes icd10` lists the releases with their dates and warns
past the newest; `--load` takes either CDC layout and refuses a bad file with one line and exit 2;
`--diff` and `--remove`; `infusions add`, `check` and `import` use the release of each date of service;
`codes load` reads a CSV code list with effective dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kettrack.core.icd10 import Icd10Index
from tests.cli.test_cli import Cli
from tests.code_sets_kit import WARNING as RELEASE_WARNING
from tests.code_sets_kit import write_order_file, write_tabular_xml

WARNING = f"warning: {RELEASE_WARNING}"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, icd10: Icd10Index) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-releases")
    return {"order": write_order_file(icd10, folder), "xml": write_tabular_xml(icd10, folder)}


@pytest.fixture
def cli(db_path: Path, icd10: Icd10Index, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(db_path, capsys)


def _patient(cli: Cli) -> str:
    return str(cli.new_id("patients", "add", "--name", "Ann Able", "--dob", "1980-05-01"))


@pytest.mark.parametrize("layout", ["order", "xml"])
def test_list_load_diff_and_remove(cli: Cli, files: dict[str, Path], layout: str) -> None:
    assert cli("codes", "icd10") == 0
    assert "FY2026   2025-10-01  2026-09-30  74,719  with kettrack" in cli.out
    assert cli.err.strip() == WARNING  # today (2026-11-23) is past FY2026
    assert cli("codes", "icd10", "--load", str(files[layout])) == 0, cli.err
    kind = "order file" if layout == "order" else "tabular XML"
    assert cli.out.splitlines()[0] == (
        f"ICD-10-CM FY2027 loaded from {files[layout].name} ({kind}): 74,721 billable codes, "
        "in force from 2026-10-01"
    )
    assert "FY2027   2026-10-01  2027-09-30  74,721  loaded" in cli.out and cli.err == ""
    listed = cli.json("codes", "icd10")
    assert [(r["label"], r["from"], r["to"], r["bundled"]) for r in listed] == [
        ("FY2026", "2025-10-01", "2026-09-30", True),
        ("FY2027", "2026-10-01", "2027-09-30", False),
    ]
    assert cli("codes", "icd10", "--diff", "FY2026", "FY2027") == 0
    lines = cli.out.splitlines()
    assert lines[0].startswith("FY2026 -> FY2027: 3 added, 1 deleted or no longer billable, ")
    assert {"+ F32.A1", "+ F32.A2", "+ F43.13", "- F32.A  (now: F32.A1, F32.A2)"} <= set(lines)
    assert any(line.startswith("~ F43.10: ") for line in lines)
    assert cli("codes", "icd10", "--diff", "FY2026", "FY2029") == 2
    assert "no release named 'FY2029'" in cli.err and len(cli.err.strip().splitlines()) == 1
    assert cli("codes", "icd10", "--remove", "FY2027") == 0 and "FY2027 removed" in cli.out
    assert cli.err.strip() == WARNING


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("icd10cm_order_2027.txt", "F4310   PTSD\n", "holds 1 billable codes"),
        ("icd10cm_tabular_2027.xml", "<ICD10CM.tabular><chapter>", "the XML cannot be read"),
        ("release.txt", None, "does not say which fiscal year"),
        ("missing.txt", "", "cannot be read"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_2(
    cli: Cli, files: dict[str, Path], tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.write_bytes(files["order"].read_bytes())
    elif name != "missing.txt":
        path.write_text(content)
    assert cli("codes", "icd10", "--load", str(path)) == 2
    assert message in cli.err and len(cli.err.strip().splitlines()) == 1 and "Traceback" not in cli.err
    assert cli("codes", "icd10", "--json") == 0 and [r["label"] for r in json.loads(cli.out)] == ["FY2026"]


def test_sessions_on_either_side_of_the_boundary(cli: Cli, files: dict[str, Path], db_path: Path) -> None:
    patient = _patient(cli)
    # Before FY2027 is loaded: a November session is checked against FY2026, and says so.
    assert cli("infusions", "add", "--patient", patient, "--date", "2026-11-02", "--dx", "F32.A") == 0, (
        cli.err
    )
    assert cli.err.strip() == WARNING
    assert cli("check") == 0 and "1 session: Sessions after 2026-09-30" in cli.out
    assert cli("codes", "icd10", "--load", str(files["order"])) == 0
    assert cli("infusions", "add", "--patient", patient, "--date", "2026-11-03", "--dx", "F32.A") == 2
    assert cli.err.strip() == (
        "kettrack: error: diagnoses: F32.A is no longer billable from 2026-10-01 (FY2027): it was split into "
        "F32.A1 or F32.A2"
    )
    assert cli("infusions", "add", "--patient", patient, "--date", "2026-09-15", "--dx", "F32.A") == 0
    assert cli.err == ""
    assert cli("infusions", "add", "--patient", patient, "--date", "2026-09-16", "--dx", "F43.13") == 2
    assert "F43.13 takes effect 2026-10-01 (FY2027)" in cli.err
    assert cli("infusions", "add", "--patient", patient, "--date", "2026-11-03", "--dx", "F43.13") == 0
    # The session saved before the release was loaded is now named by check.
    assert cli("check") != 0
    assert "session 1 (2026-11-02): F32.A is no longer billable from 2026-10-01 (FY2027)" in cli.out + cli.err


def test_codes_load_reads_a_csv_with_effective_dates(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "codes.csv"
    good.write_text(
        "code,description,kind,from,to,replaced_by\n"
        "G9990,Old code in our words,other,2020-01-01,2026-06-30,G9991\n"
    )
    assert cli("codes", "load", str(good)) == 0 and cli.out.strip() == "1 code loaded from codes.csv"
    listed = {r["code"]: r for r in cli.json("codes", "list")}
    assert listed["G9990"]["effective_to"] == "2026-06-30" and listed["G9990"]["replaced_by"] == "G9991"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,description,kind,from,to,replaced_by\nG99,x,other,,,\n")
    assert cli("codes", "load", str(bad)) == 2 and "line 2: code" in cli.err


def test_superbill_check_warns_past_the_newest_release(cli: Cli, files: dict[str, Path]) -> None:
    assert cli("demo", "--no-claims") == 0, cli.err
    november = [r["id"] for r in cli.json("infusions", "list") if r["service_date"] >= "2026-10-01"]
    assert cli("superbill", "--session", str(november[0]), "--check") == 0, cli.err
    assert WARNING in cli.err and "complete" in cli.out
    assert cli("codes", "icd10", "--load", str(files["order"])) == 0
    assert cli("superbill", "--session", str(november[0]), "--check") == 0, cli.err
    assert "warning" not in cli.err


def test_a_release_loaded_by_an_earlier_kettrack_is_named(cli: Cli) -> None:
    import os

    legacy = Path(os.environ["KETTRACK_CACHE_DIR"]) / "icd10cm-custom.tsv.gz"
    legacy.write_bytes(b"old")
    try:
        assert cli("codes", "icd10") == 0
        assert "an earlier kettrack loaded an ICD-10-CM release outside the database" in cli.err
    finally:
        legacy.unlink()
