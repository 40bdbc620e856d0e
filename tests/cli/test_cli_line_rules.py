"""The line rules on the command line: a session is billed once (a second superbill for it is refused
with the superbill to re-issue; re-issuing makes a new version; a month's superbill skips billed
sessions and says how many), each pre-flight problem is printed with the command that fixes it, and
the usual place of service, the NDC container type and a payer's code override are set here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def billing(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo", "--no-claims") == 0, cli.err
    return cli


def test_a_billed_session_is_reissued_never_billed_again(billing: Cli) -> None:
    assert billing("superbill", "--session", "1") == 0
    assert "SB-2026-000001 version 1 (id 1)" in billing.out
    assert billing("superbill", "--session", "1") == 2
    assert "session 1 is already on superbill SB-2026-000001" in billing.err
    assert "kettrack superbills reissue 1" in billing.err and len(billing.err.strip().splitlines()) == 1
    assert [r["number"] for r in billing.json("superbills", "list")] == ["SB-2026-000001"]
    assert billing("superbills", "reissue", "1") == 0
    assert billing.out.strip() == "issued superbill SB-2026-000001 version 2 (id 2)"


def test_a_month_skips_billed_sessions_and_says_how_many(billing: Cli) -> None:
    sessions = [s for s in billing.json("infusions", "list", "--patient", "1")]
    first, second = sessions[0], sessions[1]
    assert billing("superbill", "--session", str(first["id"]), "--session", str(second["id"])) == 0
    span = ("--patient", "1", "--from", sessions[0]["service_date"], "--to", sessions[-1]["service_date"])
    assert billing("superbill", *span, "--check") == 0
    assert "skipped 2 sessions already on a superbill" in billing.out
    assert billing("superbill", *span) == 0
    assert "skipped 2 sessions already on a superbill" in billing.out
    assert "SB-2026-000002" in billing.out
    assert billing("superbill", *span) == 2
    assert f"all {len(sessions)} sessions in this range are already on superbills" in billing.err


def test_problems_print_the_command_that_fixes_them(billing: Cli) -> None:
    assert billing("lines", "set", "--session", "1", "--code", "96365", "--pos", "10") == 0
    assert billing("superbill", "--session", "1", "--check") == 2
    assert "place of service 10 is telehealth" in billing.err
    assert "fix: kettrack lines set --session 1 --code 96365 --pos 11" in billing.err
    # The printed command fixes it.
    assert billing("lines", "set", "--session", "1", "--code", "96365", "--pos", "11") == 0
    assert billing("superbill", "--session", "1", "--check") == 0 and "complete" in billing.out


def test_medicare_lines_and_their_fixes(billing: Cli) -> None:
    harold = billing.json("infusions", "list", "--patient", "2")[0]["id"]
    assert billing("lines", "show", "--session", str(harold)) == 0
    assert "KX" in billing.out and "J0013" not in billing.out  # Medicare: G2082/G2083 only
    assert billing("lines", "set", "--session", str(harold), "--code", "G2082", "--modifier", "") == 0
    assert billing("superbill", "--session", str(harold), "--check") == 2
    assert f"fix: kettrack lines set --session {harold} --code G2082 --modifier KX" in billing.err


def test_usual_place_container_and_code_override(billing: Cli) -> None:
    assert billing("fees", "place") == 0 and billing.out.strip() == "usual place of service: 11"
    assert billing("fees", "place", "10") == 2 and "telehealth" in billing.err
    assert billing("fees", "place", "49") == 0 and "49" in billing.out
    new = billing.new_id("infusions", "add", "--patient", "1", "--date", "2026-11-20", "--dx", "F33.2")
    assert [s for s in billing.json("infusions", "list") if s["id"] == new][0]["place_of_service"] == "49"
    assert billing("fees", "set", "--provider", "1", "--code", "J3490", "--container", "multi-dose") == 0
    fees = {f["code"]: f for f in billing.json("fees", "list", "--provider", "1")}
    assert fees["J3490"]["container"] == "multi_dose" and fees["J3490"]["amount"] == "65.00"
    assert billing("fees", "set", "--provider", "1", "--code", "J3490", "--container", "jar") == 2
    assert billing("codes", "override", "--payer", "1", "--code", "J0013", "--use", "S0013") == 0
    assert "bill S0013 where J0013 is due" in billing.out
    assert billing("codes", "override", "--payer", "1", "--code", "J0013", "--remove") == 0
    assert "no code overrides" in billing.out
