"""``kettrack import`` of hostile files through the command line: every one ends in exit code 2 with
the listed problems on stderr (never "unexpected", never a traceback) and an untouched database; and
``kettrack export`` after it holds only what the database holds, never a local file named in a row."""

from __future__ import annotations

import base64
import copy
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kettrack.cli import main
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.store.models import Base
from tests.conftest import TODAY
from tests.store.test_hostile_import import before_format_5
from tests.store.test_transfer import comparable
from tests.transfer_kit import add_letters_and_more

SECRET = b"root:$6$not-a-real-hash:19000:0:99999:7:::\n"
Change = Callable[[dict[str, Any], Path], dict[str, Any]]


@pytest.fixture(scope="module")
def source(template_db: Path, tmp_path_factory: pytest.TempPathFactory, icd10: Any) -> dict[str, Any]:
    """An export of the demo set with one claim attachment (made once for the module)."""
    from kettrack.core.claim_states import EventKind
    from kettrack.core.claims import NewEvent
    from kettrack.services.demo import fill_demo
    from kettrack.services.transfer import export_data
    from kettrack.services.workspace import Workspace

    folder = tmp_path_factory.mktemp("cli-hostile")
    path = folder / "source.sqlite3"
    shutil.copyfile(template_db, path)
    ws = Workspace.open(path, today=lambda: TODAY)
    ws._icd = Icd10Releases([icd10])
    try:
        fill_demo(ws)
        claim = next(r.id for r in ws.claim_views.rows() if r.state.value == "denied")
        scan = folder / "eob.png"
        scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"scan" * 40)
        ws.claims.record(claim, NewEvent(EventKind.NOTE, TODAY, note="called"), attachments=[(scan, "")])
        add_letters_and_more(ws)  # letters, a draft, the evidence library (format 5)
        return export_data(ws)
    finally:
        ws.close()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        return {
            t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in Base.metadata.tables
        }
    finally:
        connection.close()


def _format_3(data: dict[str, Any]) -> dict[str, Any]:
    data = before_format_5(data)
    documents = data.pop("documents")
    data["format_version"] = 3
    for row in data["superbills"]:
        row["pdf_base64"] = documents[row["sha256"]]["base64"]
    data["claim_attachment_files"] = {
        r["file_name"]: documents[r["sha256"]]["base64"] for r in data["claim_attachments"]
    }
    data["appeal_letter_files"] = {
        r["file_name"]: documents[r["sha256"]]["base64"] for r in data["appeal_letters"]
    }
    return data


def _path_without_content(name_of: Callable[[Path], str], version: int) -> Change:
    def change(data: dict[str, Any], secret: Path) -> dict[str, Any]:
        row = data["claim_attachments"][0]
        row["file_name"] = name_of(secret)
        if version == 3:
            data = _format_3(data)
            data["claim_attachment_files"] = {row["file_name"]: None}
        else:
            del data["documents"][row["sha256"]]
        return data

    return change


def _set(section: str, column: str, value: Any, row: int = 0) -> Change:
    def change(data: dict[str, Any], secret: Path) -> dict[str, Any]:
        data[section][row][column] = value
        return data

    return change


def _setting(key: str, value: str) -> Change:
    def change(data: dict[str, Any], secret: Path) -> dict[str, Any]:
        data["settings"][key] = value
        return data

    return change


def _letter_named(name: str) -> Change:
    def change(data: dict[str, Any], secret: Path) -> dict[str, Any]:
        data["appeal_letters"][0]["file_name"] = name
        return _format_3(data)

    return change


HOSTILE: dict[str, tuple[Change, str]] = {
    "absolute path, content left out": (
        _path_without_content(str, 4),
        "claim_attachments[1] (id 1).file_name",
    ),
    "relative path, content left out (format 3)": (
        _path_without_content(lambda p: f"../../{p.name}", 3),
        "claim_attachments[1] (id 1).file_name",
    ),
    "/etc/shadow, format 3": (_path_without_content(lambda p: "/etc/shadow", 3), "file_name"),
    "NUL in a file name with its content": (_letter_named("a\x00b"), "appeal_letters[1] (id 1).file_name"),
    "money 10**30": (_set("claims", "billed", 10**30), "claims[1] (id 1).billed: is larger than"),
    "money NaN": (_set("claim_events", "paid", "NaN"), "claim_events[1] (id 1).paid: 'NaN' is not an amount"),
    "id 2**70": (_set("claims", "id", 2**70), "must be between 1 and 2147483647"),
    "foreign id 2**70": (_set("claim_adjustments", "event_id", 2**70), "claim_adjustments[1].event_id"),
    "line position 2**70": (_set("service_lines", "position", 2**70), "position: is outside the range"),
    "superbill total 10**30": (_set("superbills", "total_paid", 10**30), "total_paid: is larger than"),
    "event date 9999-12-31": (_set("claim_events", "business_date", "9999-12-31"), "is more than 2 years"),
    "NUL in a note": (_set("claim_events", "note", "a\x00b"), "note: contains a NUL character"),
    "U+202E in a note": (_set("claim_events", "note", "\u202eevil"), "note: contains an invisible"),
    "lock PIN hash": (_setting("lock_pin_scrypt", "scrypt$1$x"), "settings.lock_pin_scrypt"),
    "lock_pin_hash": (_setting("lock_pin_hash", "0" * 64), "settings.lock_pin_hash"),
    "unknown setting, lone surrogate": (_setting("\ud800", "x"), "settings.'\\ud800'"),
    "letter draft's text not JSON": (
        _set("letter_drafts", "blocks", "{not json"),
        "letter_drafts[1] (id 1).blocks: is not a letter's text",
    ),
    "issued letter named as a path": (
        _set("issued_letters", "file_name", "/etc/shadow"),
        "issued_letters[1] (id 1).file_name",
    ),
    "issued letter's document absent": (
        _set("issued_letters", "sha256", "0" * 64),
        "issued_letters[1] (id 1): sha256: its document is not in the file",
    ),
    "evidence citation with U+202E": (
        _set("evidence_references", "citation", "Roe \u202eR."),
        "evidence_references[1] (id 1).citation: contains an invisible",
    ),
    "superbill printing an unknown authorization": (
        _set("superbill_auths", "auth_id", 99),
        "superbill_auths[1].auth_id: there is no prior_auths row with id 99",
    ),
    "fee container unknown to kettrack": (
        _set("fee_schedule", "container", "pallet"),
        "fee_schedule[1]: container: 'pallet' is not one of",
    ),
    "REMS tracking start not a date": (
        _setting("rems_forms_from", "soon"),
        "settings.rems_forms_from: 'soon' is not a date written YYYY-MM-DD",
    ),
    "ICD-10-CM release that is a fragment": (
        lambda data, secret: {**data, "icd10_releases": [{"label": "FY2027", "codes": []}]},
        "icd10_releases[1] (FY2027): fiscal_year: is missing",
    ),
    "tampered audit entry": (
        _set("audit_log", "details", "nothing to see", row=2),
        "audit_log: the audit chain is broken: entry 3 was altered",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_is_refused_with_exit_2_and_nothing_written(
    case: str,
    source: dict[str, Any],
    template_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    change, expected = HOSTILE[case]
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(change(copy.deepcopy(source), secret)))
    target = tmp_path / "target.sqlite3"
    shutil.copyfile(template_db, target)
    code, out, err = _run(capsys, "--db", str(target), "import", str(hostile))
    assert code == 2, err
    lines = err.splitlines()
    assert lines[0].startswith("kettrack: error: import refused, nothing was imported"), err
    assert any(expected in line for line in lines), err
    assert "unexpected" not in err and "Traceback" not in err and out == ""
    assert set(_counts(target).values()) == {0}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == []  # no documents folder either

    # Whatever the file named, an export of the database afterwards holds none of the secret's bytes.
    exported = tmp_path / "after.json"
    assert _run(capsys, "--db", str(target), "export", str(exported))[0] == 0
    text = exported.read_text()
    assert "not-a-real-hash" not in text and base64.b64encode(SECRET).decode()[:24] not in text


def test_round_trip_through_the_command_line_keeps_every_document(
    source: dict[str, Any], template_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps(source))
    target = tmp_path / "copy.sqlite3"
    shutil.copyfile(template_db, target)
    code, out, err = _run(capsys, "--db", str(target), "import", str(first))
    assert code == 0, err
    assert "1 claim_attachment," in out and "11 superbills" in out and "1 issued_letter," in out
    second = tmp_path / "second.json"
    assert _run(capsys, "--db", str(target), "export", str(second))[0] == 0
    again = json.loads(second.read_text())
    assert len(again["documents"]) == len(source["documents"]) >= 4  # the LMN's PDF among them
    assert again["issued_letters"] == source["issued_letters"] and again["letter_drafts"]
    assert comparable(again) == comparable(source)
    # A second import into a database that now holds records is refused the usual way.
    code, out, err = _run(capsys, "--db", str(target), "import", str(second))
    assert code == 2 and "already holds records" in err
