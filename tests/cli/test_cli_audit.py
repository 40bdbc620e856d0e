"""`kettrack audit verify` and `audit list`: intact (exit 0), broken (exit 1, the problems listed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def cli(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    return Cli(db_path, capsys)


def test_verify_and_list(cli: Cli, db_path: Path) -> None:
    assert cli("demo") == 0
    assert cli("audit", "verify") == 0 and "intact" in cli.out
    entries = cli.json("audit", "list", "--patient", "1")
    assert entries and all(e["record_kind"] == "patient" and e["record_id"] == 1 for e in entries)
    assert cli("audit", "list", "--action", "issue", "--limit", "3") == 0 and "superbill" in cli.out
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER tr_audit_log_no_update")
    connection.execute("UPDATE audit_log SET details = 'edited' WHERE sequence = 3")
    connection.commit()
    connection.close()
    assert cli("audit", "verify") == 1
    assert "entry 3 was altered after it was written" in cli.err
