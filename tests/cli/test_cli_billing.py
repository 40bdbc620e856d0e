"""The billing commands: superbill issue/--check/--draft/-o, superbills list/reissue, fees, codes,
lines show/set/remove. Refusals are one line (or a listed pre-flight) with exit code 2."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.test_cli import Cli


@pytest.fixture
def billing(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo", "--no-claims") == 0, cli.err
    return cli


def test_check_issue_list_and_reissue(billing: Cli, tmp_path: Path) -> None:
    assert billing("superbill", "--session", "1", "--check") == 0
    assert "complete" in billing.out
    out = tmp_path / "sb.pdf"
    assert (
        billing("superbill", "--patient", "1", "--from", "2026-07-01", "--to", "2026-08-31", "-o", str(out))
        == 0
    )
    assert "SB-2026-000001 version 1" in billing.out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "SB-2026-000001" in PdfReader(str(out)).pages[0].extract_text()
    listed = billing.json("superbills", "list")
    assert [(r["number"], r["version"], r["superseded"]) for r in listed] == [("SB-2026-000001", 1, False)]
    assert billing("superbills", "reissue", str(listed[0]["id"])) == 0 and "version 2" in billing.out
    assert (
        billing("superbill", "--patient", "1", "--from", "2026-07-01", "--to", "2026-08-31", "-o", str(out))
        == 2
    )
    assert "already exists" in billing.err


def test_an_incomplete_superbill_is_listed_and_refused_unless_draft(billing: Cli) -> None:
    provider = billing.new_id("providers", "add", "--name", "No Npi", "--credentials", "MD")
    session = billing.new_id(
        "infusions",
        "add",
        "--patient",
        "1",
        "--date",
        "2026-11-01",
        "--provider",
        str(provider),
        "--dx",
        "F33.2",
        "--start",
        "09:00",
        "--end",
        "09:45",
    )
    assert billing("superbill", "--session", str(session), "--check") == 2
    assert "Provider NPI is missing" in billing.err and "Traceback" not in billing.err
    assert billing("superbill", "--session", str(session)) == 2
    assert billing.json("superbills", "list") == []
    assert billing("superbill", "--session", str(session), "--draft") == 0 and "draft" in billing.out


def test_fees_codes_and_lines(billing: Cli) -> None:
    assert billing("fees", "set", "--provider", "1", "--code", "99213", "--amount", "150.00") == 0
    fees = billing.json("fees", "list", "--provider", "1")
    assert {"code": "99213", "amount": "150.00", "ndc": ""} in fees
    assert billing("fees", "set", "--provider", "1", "--code", "99213", "--amount", "12.345") == 2
    assert billing.err.count("\n") == 1 and "2 decimal" in billing.err
    assert (
        billing(
            "codes",
            "add",
            "--code",
            "99417",
            "--kind",
            "visit",
            "--description",
            "Extra time",
            "--to",
            "2026-06-30",
            "--replaced-by",
            "G2212",
        )
        == 0
    )
    codes = {c["code"]: c for c in billing.json("codes", "list")}
    assert codes["99417"]["effective_to"] == "2026-06-30" and codes["99417"]["description"] == "Extra time"
    assert (
        billing("lines", "set", "--session", "1", "--code", "99214", "--charge", "210.00", "--modifier", "25")
        == 0
    )
    assert billing("lines", "show", "--session", "1") == 0 and "99214  25" in billing.out
    assert billing("lines", "set", "--session", "1", "--code", "96365", "--units", "0") == 2
    assert "lines[1].units" in billing.err
    assert billing("lines", "remove", "--session", "1", "--code", "99214") == 0
    assert billing("lines", "remove", "--session", "1", "--code", "99214") == 2


def test_icd10_code_set(billing: Cli, tmp_path: Path) -> None:
    assert billing("codes", "icd10") == 0 and "FY2026" in billing.out
    small = tmp_path / "release.txt"
    small.write_text("F33.2\tMajor depressive disorder, recurrent severe\n", encoding="utf-8")
    assert billing("codes", "icd10", "--load", str(small), "--label", "X") == 2
    assert "not loaded" in billing.err
