"""The ``letters`` commands on the demo set: a draft files nothing, the text is edited as a file,
the preview is marked DRAFT, issuing without the payer's claim number exits 2 naming the field, and
advice goes to stderr, never into the letter."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli
from tests.store.stored_documents import pdf_text


@pytest.fixture
def demo(db_path: Path, icd10, capsys: pytest.CaptureFixture[str]) -> Cli:  # type: ignore[no-untyped-def]
    cli = Cli(db_path, capsys)
    assert cli("demo") == 0, cli.err
    return cli


def _count(db: Path, table: str) -> int:
    connection = sqlite3.connect(db)
    try:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


def _filed(db: Path) -> tuple[int, int, int, int]:
    return tuple(_count(db, t) for t in ("claim_events", "appeal_letters", "issued_letters", "documents"))  # type: ignore[return-value]


def _waiting_claim(db: Path) -> str:
    connection = sqlite3.connect(db)
    try:
        row = connection.execute(
            "SELECT number FROM claims WHERE state = 'submitted' AND payer_claim_number = '' LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return str(row[0])


def test_a_draft_files_nothing_and_issuing_needs_the_claim_number(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    claim = _waiting_claim(cli.db)
    assert cli("claims", "deny", claim, "--adjust", "CO-50:100.00") == 0, cli.err
    before = _filed(cli.db)
    text = tmp_path / "letter.txt"
    assert cli("letters", "draft", "--claim", claim, "--text-out", str(text)) == 0, cli.err
    assert _filed(cli.db) == before  # nothing filed, no document kept
    assert "letter draft 1: Appeal letter (draft)" in cli.out and "nothing was filed" in cli.err
    assert "advice: No payer claim number" in cli.err
    # Under the advice, the command that records what it says is missing (never in the letter).
    assert f"fix: kettrack claims note {claim} --payer-claim-number CLAIM_NUMBER" in cli.err
    written = text.read_text(encoding="utf-8")
    assert "## Medical necessity" in written and "advice" not in written and claim not in written

    text.write_text(written.replace("Please review", "Kindly review"), encoding="utf-8")
    assert cli("letters", "edit", "1", "--text", str(text)) == 0, cli.err
    preview = tmp_path / "preview.pdf"
    assert cli("letters", "preview", "1", str(preview)) == 0, cli.err
    flat = " ".join(pdf_text(preview.read_bytes()).split())
    assert "DRAFT" in flat and "Kindly review" in flat and claim not in flat
    assert _filed(cli.db) == before

    assert cli("letters", "issue", "1") == 2
    assert cli.err.startswith("kettrack: error: payer_claim_number:") and len(cli.err.splitlines()) == 1
    assert _filed(cli.db) == before
    out = tmp_path / "sent.pdf"
    assert cli("letters", "issue", "1", "--no-claim-number", "--letter", str(out)) == 0, cli.err
    assert "Appeal letter AP-" in cli.out and "Appeal filed" in cli.out
    assert "Kindly review" in pdf_text(out.read_bytes())
    assert _count(cli.db, "appeal_letters") == before[1] + 1


def test_provider_letters_evidence_and_bad_input(demo: Cli, tmp_path: Path) -> None:
    cli = demo
    assert (
        cli(
            "letters",
            "evidence-add",
            "--citation",
            "Roe R. A trial. J Mood. 2025;3:4-9.",
            "--drug",
            "ketamine",
        )
        == 0
    ), cli.err
    assert cli("letters", "evidence") == 0 and "Roe R. A trial" in cli.out and "Murrough JW" in cli.out
    assert cli("letters", "draft", "--kind", "medical_necessity", "--patient", "2") == 0, cli.err
    assert "Letter of medical necessity" in cli.out and "I am the treating provider" in cli.out
    assert cli("letters", "issue", "1", "--letter", str(tmp_path / "lmn.pdf")) == 0, cli.err
    assert "LMN-000001 issued" in cli.out
    assert cli("letters", "draft", "--kind", "prior_authorization", "--patient", "2", "--units", "0x") == 2
    assert "units" in cli.err
    assert cli("letters", "draft", "--kind", "appeal") == 2 and "claim" in cli.err
    assert cli("letters", "draft", "--kind", "nonsense", "--claim", "1") == 2 and "kind" in cli.err
    assert cli("letters", "draft", "--claim", "1", "--argue", "magic") == 2 and "argue" in cli.err
    assert cli("letters", "show", "99") == 2 and "no letter draft with id 99" in cli.err


def test_the_payers_appeals_address_is_set_on_the_command_line(demo: Cli) -> None:
    cli = demo
    assert cli("payers", "add", "--name", "Quiet Plan") == 0 and "no appeals address" in cli.err
    payer = cli.out.strip()
    assert cli("payers", "edit", payer, "--appeals-address", "Appeals Unit\nPO Box 7\nTown, NC 27000") == 0
    assert "warning" not in cli.err and f"payer {payer} saved: Quiet Plan" in cli.out
    assert cli("payers", "edit", "999", "--phone", "1") == 2
