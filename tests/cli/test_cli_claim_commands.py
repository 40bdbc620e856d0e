"""The claim commands: a claim from a superbill through its events on the command line, lists as JSON
and CSV (spreadsheet-safe), what is due (for cron), the calendar export (parsed back, stable ids),
prior authorizations, payer rules and reason codes. Bad input: one line, exit code 2, nothing written;
an appeal letter's output file that cannot be written is refused before the letter is issued."""

from __future__ import annotations

import csv
import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from tests.cli.test_cli import Cli
from tests.store.stored_documents import assert_no_document_files


@pytest.fixture
def demo(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo") == 0, cli.err
    assert "11 claims" in cli.out
    return cli


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_a_claim_on_the_command_line(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    assert cli("superbill", "--session", "26", "-o", str(tmp_path / "sb.pdf")) == 0, cli.err
    superbill = cli.json("superbills", "list")[0]["id"]
    assert cli("claims", "create", "--superbill", str(superbill)) == 0, cli.err
    number = cli.out.split()[1]
    assert number.startswith("CL-")
    assert cli("claims", "submit", number, "--date", "2026-11-21", "--payer-claim-number", "PX-9") == 0, (
        cli.err
    )
    assert "Submitted" in cli.out
    scan = tmp_path / "denial.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 40)
    assert (
        cli(
            "claims", "deny", number, "--date", "2026-11-22", "--received", "2026-11-23",
            "--adjust", "CO-50:450.00:N130", "--attach", str(scan), "--note", "not necessary",
        )
        == 0
    ), cli.err  # fmt: skip
    assert "File an internal appeal with the plan by 2027-05-22" in cli.out
    letter = tmp_path / "appeal.pdf"
    assert cli("claims", "appeal", number, "--date", "2026-11-23", "--letter", str(letter)) == 0, cli.err
    assert "Appeal filed (internal)" in cli.out and stat.S_IMODE(letter.stat().st_mode) == 0o600
    issued = next(x for x in cli.out.splitlines() if "; letter AP-" in x)
    assert issued.endswith(f" issued (id {issued.split('(id ')[1].split(')')[0]}) and {letter}")
    text = " ".join(page.extract_text() for page in PdfReader(str(letter)).pages)
    # The payer's own claim number; the deadline is advice for the person, never in the letter.
    assert "PX-9" in text and "2027-05-22" not in text
    # The letter is in the database: saved again later, byte for byte the copy written when issuing.
    letter_id = issued.split("(id ")[1].split(")")[0]
    again = tmp_path / "again.pdf"
    assert cli("claims", "letter-save", letter_id, str(again)) == 0, cli.err
    assert again.read_bytes() == letter.read_bytes() and stat.S_IMODE(again.stat().st_mode) == 0o600
    assert cli("claims", "letter-save", letter_id, str(again)) == 2 and "already exists" in cli.err
    assert cli("claims", "letter-save", letter_id, str(again), "--force") == 0, cli.err
    assert cli("claims", "letter-save", "999", str(tmp_path / "none.pdf")) == 2
    assert not (tmp_path / "none.pdf").exists()
    assert cli("claims", "decision", number, "--overturned", "--date", "2026-11-23") == 0, cli.err
    assert cli("claims", "eob", number, "--date", "2026-11-23", "--paid", "450.00") == 0, cli.err
    assert "Paid" in cli.out
    shown = cli.json("claims", "show", number)
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds == ["submitted", "denied", "appeal_filed", "appeal_overturned", "paid"]
    assert shown["events"][1]["attachments"][0]["original_name"] == "denial.png"
    assert cli("claims", "close", number, "--reason", "paid_in_full", "--date", "2026-11-23") == 0
    assert cli("claims", "show", number) == 0 and "Closed: paid in full" in cli.out
    # The attachment and the letter live in the database: no documents folder, no other PDF on disk.
    assert_no_document_files(tmp_path, except_for=(tmp_path / "sb.pdf", letter, again))


def test_an_unwritable_letter_file_is_refused_before_the_appeal_is_filed(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    denied = cli.json("claims", "list", "--state", "denied")[0]["number"]
    before = cli.json("claims", "show", denied)
    taken = tmp_path / "taken.pdf"
    taken.write_bytes(b"someone else's letter")
    afile = tmp_path / "afile"
    afile.write_text("a regular file, not a folder")
    for target, message in (
        (taken, "already exists"),
        (tmp_path / "no-such-folder" / "letter.pdf", "does not exist"),
        (afile / "letter.pdf", "does not exist"),
        (tmp_path, "is a folder"),
    ):
        assert cli("claims", "appeal", denied, "--date", "2026-11-23", "--letter", str(target)) == 2, target
        assert message in _one_line(cli.err), (target, cli.err)
    # Nothing was issued or recorded, and the file that was there is untouched.
    assert cli.json("claims", "show", denied) == before
    assert taken.read_bytes() == b"someone else's letter"
    letter = tmp_path / "letter.pdf"
    assert cli("claims", "appeal", denied, "--date", "2026-11-23", "--letter", str(letter)) == 0, cli.err
    after = cli.json("claims", "show", denied)
    assert len(after["letters"]) == len(before["letters"]) + 1
    assert after["letters"][-1]["sha256"] == hashlib.sha256(letter.read_bytes()).hexdigest()


def test_bad_input_is_one_line_and_writes_nothing(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    before = cli.json("claims", "show", "4")["events"]
    cases = [
        (("claims", "eob", "4", "--paid", "12.345"), "2 decimal"),
        (("claims", "eob", "4", "--paid", "abc"), "not an amount"),
        (("claims", "deny", "4", "--date", "2026-02-30"), "2026-02-30"),
        (("claims", "deny", "4", "--adjust", "XX-1:5"), "GROUP-CODE:AMOUNT"),
        (("claims", "submit", "4"), "Cannot record 'Submitted'"),
        (("claims", "appeal", "4", "--no-letter"), "has not decided this claim"),
        (("claims", "show", "CL-99"), "no claim with id 99"),
        (("claims", "show", "twelve"), "not a claim id"),
        (("claims", "attach", "4", str(tmp_path / "missing.pdf")), "does not exist"),
        (("due", "--within", "-3"), "whole number"),
        (("rules", "set", "--payer", "1", "--filing", "soon"), "days or months"),
        (("reason-codes", "add", "ABCD", "--kind", "carc", "--description", "x"), "CARC"),
    ]
    for argv, message in cases:
        assert cli(*argv) == 2, argv
        assert message in _one_line(cli.err), (argv, cli.err)
    assert cli.json("claims", "show", "4")["events"] == before


def test_lists_json_and_spreadsheet_safe_csv(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    rows = cli.json("claims", "list")
    assert len(rows) == 11 and {r["state"] for r in rows} >= {
        "paid",
        "partially_paid",
        "denied",
        "appeal_filed",
    }
    assert [r["number"] for r in cli.json("claims", "list", "--overdue")] == ["CL-000004"]
    assert {r["state"] for r in cli.json("claims", "list", "--state", "denied")} == {"denied"}
    # A patient whose name starts like a formula comes out quoted for spreadsheets.
    assert cli("patients", "add", "--name", "=HYPERLINK(1)") == 0
    assert cli("coverages", "add", "--patient", "3", "--payer", "1", "--member-id", "M-3") == 0
    assert (
        cli("infusions", "add", "--patient", "3", "--date", "2026-11-02", "--provider", "3", "--dx", "F33.2")
        == 0
    )
    assert cli("superbill", "--patient", "3", "--from", "2026-11-01", "--to", "2026-11-30", "--draft") == 0, (
        cli.err
    )
    superbill = max(r["id"] for r in cli.json("superbills", "list"))
    assert cli("claims", "create", "--superbill", str(superbill)) == 0, cli.err
    out = tmp_path / "claims.csv"
    assert cli("claims", "list", "--csv", str(out)) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    patients = [row[2] for row in csv.reader(out.read_text().splitlines())]
    assert "'=HYPERLINK(1)" in patients and "=HYPERLINK(1)" not in patients


def test_due_for_scripts_and_cron(demo: Cli, db_path: Path) -> None:
    cli = demo
    items = cli.json("due")
    assert items[0]["overdue"] and items[0]["claim_number"] == "CL-000004"
    assert items[0]["action"].startswith("Call the plan: no answer for 45 days")
    assert any(i["auth_id"] for i in items) and all(i["days_left"] <= 30 for i in items)
    assert len(cli.json("due", "--within", "365")) > len(items)
    assert cli("due") == 0 and "OVERDUE" in cli.out
    # The installed command, as cron runs it.
    done = subprocess.run(
        [sys.executable, "-m", "kettrack", "--db", str(db_path), "due", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["claim_number"] == "CL-000004"


def test_calendar_export_parses_and_keeps_its_ids(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    assert cli("calendar", str(first)) == 0 and cli("calendar", str(second)) == 0
    assert stat.S_IMODE(first.stat().st_mode) == 0o600

    def events(path: Path) -> dict[str, str]:
        calendar = Calendar.from_ical(path.read_bytes())
        found = {}
        for event in calendar.walk("VEVENT"):
            assert event.walk("VALARM"), "every deadline carries reminders"
            found[str(event["UID"])] = str(event["SUMMARY"])
        return found

    a, b = events(first), events(second)
    assert a == b and len(a) >= 6
    assert any("File an internal appeal" in summary for summary in a.values())
    # Recording an event moves a deadline; the claim's other events keep their ids.
    assert cli("claims", "note", "4", "--text", "called", "--date", "2026-11-23") == 2  # no --text option
    assert cli("claims", "note", "4", "--note", "called the plan", "--date", "2026-11-23") == 0
    assert cli("calendar", str(second)) == 0
    assert set(events(second)) & set(a)


def test_prior_auths_rules_and_reason_codes(demo: Cli) -> None:
    cli = demo
    assert (
        cli(
            "auths",
            "add",
            "--coverage",
            "1",
            "--number",
            "PA-77",
            "--to",
            "2026-12-01",
            "--claim",
            "CL-000001",
        )
        == 0
    )
    auths = cli.json("auths", "list")
    assert any(a["auth_number"] == "PA-77" and a["claim_ids"] == [1] for a in auths)
    assert cli("rules", "show", "--payer", "1") == 0 and "not yet confirmed" in cli.out
    assert (
        cli(
            "rules",
            "set",
            "--payer",
            "1",
            "--filing",
            "365 days",
            "--level",
            "internal=12 months",
            "--confirm",
        )
        == 0
    )
    assert "confirmed for this plan" in cli.out and "365 days" in cli.out
    codes = cli.json("reason-codes", "list")
    assert any(c["code"] == "50" and c["kind"] == "carc" for c in codes)
    assert cli("reason-codes", "add", "N999", "--kind", "rarc", "--description", "Our own remark") == 0
    assert any(c["code"] == "N999" and c["user_added"] for c in cli.json("reason-codes", "list"))
