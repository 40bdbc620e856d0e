"""Imports of hand-made, hostile files: a document's file name that is a path, values no column can
hold, dates and text no form would take, settings and audit entries a file must not bring. Each is
refused as a list of problems with nothing written (documents included), and an export only ever
holds the database's own documents, never a local file's bytes."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.problems import InvalidInput
from kettrack.services.demo import fill_demo
from kettrack.services.transfer import ImportRefused, export_data, import_data
from kettrack.services.workspace import Workspace
from kettrack.store.models import Base
from tests.conftest import TODAY
from tests.store.test_transfer import comparable
from tests.transfer_kit import add_letters_and_more

PNG = b"\x89PNG\r\n\x1a\n" + b"scan" * 40
SECRET = b"root:$6$not-a-real-hash:19000:0:99999:7:::\n"


FORMAT_5_SECTIONS = (
    "superbill_auths",
    "letter_drafts",
    "issued_letters",
    "evidence_references",
    "icd10_releases",
)


def before_format_5(data: dict[str, Any]) -> dict[str, Any]:
    """The same export without what format 5 added to it: its sections (and the issued letters'
    documents), and the fees' container types."""
    old = copy.deepcopy(data)
    for row in old.get("issued_letters", []):
        del old["documents"][row["sha256"]]
    for section in FORMAT_5_SECTIONS:
        old.pop(section, None)
    for fee in old["fee_schedule"]:
        fee.pop("container", None)
    return old


def after_format_5(data: dict[str, Any]) -> dict[str, Any]:
    """What a database imported from ``before_format_5(data)`` exports: the sections empty, every
    container unknown."""
    expected = before_format_5(data)
    expected.update({section: [] for section in FORMAT_5_SECTIONS})
    for fee in expected["fee_schedule"]:
        fee["container"] = "unknown"
    return {key: expected[key] for key in data}


def as_format_3(data: dict[str, Any]) -> dict[str, Any]:
    """The same export as kettrack wrote it before format 4: bytes beside the rows, by file name."""
    old = before_format_5(data)
    documents = old.pop("documents")
    old.pop("audit_head", None)  # format 4 added it
    old["format_version"] = 3
    for row in old["superbills"]:
        row["pdf_base64"] = documents[row["sha256"]]["base64"]
    for section, owner in (
        ("claim_attachment_files", "claim_attachments"),
        ("appeal_letter_files", "appeal_letters"),
    ):
        old[section] = {r["file_name"]: documents[r["sha256"]]["base64"] for r in old[owner]}
    return old


@pytest.fixture(scope="module")
def source(template_db: Path, tmp_path_factory: pytest.TempPathFactory, icd10: Any) -> dict[str, Any]:
    """An export of the demo set with its claims, letter and one attachment (made once per module)."""
    from kettrack.core.claim_states import EventKind
    from kettrack.core.claims import NewEvent

    folder = tmp_path_factory.mktemp("hostile-source")
    path = folder / "source.sqlite3"
    shutil.copyfile(template_db, path)
    ws = Workspace.open(path, today=lambda: TODAY)
    ws._icd = Icd10Releases([icd10])
    try:
        fill_demo(ws)
        claim = next(r.id for r in ws.claim_views.rows() if r.state.value == "denied")
        scan = folder / "eob.png"
        scan.write_bytes(PNG)
        ws.claims.record(claim, NewEvent(EventKind.NOTE, TODAY, note="called"), attachments=[(scan, "")])
        add_letters_and_more(ws)
        return export_data(ws)
    finally:
        ws.close()


@pytest.fixture
def data(source: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(source)


@pytest.fixture
def empty(template_db: Path, tmp_path: Path, icd10: Any) -> Iterator[Callable[[str], Workspace]]:
    opened: list[Workspace] = []

    def make(name: str = "target.sqlite3") -> Workspace:
        path = tmp_path / name
        shutil.copyfile(template_db, path)
        ws = Workspace.open(path, today=lambda: TODAY)
        ws._icd = Icd10Releases([icd10])
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def target(empty: Callable[[str], Workspace]) -> Workspace:
    return empty("target.sqlite3")


def row_counts(ws: Workspace) -> dict[str, int]:
    with ws.db.reader() as session:
        return {
            name: int(session.execute(text(f"SELECT count(*) FROM {name}")).scalar() or 0)
            for name in Base.metadata.tables
        }


def refused(ws: Workspace, data: Any) -> list[str]:
    """The problems an import of ``data`` gives; asserts that nothing at all was written."""
    with pytest.raises(ImportRefused) as caught:
        import_data(ws, json.loads(json.dumps(data, default=float), parse_float=Decimal))  # as read_file does
    assert set(row_counts(ws).values()) == {0}, row_counts(ws)
    return [str(p) for p in caught.value.problems]


def has(lines: list[str], start: str, *parts: str) -> bool:
    return any(line.startswith(start) and all(p in line for p in parts) for line in lines)


# --- documents: names, never paths ----------------------------------------------------------------

HOSTILE_NAMES = [
    "/etc/shadow",
    "../../x",
    "a\x00b",
    "..\\..\\boot.ini",
    "C:/x.pdf",
    "\u202efdp.exe",
    "x" * 101,
]
OWNERS = {
    "superbills": "superbills[1] (id 1): file_name",
    "claim_attachments": "claim_attachments[1] (id 1).file_name",
    "appeal_letters": "appeal_letters[1] (id 1).file_name",
}


@pytest.mark.parametrize("owner", sorted(OWNERS))
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:12]))
@pytest.mark.parametrize("with_content", [True, False], ids=["with-content", "content-left-out"])
@pytest.mark.parametrize("version", [4, 3])
def test_a_file_name_that_is_a_path_is_refused(
    data: dict[str, Any], target: Workspace, owner: str, name: str, with_content: bool, version: int
) -> None:
    row = data[owner][0]
    sha = row["sha256"]
    row["file_name"] = name
    if version == 3:
        data = as_format_3(data)
        if owner == "superbills" and not with_content:
            data["superbills"][0]["pdf_base64"] = None
        elif not with_content:
            section = "claim_attachment_files" if owner == "claim_attachments" else "appeal_letter_files"
            data[section] = {name: None}
    elif not with_content:
        del data["documents"][sha]
    lines = refused(target, data)
    assert has(lines, OWNERS[owner]), lines


def test_a_row_whose_document_is_absent_or_altered_is_refused(
    data: dict[str, Any], target: Workspace
) -> None:
    attachment, letter = data["claim_attachments"][0]["sha256"], data["appeal_letters"][0]["sha256"]
    del data["documents"][attachment]
    data["documents"][letter]["base64"] = base64.b64encode(b"%PDF-1.4 something else").decode()
    lines = refused(target, data)
    assert has(lines, "claim_attachments[1] (id 1): sha256: its document is not in the file")
    assert has(lines, f"documents.{letter}.base64: does not match its SHA-256")


def test_the_documents_section_is_checked(data: dict[str, Any], target: Workspace) -> None:
    png = data["claim_attachments"][0]["sha256"]
    data["documents"][png]["media_type"] = "application/pdf"  # a PNG that says it is a PDF
    stray = hashlib.sha256(b"%PDF-1.7 stray").hexdigest()
    data["documents"][stray] = {
        "media_type": "application/pdf",
        "base64": base64.b64encode(b"%PDF-1.7 stray").decode(),
    }
    data["documents"]["../../etc/passwd"] = {"media_type": "text/plain", "base64": ""}
    text_ = hashlib.sha256(b"plain text").hexdigest()
    data["documents"][text_] = {
        "media_type": "text/plain",
        "base64": base64.b64encode(b"plain text").decode(),
    }
    data["superbills"][0]["sha256"] = text_
    lines = refused(target, data)
    assert has(lines, f"documents.{png}.media_type: 'application/pdf', but the content is image/png")
    assert has(lines, f"documents.{stray}: no record in the file names it")
    assert has(lines, "documents[", "'../../etc/passwd' is not a SHA-256")
    assert has(lines, f"documents.{text_}: is not a PDF, PNG, JPEG or TIFF file")


def test_attachment_size_and_type_must_match_its_document(data: dict[str, Any], target: Workspace) -> None:
    data["claim_attachments"][0]["size"] += 1
    data["appeal_letters"][0]["sha256"] = data["claim_attachments"][0]["sha256"]  # a PNG as the letter
    lines = refused(target, data)
    assert has(lines, "claim_attachments[1] (id 1): size: the document it names has")
    assert has(lines, "appeal_letters[1] (id 1): media_type: the document it names is image/png")


def test_export_takes_documents_from_the_database_only(
    data: dict[str, Any], target: Workspace, tmp_path: Path
) -> None:
    import_data(target, data)
    # Files where kettrack kept documents before 0004, under the names the rows suggest: not read.
    folder = tmp_path / "target-documents"
    for sub, section in (
        ("superbills", "superbills"),
        ("attachments", "claim_attachments"),
        ("letters", "appeal_letters"),
    ):
        (folder / sub).mkdir(parents=True)
        for row in data[section]:
            (folder / sub / row["file_name"]).write_bytes(SECRET)
    (tmp_path / "secret").write_bytes(SECRET)
    again = export_data(target)
    written = json.dumps(again)
    assert base64.b64encode(SECRET).decode()[:40] not in written and "not-a-real-hash" not in written
    assert again["documents"] == data["documents"]


def test_an_export_with_a_missing_document_is_refused(data: dict[str, Any], target: Workspace) -> None:
    import_data(target, data)
    letter = data["appeal_letters"][0]
    with target.db.session() as session:
        session.execute(text("DELETE FROM documents WHERE sha256 = :s"), {"s": letter["sha256"]})
    with pytest.raises(InvalidInput) as caught:
        export_data(target)
    assert f"appeal letter {letter['number']}: its content is missing from the database" in str(caught.value)


# --- values no column (or form) takes ---------------------------------------------------------------

# (section, row, column, value, the problem it gives): "C1" stands for "claims[1] (id 1)" and so on.
BAD_VALUES: list[tuple[str, int, str, Any, str]] = [
    ("claims", 0, "billed", 10**30, "C1.billed: is larger than the largest amount"),
    ("claims", 0, "billed", "NaN", "C1.billed: 'NaN' is not an amount"),
    ("claims", 0, "paid", "-5.00", "C1.paid: cannot be negative"),
    ("claims", 0, "billed", Decimal("1.555"), "C1.billed: has more than 2 decimal places"),
    ("claim_lines", 0, "charge", "1E+400", "claim_lines[1].charge: '1E+400' is not an amount"),
    ("claim_adjustments", 0, "amount", -(10**30), "claim_adjustments[1].amount: is larger than"),
    ("claims", 0, "id", 2**70, "claims[1] (id 1180591620717411303424).id: must be between 1 and 2147483647"),
    ("claim_events", 0, "claim_id", 2**70, "E1.claim_id: must be between 1 and"),
    ("claim_lines", 0, "units", 0, "claim_lines[1].units: must be between 1 and"),
    ("claims", 0, "event_count", -1, "C1.event_count: must be between 0 and"),
    ("claims", 0, "closed", "yes", "C1.closed: must be true or false"),
    ("claims", 0, "state", "hacked", "C1.state: 'hacked' is not one of"),
    ("claims", 0, "outcome", "won", "C1.outcome: 'won' is not one of"),
    ("claims", 0, "number", "C" * 21, "C1.number: is too long (21 characters; at most 20)"),
    ("claims", 0, "created_at", "2026-11-01T10:00:00", "C1.created_at: must be a time in UTC"),
    ("claims", 0, "patient_id", 99, "C1.patient_id: there is no patients row with id 99"),
    ("claims", 0, "superbill_id", 99, "C1.superbill_id: there is no superbills row with id 99"),
    ("claim_lines", 0, "service_line_id", 999, "claim_lines[1].service_line_id: there is no service_lines"),
    ("claim_events", 0, "claim_id", 99, "E1.claim_id: there is no claims row with id 99"),
    ("claim_events", 0, "business_date", "9999-12-31", "E1.business_date: 9999-12-31 is more than 2 years"),
    ("claim_events", 0, "business_date", "0001-01-01", "E1.business_date: 0001-01-01 is before 1900"),
    ("claim_events", 0, "note", "a\x00b", "E1.note: contains a NUL character"),
    ("claim_events", 0, "note", "pay \u202e001$", "E1.note: contains an invisible text-direction"),
    ("claim_events", 0, "note", "a\x1b[2Jb", "E1.note: contains a control character (U+001B)"),
    ("claim_events", 0, "recorded_by", "a\nb", "E1.recorded_by: contains a control character"),
    ("claim_events", 0, "recorded_at", "2099-01-01T00:00:00+00:00", "E1.recorded_at: 2099-01-01 is more"),
    ("prior_auths", 0, "notes", "x" * 20_001, "prior_auths[1] (id 1).notes: is too long"),
    ("prior_auths", 0, "valid_from", "2027-12-31", "prior_auths[1] (id 1).valid_to: ends before it starts"),
    (
        "appeal_letters",
        0,
        "paragraphs",
        json.dumps(["Dear \u202eplan"]),
        "L1.paragraphs: paragraph 1 contains",
    ),
    ("appeal_letters", 0, "paragraphs", "{not json", "L1.paragraphs: must be a list"),
    ("claim_attachments", 0, "original_name", "../eob.png", "A1.original_name: '../eob.png' is not a plain"),
    ("claim_attachments", 0, "size", 0, "A1.size: must be between 1 and"),
    ("audit_log", 0, "action", "rm -rf", "audit_log[1] (sequence 1).action: 'rm -rf' is not an action"),
    ("audit_log", 0, "details", "\u202e", "audit_log[1] (sequence 1).details: contains an invisible"),
    # The billing and record sections, decoded into records: the same limits.
    ("superbills", 0, "total_charges", 10**30, "S1: total_charges: is larger than"),
    ("superbills", 0, "issued_at", "2026-11-01T10:00:00+02:00", "S1: issued_at: must be a time in UTC"),
    ("superbills", 0, "sha256", "../../x", "S1: sha256: is not a SHA-256"),
    ("service_lines", 0, "position", 2**70, "service_lines[1] (id 1): position: is outside the range"),
    ("service_lines", 0, "service_date", "9999-12-31", "service_lines[1] (id 1): service_date: 9999-12-31"),
    (
        "patients",
        0,
        "legal_name",
        "\u200b\u200b",
        "patients[1] (id 1): legal_name: Legal name has no visible",
    ),
    ("payers", 0, "name", "\u3164", "payers[1] (id 1): name: Payer name has no visible letter"),
    (
        "coverages",
        0,
        "effective_from",
        "0001-01-01",
        "V1: effective_from: Coverage start 0001-01-01 is before",
    ),
    ("coverages", 0, "effective_to", "9999-12-31", "V1: effective_to: Coverage end 9999-12-31 is more than"),
    ("infusions", 0, "phq9_before", 2**70, "infusions[1] (id 1): phq9_before: is outside the range"),
    # What format 5 added: fee containers, the authorizations superbills printed, letters, the library.
    (
        "fee_schedule",
        0,
        "container",
        "triple_dose",
        "fee_schedule[1]: container: 'triple_dose' is not one of",
    ),
    (
        "superbill_auths",
        0,
        "auth_id",
        99,
        "superbill_auths[1].auth_id: there is no prior_auths row with id 99",
    ),
    ("superbill_auths", 0, "superbill_id", 2**70, "superbill_auths[1].superbill_id: must be between 1 and"),
    ("superbill_auths", 0, "superbill_id", 99, "superbill_auths[1].superbill_id: there is no superbills row"),
    ("letter_drafts", 0, "kind", "love_letter", "D1.kind: 'love_letter' is not one of"),
    ("letter_drafts", 0, "patient_id", 99, "D1.patient_id: there is no patients row with id 99"),
    ("letter_drafts", 0, "units", 0, "D1.units: must be between 1 and"),
    ("letter_drafts", 0, "blocks", "{not json", "D1.blocks: is not a letter's text as kettrack keeps it"),
    ("letter_drafts", 0, "blocks", json.dumps([["a", "", "x"]] * 41), "D1.blocks: has 41 parts"),
    ("letter_drafts", 0, "blocks", json.dumps([["opening", "", "Dear \u202eplan"]]), "D1.blocks: part 1"),
    ("letter_drafts", 0, "blocks", "[" * 100_000 + "]" * 100_000, "D1.blocks: is not a letter's text"),
    ("letter_drafts", 0, "blocks", "x" * 500_001, "D1.blocks: is too long"),
    ("letter_drafts", 0, "arguments", "medical_necessity,bribe", "D1.arguments: must be arguments kettrack"),
    ("letter_drafts", 0, "disputed_lines", "1,\u00b2", "D1.disputed_lines: must be claim line numbers"),
    ("letter_drafts", 0, "codes", "g2083", "D1.codes: must be codes in capitals"),
    ("letter_drafts", 0, "issued_number", "LMN-999999", "D1.issued_number: there is no issued letter"),
    ("letter_drafts", 0, "created_at", "yesterday", "D1.created_at: 'yesterday' is not a date and time"),
    (
        "letter_drafts",
        1,
        "period_to",
        "2026-01-01",
        "letter_drafts[2] (id 2).period_to: ends before it starts",
    ),
    (
        "issued_letters",
        0,
        "number",
        "LMN-1",
        "I1.number: 'LMN-1' is not a letter of medical necessity number",
    ),
    ("issued_letters", 0, "kind", "appeal", "I1.kind: appeal letters are issued as appeal_letters"),
    ("issued_letters", 0, "file_name", "../x.pdf", "I1.file_name: '../x.pdf' is not a plain file name"),
    ("issued_letters", 0, "file_name", "LMN-000001.exe", "I1.file_name: must end in .pdf"),
    ("issued_letters", 0, "sha256", "../../x", "I1.sha256: is not a SHA-256"),
    ("issued_letters", 0, "sha256", "0" * 64, "I1: sha256: its document is not in the file"),
    ("issued_letters", 0, "issued_at", "2026-11-01T10:00:00+02:00", "I1.issued_at: must be a time in UTC"),
    (
        "issued_letters",
        0,
        "blocks",
        json.dumps([["opening", "", " untrimmed "]]),
        "I1.blocks: is not an issued",
    ),
    ("issued_letters", 0, "blocks", "[]", "I1.blocks: the letter has no text"),
    ("issued_letters", 0, "draft_id", 99, "I1.draft_id: there is no letter_drafts row with id 99"),
    ("issued_letters", 0, "draft_id", 2, "I1.draft_id: the draft 2 was not issued as 'LMN-000001'"),
    ("evidence_references", 0, "citation", "Roe  R.", "R1.citation: is not a reference as the library keeps"),
    ("evidence_references", 0, "citation", "x" * 601, "R1.citation: is too long"),
    ("evidence_references", 0, "citation", "Roe\x00", "R1.citation: contains a NUL character"),
    ("evidence_references", 0, "drug", "cannabis", "R1.drug: 'cannabis' is not one of"),
]
_SHORT = {
    "C1": "claims[1] (id 1)",
    "E1": "claim_events[1] (id 1)",
    "L1": "appeal_letters[1] (id 1)",
    "A1": "claim_attachments[1] (id 1)",
    "S1": "superbills[1] (id 1)",
    "V1": "coverages[1] (id 1)",
    "D1": "letter_drafts[1] (id 1)",
    "I1": "issued_letters[1] (id 1)",
    "R1": "evidence_references[1] (id 1)",
}


@pytest.mark.parametrize(
    ("section", "index", "column", "value", "expected"),
    BAD_VALUES,
    ids=[f"{r[0]}.{r[2]}={str(r[3])[:12]!r}" for r in BAD_VALUES],
)
def test_a_value_no_column_or_form_takes_is_a_field_problem(
    data: dict[str, Any], target: Workspace, section: str, index: int, column: str, value: Any, expected: str
) -> None:
    data[section][index][column] = value
    if expected[:2] in _SHORT:
        expected = _SHORT[expected[:2]] + expected[2:]
    lines = refused(target, data)
    assert has(lines, expected), lines


def test_rows_must_be_whole_and_unique(data: dict[str, Any], target: Workspace) -> None:
    data["claim_events"][0]["extra"] = 1
    del data["claim_lines"][0]["code"]
    data["claims"][1]["number"] = data["claims"][0]["number"]
    data["claim_auths"].append(dict(data["claim_auths"][0]))
    lines = refused(target, data)
    assert has(lines, "claim_events[1] (id 1): unknown fields extra")
    assert has(lines, "claim_lines[1].code: is missing")
    assert has(lines, "claims[2] (id 2).number: another row has the same number")
    assert has(
        lines, f"claim_auths[{len(data['claim_auths'])}].", "another row has the same claim_id, auth_id"
    )


def test_reason_codes_and_payer_rules_go_through_their_own_checks(
    data: dict[str, Any], target: Workspace
) -> None:
    stamp = {"created_at": "2026-11-01T10:00:00+00:00", "updated_at": "2026-11-01T10:00:00+00:00"}
    data["reason_codes"] = [{"code": "12345!", "kind": "carc", "description": "x", **stamp}]
    data["payer_rules"] = [
        {"payer_id": 1, "overrides": "{not json", **stamp},
        {"payer_id": 2, "overrides": json.dumps({"claim_decision_days": 99999}), **stamp},
    ]
    lines = refused(target, data)
    assert has(lines, "reason_codes[1].code: ")
    assert has(lines, "payer_rules[1].overrides: is not a payer's rules")
    assert has(lines, "payer_rules[2].overrides: claim_decision_days: must be between 0 and 3650 days")


def test_hostile_names_are_shown_escaped(data: dict[str, Any], target: Workspace) -> None:
    data["claims"][0]["\u202enote\nx"] = 1
    data["\ud800section"] = []
    lines = refused(target, data)
    assert has(lines, "claims[1] (id 1): unknown fields '\\u202enote\\nx'")
    assert has(lines, "'\\ud800section': is not a section")
    assert all(line.isprintable() for line in lines)


# --- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),  # the value as the file gives it
    [
        ("lock_pin_scrypt", "scrypt$1$c2FsdA==", "settings.lock_pin_scrypt: belongs to the installation"),
        ("lock_pin_hash", "0" * 64, "settings.lock_pin_hash: is not a setting an export carries"),
        ("audit_anchor_key", "k", "settings.audit_anchor_key: is not a setting an export carries"),
        ("database_id", "d" * 32, "settings.database_id: belongs to the installation"),
        ("backup_keep_daily", "1", "settings.backup_keep_daily: belongs to the installation"),
        ("user_role", "admin", "settings.user_role: 'admin' is not one of: clinic, patient"),
        ("first_run_done", "no", "settings.first_run_done: 'no' is not one of: yes"),
        ("rems_forms_from", "2026-13-01", "settings.rems_forms_from: '2026-13-01' is not a date written"),
        ("rems_forms_from", "2026-6-1", "settings.rems_forms_from: '2026-6-1' is not a date written"),
        ("rems_forms_from", "9999-01-01", "settings.rems_forms_from: 9999-01-01 is more than 2 years"),
        ("rems_forms_from", 20260601, "settings.rems_forms_from: must be text"),
    ],
)  # fmt: skip
def test_only_portable_settings_are_imported(
    data: dict[str, Any], target: Workspace, key: str, value: Any, expected: str
) -> None:
    data["settings"][key] = value
    assert has(refused(target, data), expected)


def test_an_older_file_keeps_its_records_but_not_the_installation_settings(
    data: dict[str, Any], target: Workspace
) -> None:
    old = as_format_3(data)
    old["settings"].update(
        {"lock_pin_scrypt": "scrypt$x", "lock_idle_minutes": "600", "backup_keep_daily": "1"}
    )
    import_data(target, old)
    assert target.settings.get("lock_pin_scrypt") is None and target.settings.get("backup_keep_daily") is None
    assert target.settings.role() is not None and target.settings.first_run_done()


def test_a_format_3_file_gives_the_same_database(data: dict[str, Any], target: Workspace) -> None:
    import_data(target, as_format_3(data))
    again = export_data(target)
    assert comparable(again) == comparable(after_format_5(data))


def test_a_format_3_file_with_a_document_left_out_is_refused(data: dict[str, Any], target: Workspace) -> None:
    old = as_format_3(data)
    old["superbills"][0]["pdf_base64"] = None
    old["appeal_letter_files"] = {}
    old["claim_attachment_files"]["someone-else.png"] = old["claim_attachment_files"].popitem()[1]
    lines = refused(target, old)
    assert has(lines, "superbills[1] (id 1): sha256: its document is not in the file")
    assert has(lines, "appeal_letters[1] (id 1): sha256: its document is not in the file")
    assert has(lines, "claim_attachments[1] (id 1): sha256: its document is not in the file")
    assert has(lines, "claim_attachment_files.someone-else.png: no record in the file has this file name")


def test_format_4_refuses_the_old_document_fields(data: dict[str, Any], target: Workspace) -> None:
    data["superbills"][0]["pdf_base64"] = data["documents"][data["superbills"][0]["sha256"]]["base64"]
    data["appeal_letter_files"] = {}
    lines = refused(target, data)
    assert has(lines, "superbills[1] (id 1): pdf_base64: is not a field kettrack knows")
    assert has(lines, "appeal_letter_files: is not a section kettrack knows")


# --- the audit chain ----------------------------------------------------------------------------------


def test_a_tampered_audit_entry_is_refused(data: dict[str, Any], target: Workspace) -> None:
    data["audit_log"][3]["details"] = "nothing happened here"
    assert has(
        refused(target, data),
        "audit_log: the audit chain is broken: entry 4 was altered after it was written",
    )


def test_a_rewritten_audit_entry_breaks_the_chain_after_it(data: dict[str, Any], target: Workspace) -> None:
    from datetime import datetime

    from kettrack.core.audit import AuditEntry, entry_hash

    row = data["audit_log"][3]
    row["details"] = "nothing happened here"
    fields = {k: v for k, v in row.items() if k != "hash"}
    row["hash"] = entry_hash(AuditEntry(**{**fields, "at": datetime.fromisoformat(row["at"])}))
    assert has(
        refused(target, data),
        "audit_log: the audit chain is broken: entry 5 does not follow the entry before it",
    )


def test_a_removed_audit_entry_is_refused(data: dict[str, Any], target: Workspace) -> None:
    del data["audit_log"][2]
    assert has(refused(target, data), "audit_log: the audit chain is broken: entry 3 is missing")


def test_audit_seals_neither_leave_nor_enter(data: dict[str, Any], target: Workspace) -> None:
    assert "audit_seals" not in data
    data["audit_seals"] = [{"sequence": 1, "mac": "0" * 64}]
    assert has(refused(target, data), "audit_seals: is not a section kettrack knows")


def test_the_checks_pass_every_genuine_export(data: dict[str, Any], target: Workspace) -> None:
    """Everything above refuses only what is wrong: the untouched export imports and comes back."""
    summary = import_data(target, data)
    assert summary.counts["claim_attachments"] == 1 and summary.counts["audit_log"] == len(data["audit_log"])
    again = export_data(target)
    assert comparable(again) == comparable(data)
    assert date.fromisoformat(data["claim_events"][0]["business_date"]) <= TODAY


def test_an_audit_log_cut_short_in_the_file_is_refused(data: dict[str, Any], target: Workspace) -> None:
    """Removing the last entries leaves a valid chain, but not the one the file's own head names."""
    assert data["audit_head"]["sequence"] == data["audit_log"][-1]["sequence"]
    data["audit_log"] = data["audit_log"][:-2]
    lines = refused(target, data)
    assert any("does not end at the entry" in line for line in lines), lines


# --- what format 5 added ------------------------------------------------------------------------------


def test_a_letter_is_about_its_own_patients_claim_and_coverage(
    data: dict[str, Any], target: Workspace
) -> None:
    appeal = next(d for d in data["letter_drafts"] if d["kind"] == "appeal")
    other = next(p["id"] for p in data["patients"] if p["id"] != appeal["patient_id"])
    appeal["patient_id"] = other
    request = next(d for d in data["letter_drafts"] if d["kind"] == "prior_authorization")
    request["coverage_id"] = next(
        c["id"] for c in data["coverages"] if c["patient_id"] != request["patient_id"]
    )
    lines = refused(target, data)
    where = f"letter_drafts[{data['letter_drafts'].index(appeal) + 1}] (id {appeal['id']})"
    assert has(lines, f"{where}.claim_id: is patient ", f"not patient {other}'s"), lines
    where = f"letter_drafts[{data['letter_drafts'].index(request) + 1}] (id {request['id']})"
    assert has(lines, f"{where}.coverage_id: is patient "), lines
    request["kind"] = "external_review"  # an external review request answers a claim: it must name one
    assert has(refused(target, data), f"{where}.claim_id: must name the claim the letter answers")


def test_an_issued_letter_and_its_draft_must_agree(data: dict[str, Any], target: Workspace) -> None:
    data["issued_letters"][0]["patient_id"] = 1  # the demo's LMN is Harold's (patient 2)
    data["letter_drafts"].append({**data["letter_drafts"][0], "id": 99, "issued_number": "PAR-000007"})
    data["letter_drafts"][0]["issued_number"] = ""
    lines = refused(target, data)
    assert has(lines, "issued_letters[1] (id 1).draft_id: the draft 1 was not issued as 'LMN-000001'"), lines
    assert has(lines, "letter_drafts[4] (id 99).issued_number: there is no issued letter 'PAR-000007'"), lines


def test_a_superbill_prints_its_own_patients_authorizations(data: dict[str, Any], target: Workspace) -> None:
    link = data["superbill_auths"][0]
    auth = next(a for a in data["prior_auths"] if a["id"] == link["auth_id"])
    other = next(b for b in data["superbills"] if b["patient_id"] != auth["patient_id"])
    link["superbill_id"] = other["id"]
    lines = refused(target, data)
    assert has(lines, "superbill_auths[1].auth_id: is patient ", f"on patient {other['patient_id']}'s"), lines


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:12]))
def test_an_issued_letters_file_name_that_is_a_path_is_refused(
    data: dict[str, Any], target: Workspace, name: str
) -> None:
    data["issued_letters"][0]["file_name"] = name
    assert has(refused(target, data), "issued_letters[1] (id 1).file_name"), name


def test_an_issued_letters_document_is_checked_like_the_others(
    data: dict[str, Any], target: Workspace
) -> None:
    letter = data["issued_letters"][0]["sha256"]
    data["documents"][letter]["base64"] = base64.b64encode(b"%PDF-1.4 not the letter").decode()
    assert has(refused(target, data), f"documents.{letter}.base64: does not match its SHA-256")
    del data["documents"][letter]
    assert has(refused(target, data), "issued_letters[1] (id 1): sha256: its document is not in the file")


def test_a_format_4_file_imports_and_may_not_bring_what_5_added(
    data: dict[str, Any], target: Workspace
) -> None:
    old = before_format_5(data)
    old["format_version"] = 4
    for section in FORMAT_5_SECTIONS:
        refused_lines = refused(target, {**old, section: []})
        assert has(refused_lines, f"{section}: is not a section kettrack knows"), refused_lines
    del old["settings"]["rems_forms_from"]  # format 4 never carried it
    summary = import_data(target, old)
    assert summary.counts["letter_drafts"] == 0 and summary.counts["icd10_releases"] == 0
    # Its sessions predate REMS tracking: as migration 0008 does, forms are tracked from a week ago.
    assert target.settings.get("rems_forms_from") == "2026-11-16"
    expected = after_format_5(data)
    expected["settings"]["rems_forms_from"] = "2026-11-16"
    assert comparable(export_data(target)) == comparable(expected)


def test_a_format_5_file_written_before_letters_travelled_still_imports(
    data: dict[str, Any], target: Workspace
) -> None:
    """Format 5 first carried only the REMS fields: such a file lacks the later sections, read as empty."""
    import_data(target, before_format_5(data))
    assert comparable(export_data(target)) == comparable(after_format_5(data))


def test_a_release_fragment_is_refused(data: dict[str, Any], target: Workspace) -> None:
    data["icd10_releases"] = [
        {
            "label": "FY2027",
            "fiscal_year": 2027,
            "effective_from": "2026-10-01",
            "source_name": "icd10cm_order_2027.txt",
            "source_kind": "order file",
            "source_sha256": "0" * 64,
            "loaded_at": "2026-11-01T10:00:00+00:00",
            "codes": [["F43.13", "Post-traumatic stress disorder, delayed expression"]],
        }
    ]
    lines = refused(target, data)
    assert has(lines, "icd10_releases[1] (FY2027): codes: holds 1 billable codes", "fragment"), lines
