"""Every kind of pre-flight problem the demo set can be broken into prints a ``fix:`` command, and that
command, run with a real value in place of its placeholders, makes the problem go away: providers',
patients' and coverages' fields through their ``edit`` commands, sessions' diagnoses through
``infusions edit``, billing lines through ``lines``. Records are broken through the command line where
it allows (an empty option clears a field), else in the file (what validation refuses, as an old
import could leave behind)."""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path

import pytest

from kettrack.core.bill_problems import PLACEHOLDERS
from tests.cli.test_cli import Cli

# A valid value for each placeholder a fix command may hold.
VALUES = {
    "NPI": "1234567893",
    "TIN": "12-3456789",
    "CREDENTIALS": "CRNA",
    "STREET": "12 Larch Way",
    "CITY": "Fernhollow",
    "ZIP": "27510",
    "PHONE": "(919) 555-0100",
    "YYYY-MM-DD": "1984-05-17",
    "MEMBER_ID": "BRH884512307",
    "ICD10": "F33.2",
    "PAYER_ID": "1",
    "AMOUNT": "450.00",
    "UNITS": "1",
    "NDC": "42023-0113-01",
    "QUANTITY": "35",
}


@pytest.fixture
def demo(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo", "--no-claims") == 0, cli.err
    return cli


def _sql(cli: Cli, statement: str) -> None:
    connection = sqlite3.connect(cli.db)
    try:
        with connection:
            connection.execute(statement)
    finally:
        connection.close()


def _problems(cli: Cli, sessions: tuple[int, ...]) -> dict[str, str]:
    """Each problem ``superbill --check`` prints for ``sessions``, with its fix command."""
    picked = [word for s in sessions for word in ("--session", str(s))]
    code = cli("superbill", *picked, "--check")
    if code == 0:
        assert "complete" in cli.out
        return {}
    assert code == 2, cli.err
    lines = cli.err.splitlines()[1:]
    found = {}
    for message, fix in zip(lines[::2], lines[1::2], strict=True):
        assert fix.startswith("    fix: "), fix
        found[message.strip()] = fix.removeprefix("    fix: ")
    return found


def _run(cli: Cli, fix: str, values: dict[str, str]) -> None:
    """Run a printed fix (commands joined by &&) with ``values`` in place of its placeholders."""
    for command in fix.split(" && "):
        words = shlex.split(command)
        assert words[0] == "kettrack", fix
        typed = [values.get(w, w) for w in words[1:]]
        assert not set(typed) & set(PLACEHOLDERS), typed
        assert cli(*typed) == 0, f"{command}: {cli.err}"


def _fix(cli: Cli, sessions: tuple[int, ...], part: str, values: dict[str, str]) -> None:
    """The problem whose message holds ``part`` is there, its fix is a command, and running it makes
    the problem go."""
    problems = _problems(cli, sessions)
    message = next((m for m in problems if part in m), None)
    assert message is not None, f"{part!r} not among {list(problems)}"
    fix = problems[message]
    assert fix.startswith("kettrack "), f"{message}: {fix}"
    _run(cli, fix, values)
    assert message not in _problems(cli, sessions)


def _fix_each(cli: Cli, sessions: tuple[int, ...], expected: list[str], values: dict[str, str]) -> None:
    """Each ``expected`` problem is fixed by its command; then so is any a fix brought up (a line
    billed under another code has no charge yet), until the superbill is complete."""
    for part in expected:
        _fix(cli, sessions, part, values)
    for _round in range(5):
        if not (left := _problems(cli, sessions)):
            return
        _fix(cli, sessions, next(iter(left)), values)
    assert _problems(cli, sessions) == {}


def test_provider_patient_coverage_and_session_fields(demo: Cli) -> None:
    assert demo("providers", "edit", "3", "--npi", "", "--phone", "", "--credentials", "") == 0
    assert demo("providers", "edit", "1", "--tin", "", "--address-line1", "", "--city", "") == 0
    assert demo("patients", "edit", "1", "--dob", "", "--city", "") == 0
    assert demo("infusions", "edit", "1", "--dx", "") == 0
    _sql(demo, "UPDATE coverages SET member_id = '' WHERE id = 1")
    problems = _problems(demo, (1,))
    assert problems["Provider NPI is missing"] == "kettrack providers edit 3 --npi NPI"
    assert problems["Clinic address is incomplete"] == (
        "kettrack providers edit 1 --address-line1 STREET --city CITY"
    )
    assert problems["Patient date of birth is missing"] == "kettrack patients edit 1 --dob YYYY-MM-DD"
    assert problems["Insurance member ID is missing"] == "kettrack coverages edit 1 --member-id MEMBER_ID"
    _fix_each(
        demo,
        (1,),
        [
            "Provider NPI is missing",
            "Provider phone number is missing",
            "Provider TIN/EIN (tax ID) is missing",
            "Provider credentials",
            "Clinic address is incomplete",
            "Patient date of birth is missing",
            "Patient address is incomplete",
            "Insurance member ID is missing",
            "No diagnosis",
        ],
        VALUES,
    )


def test_an_invalid_npi_and_a_diagnosis_on_several_sessions(demo: Cli) -> None:
    _sql(demo, "UPDATE providers SET npi = '1234567890' WHERE id = 3")  # a wrong check digit
    _sql(demo, "UPDATE infusion_diagnoses SET code = 'F41' WHERE infusion_id IN (2, 3) AND code = 'F41.1'")
    problems = _problems(demo, (1, 2, 3))
    fix = next(f for m, f in problems.items() if m.startswith("F41 is not a billable code"))
    # Each session holding the code has it replaced; session 1 (F41.1) is left alone.
    assert fix == (
        "kettrack infusions edit 2 --replace-dx F41 ICD10 && kettrack infusions edit 3 --replace-dx F41 ICD10"
    )
    _fix_each(demo, (1, 2, 3), ["has a wrong check digit", "F41 is not"], {**VALUES, "ICD10": "F41.1"})
    sessions = {s["id"]: s["diagnoses"] for s in demo.json("infusions", "list", "--patient", "1")}
    assert sessions[2] == sessions[3] == ["F33.2", "F41.1"]  # the order, which pointers follow, is kept


def test_billing_lines_and_the_rems_site(demo: Cli) -> None:
    # Avery's session 1: lines saved, then the session found to have lasted 10 minutes (a push).
    assert demo("lines", "show", "--session", "1", "--save") == 0
    assert demo("infusions", "edit", "1", "--start", "09:00", "--end", "09:10") == 0
    assert demo("lines", "set", "--session", "1", "--code", "J3490", "--pos", "10") == 0
    _fix_each(demo, (1,), ["15 minutes or less is an IV push", "place of service 10 is telehealth"], VALUES)
    # Harold's Medicare esketamine session: the REMS site's ZIP, and KX on G2082.
    harold = demo.json("infusions", "list", "--patient", "2")[0]["id"]
    assert demo("providers", "edit", "1", "--postal-code", "") == 0
    assert demo("lines", "set", "--session", str(harold), "--code", "G2082", "--modifier", "") == 0
    _fix_each(demo, (harold,), ["Clinic ZIP code is missing", "KX modifier"], VALUES)


def test_a_letters_missing_claim_number_is_recorded_by_its_fix(
    db_path: Path,
    icd10,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The letter's fix for a missing payer's claim number (kettrack.core.letter_fixes) works once the
    claim is decided, when acknowledging it no longer can."""
    from kettrack.core.letter_fixes import LetterRecords, letter_problems
    from tests.core.test_letters import _case

    cli = Cli(db_path, capsys)
    assert cli("demo") == 0, cli.err
    claim = next(
        c for c in cli.json("claims", "list") if c["state"] == "submitted" and not c["payer_claim_number"]
    )
    number = claim["number"]
    assert cli("claims", "deny", number, "--adjust", "CO-50:450.00") == 0, cli.err
    assert cli("claims", "acknowledge", number, "--payer-claim-number", "BR26-1") == 2  # too late for that
    (problem,) = letter_problems(_case(claim_number=""), LetterRecords(claim["id"], number))
    _run(cli, problem.fix, {"CLAIM_NUMBER": "BR26-0099001"})
    decided = next(c for c in cli.json("claims", "list") if c["number"] == number)
    assert decided["payer_claim_number"] == "BR26-0099001" and decided["state"] == "denied"
