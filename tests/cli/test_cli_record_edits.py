"""The ``edit`` commands of patients, providers, payers, coverages and sessions: only the options given
change (an address part keeps the other parts; an empty value clears a field), the change is audited
as the window's edits are, and bad input is refused in one line naming the field, exit 2, with nothing
saved (neither the good options given with it nor an audit entry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def demo(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo", "--no-claims") == 0, cli.err
    return cli


def _one(cli: Cli, group: str, record_id: int, *options: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in cli.json(group, "list", *options) if r["id"] == record_id)
    return found


def _last_audit(cli: Cli) -> dict[str, Any]:
    newest: dict[str, Any] = cli.json("audit", "list")[0]
    return newest


def _refused(cli: Cli, *args: str) -> str:
    assert cli(*args) == 2, cli.out
    assert cli.out == "" and len(cli.err.strip().splitlines()) == 1, cli.err
    return cli.err


def test_patients_edit_changes_only_what_is_given(demo: Cli) -> None:
    before = _one(demo, "patients", 1)
    assert demo("patients", "edit", "1", "--city", "Raleigh", "--phone", "919-555-0142") == 0
    assert demo.out.strip() == "patient 1 saved: Avery J. Lindqvist"
    after = _one(demo, "patients", 1)
    assert after["address"]["city"] == "Raleigh" and after["phone"] == "919-555-0142"
    assert after["address"]["line1"] == before["address"]["line1"]  # the other address parts stay
    assert after["date_of_birth"] == before["date_of_birth"] and after["sex"] == before["sex"]
    entry = _last_audit(demo)
    assert (entry["action"], entry["record_kind"], entry["record_id"]) == ("update", "patient", 1)
    assert entry["details"] == "changed: address, phone"
    assert demo("patients", "edit", "1", "--dob", "") == 0  # an empty value clears
    assert _one(demo, "patients", 1)["date_of_birth"] is None


def test_providers_coverages_payers_and_sessions_edit(demo: Cli) -> None:
    assert demo("providers", "edit", "3", "--npi", "1234567893", "--taxonomy", "367500000X") == 0
    assert demo.out.strip() == "provider 3 saved: Tobias Renfrew, CRNA"
    assert _one(demo, "providers", 3)["npi"] == "1234567893"
    assert _last_audit(demo)["details"] == "changed: npi"  # the taxonomy was already that
    assert demo("providers", "edit", "3", "--clinic", "") == 0
    assert _one(demo, "providers", 3)["clinic_id"] is None

    assert demo("coverages", "edit", "1", "--member-id", "BRH000000001", "--group", "") == 0
    coverage = _one(demo, "coverages", 1)
    assert coverage["member_id"] == "BRH000000001" and coverage["group_number"] == ""
    assert coverage["payer_id"] == 1 and coverage["rank"] == "primary"

    assert demo("payers", "edit", "1", "--payer-code", "BRHP9") == 0
    assert _one(demo, "payers", 1)["payer_code"] == "BRHP9"

    session = _one(demo, "infusions", 1)
    assert demo("infusions", "edit", "1", "--pos", "49", "--dose-mg", "35", "--dx", "F33.1") == 0
    assert demo.out.strip() == f"session 1 of {session['service_date']} saved"
    edited = _one(demo, "infusions", 1)
    assert (edited["place_of_service"], edited["dose_mg"], edited["diagnoses"]) == ("49", "35.00", ["F33.1"])
    assert edited["payments"] == session["payments"] and edited["patient_id"] == session["patient_id"]
    entry = _last_audit(demo)
    assert (entry["action"], entry["record_kind"], entry["record_id"]) == ("update", "infusion", 1)
    swap = ("--replace-dx", "F33.1", "F33.2")  # after the new list: F33.1 becomes F33.2 in its place
    assert demo("infusions", "edit", "1", *swap, "--dx", "F33.1", "--dx", "F41.1") == 0
    assert _one(demo, "infusions", 1)["diagnoses"] == ["F33.2", "F41.1"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("providers", "edit", "3", "--phone", "(919) 555-0111", "--npi", "123"), "npi"),
        (("providers", "edit", "3", "--phone", "(919) 555-0111", "--clinic", "2"), "clinic_id"),
        (("patients", "edit", "1", "--city", "Raleigh", "--dob", "1984-13-01"), "date_of_birth"),
        (("patients", "edit", "1", "--city", "Raleigh", "--sex", "sometimes"), "sex"),
        (("coverages", "edit", "1", "--group", "G-1", "--member-id", ""), "member_id"),
        (("coverages", "edit", "1", "--group", "G-1", "--payer", "99"), "payer_id"),
        (("payers", "edit", "1", "--phone", "1-800-555-0100", "--kind", "barter"), "kind"),
        (("infusions", "edit", "1", "--pos", "49", "--dose-mg", "a lot"), "dose_mg"),
        (("infusions", "edit", "1", "--pos", "49", "--date", "2099-01-01"), "service_date"),
        (("infusions", "edit", "1", "--pos", "49", "--dx", "ZZZ"), "diagnoses"),
        (("infusions", "edit", "1", "--pos", "49", "--replace-dx", "F99.9", "F33.1"), "diagnoses"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_saved(
    demo: Cli, args: tuple[str, ...], field: str
) -> None:
    group, _edit, record_id = args[0], args[1], int(args[2])
    before, audited = _one(demo, group, record_id), _last_audit(demo)
    error = _refused(demo, *args)
    assert error.startswith("kettrack: error: ") and field in error
    assert _one(demo, group, record_id) == before  # not even the good option given with it
    assert _last_audit(demo)["sequence"] == audited["sequence"]


def test_an_edit_needs_a_record_and_something_to_change(demo: Cli) -> None:
    assert "there is no patient with id 99" in _refused(demo, "patients", "edit", "99", "--city", "X")
    assert "say what to change" in _refused(demo, "providers", "edit", "3")
    assert "id" in _refused(demo, "coverages", "edit", "one", "--group", "G")
