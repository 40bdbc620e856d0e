"""The denial triage on the command line, on the demo set: ``claims show`` (its ``next_kind`` and
``next_action``, the plan's words and the next step), ``claims eob`` for a normal EOB typed with a PR
line only, ``due``; and the demo's claim for each triage route."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kettrack.core.money import format_usd
from tests.cli.test_cli import Cli


@pytest.fixture
def demo(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo") == 0, cli.err
    return cli


def _by_route(cli: Cli) -> dict[str, dict]:  # type: ignore[type-arg]
    found = {}
    for row in cli.json("claims", "list"):
        shown = cli.json("claims", "show", str(row["id"]))
        if shown["triage"] is not None:
            found.setdefault(shown["triage"]["route"], shown)
    return found


def test_the_demo_has_a_claim_for_each_route(demo: Cli) -> None:
    routes = _by_route(demo)
    assert set(routes) >= {
        "paid_as_expected",
        "corrected_claim",
        "authorization",
        "experimental",
        "timely_filing",
        "medical_necessity",
    }
    paid = next(
        shown
        for shown in (demo.json("claims", "show", str(r["id"])) for r in demo.json("claims", "list"))
        if shown["triage"] and shown["triage"]["patient_share"] != "0.00" and shown["row"]["state"] == "paid"
    )
    assert paid["row"]["next_kind"] == "follow_up"
    assert paid["row"]["next_action"] == f"Bill the patient their share: ${paid['triage']['patient_share']}"
    assert paid["money"]["coinsurance"] == paid["triage"]["patient_share"]
    corrected = routes["corrected_claim"]
    assert corrected["row"]["next_kind"] == "file_claim" and corrected["triage"]["new_claim"]
    assert "rendering provider" in corrected["row"]["next_action"]
    assert routes["timely_filing"]["row"]["next_action"].endswith("with proof the claim was filed on time")
    assert "evidence" in routes["experimental"]["row"]["next_action"]
    # Nothing in the demo is overdue but the claim waiting 45 days for an answer.
    assert [r["number"] for r in demo.json("claims", "list", "--overdue")] == ["CL-000004"]


def test_a_normal_eob_on_the_command_line(demo: Cli) -> None:
    cli = demo
    # Harold's acknowledged Medicare claim, filed by the clinic: allowed 60%, coinsurance as PR-2 only.
    claim = next(r for r in cli.json("claims", "list") if r["state"] == "acknowledged")
    allowed = (Decimal(claim["billed"]) * Decimal("0.6")).quantize(Decimal("0.01"))
    share = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
    number = claim["number"]
    assert cli("claims", "eob", number, "--date", "2026-11-20", "--paid", str(allowed - share),
               "--allowed", str(allowed), "--adjust", f"PR-2:{share}") == 0, cli.err  # fmt: skip
    assert (
        cli.out.strip()
        == f"{number}: Paid; next: Bill the patient their share: {format_usd(share)} by 2026-12-20"
    )
    shown = cli.json("claims", "show", number)
    assert shown["row"]["state"] == "paid" and shown["row"]["outstanding"] == "0.00"
    assert shown["row"]["next_kind"] == "follow_up"
    assert shown["row"]["next_action"] == f"Bill the patient their share: {format_usd(share)}"
    assert shown["money"]["coinsurance"] == str(share) and shown["triage"]["route"] == "paid_as_expected"
    assert cli("claims", "show", number) == 0
    assert f"patient's share {share:,}" in cli.out
    assert "the plan said: The plan paid as expected" in cli.out
    assert f"next step: Bill the patient their share of {format_usd(share)}" in cli.out
    due = cli.json("due", "--within", "30")
    assert any(i["claim_number"] == number and i["action"].startswith("Bill the patient") for i in due)


def test_a_patients_own_share_is_nothing_to_chase(demo: Cli) -> None:
    cli = demo
    # Avery's claim waiting for an answer: she filed it herself, so her share is nothing to chase.
    number = "CL-000004"
    assert cli("claims", "eob", number, "--date", "2026-11-20", "--paid", "300.00", "--allowed", "360.00",
               "--adjust", "PR-2:60.00") == 0, cli.err  # fmt: skip
    assert cli.out.strip().startswith(f"{number}: Paid; Nothing to chase: $60.00 is the patient's own share")
    shown = cli.json("claims", "show", number)
    assert shown["row"]["next_kind"] is None and shown["row"]["next_action"] == ""
    assert shown["money"]["coinsurance"] == "60.00" and shown["row"]["outstanding"] == "0.00"


def test_a_denial_names_what_is_missing(demo: Cli) -> None:
    cli = demo
    number = next(r for r in cli.json("claims", "list") if r["state"] == "acknowledged")["number"]
    assert cli("claims", "deny", number, "--date", "2026-11-20", "--adjust", "CO-16:100.00:M119") == 0, (
        cli.err
    )
    assert "next: Send a corrected claim with the drug's 11-digit NDC" in cli.out
    assert cli("claims", "show", number) == 0
    assert "next step: Send a corrected claim" in cli.out and "this is not an appeal" in cli.out
