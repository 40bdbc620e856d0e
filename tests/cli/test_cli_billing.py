"""The billing commands: superbill issue/--check/--draft/-o, superbills list/reissue/save, fees, codes,
lines show/set/remove. Refusals are one line (or a listed pre-flight) with exit code 2; an output file
that cannot be written is refused before anything is issued."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.test_cli import Cli
from tests.store.stored_documents import assert_no_document_files, pdf_text


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
    assert billing.out.strip() == f"issued superbill SB-2026-000001 version 1 (id 1) and {out}"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "SB-2026-000001" in PdfReader(str(out)).pages[0].extract_text()
    listed = billing.json("superbills", "list")
    assert [(r["number"], r["version"], r["superseded"]) for r in listed] == [("SB-2026-000001", 1, False)]
    # The list names a suggested file name, not a path: the PDF is in the database, the copy its bytes.
    assert listed[0]["file_name"] == "SB-2026-000001-v1.pdf" and "file" not in listed[0]
    assert listed[0]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert billing("superbills", "reissue", str(listed[0]["id"])) == 0 and "version 2" in billing.out
    # An output file that exists is refused before anything is issued (a retry would issue twice).
    assert (
        billing("superbill", "--patient", "1", "--from", "2026-07-01", "--to", "2026-08-31", "-o", str(out))
        == 2
    )
    assert "already exists" in billing.err and len(billing.err.strip().splitlines()) == 1
    assert [(r["number"], r["version"]) for r in billing.json("superbills", "list")] == [
        ("SB-2026-000001", 2),
        ("SB-2026-000001", 1),
    ]
    assert_no_document_files(billing.db.parent, except_for=(out,))


def test_save_writes_a_checked_copy_of_an_issued_superbill(billing: Cli, tmp_path: Path) -> None:
    assert billing("superbill", "--session", "1") == 0, billing.err
    assert billing.out.strip() == "issued superbill SB-2026-000001 version 1 (id 1)"
    (issued,) = billing.json("superbills", "list")
    copy = tmp_path / "copy.pdf"
    assert billing("superbills", "save", str(issued["id"]), str(copy)) == 0, billing.err
    assert billing.out.strip() == f"saved superbill SB-2026-000001 version 1 to {copy}"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == issued["sha256"]
    assert "Avery J. Lindqvist" in pdf_text(copy.read_bytes())
    # An existing file is replaced only with --force; a folder, a missing folder or a missing id never.
    copy.write_bytes(b"mine")
    assert billing("superbills", "save", str(issued["id"]), str(copy)) == 2
    assert "already exists" in billing.err and copy.read_bytes() == b"mine"
    assert billing("superbills", "save", str(issued["id"]), str(copy), "--force") == 0, billing.err
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == issued["sha256"]
    assert billing("superbills", "save", str(issued["id"]), str(tmp_path)) == 2
    assert "is a folder" in billing.err
    assert billing("superbills", "save", str(issued["id"]), str(tmp_path / "no-such" / "x.pdf")) == 2
    assert "does not exist" in billing.err and not (tmp_path / "no-such").exists()
    assert billing("superbills", "save", "99", str(tmp_path / "other.pdf")) == 2
    assert len(billing.err.strip().splitlines()) == 1 and not (tmp_path / "other.pdf").exists()


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
    assert billing("codes", "icd10", "--load", str(small), "--fiscal-year", "2027") == 2
    assert "nothing was loaded" in billing.err and len(billing.err.strip().splitlines()) == 1
