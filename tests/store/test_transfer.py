"""Export and import: the exact round trip (SQLite and PostgreSQL), all-or-nothing import that lists
every bad record, the format-version check, and the owner-only export file."""

from __future__ import annotations

import copy
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import PatientRecord
from kettrack.services.demo import fill_demo
from kettrack.services.transfer import (
    FORMAT_VERSION,
    DatabaseNotEmpty,
    ImportRefused,
    export_data,
    export_to_file,
    import_data,
    import_from_file,
    read_file,
    write_private,
)
from kettrack.services.workspace import Workspace
from tests.transfer_kit import add_letters_and_more

TODAY = date(2026, 11, 23)  # the same fixed day as tests/conftest.py
EMPTY_COUNTS = {
    "patients": 0, "providers": 0, "payers": 0, "coverages": 0, "treatments": 0, "infusions": 0,
    "procedure_codes": 0, "fee_schedule": 0, "service_lines": 0, "superbills": 0,
    "payer_rules": 0, "reason_codes": 0, "prior_auths": 0, "claims": 0, "claim_lines": 0, "claim_events": 0,
    "claim_adjustments": 0, "claim_attachments": 0, "claim_auths": 0, "appeal_letters": 0,
    "superbill_auths": 0, "letter_drafts": 0, "issued_letters": 0, "evidence_references": 0, "audit_log": 0,
    "icd10_releases": 0,
}  # fmt: skip


@pytest.fixture
def new_workspace(template_db: Path, tmp_path: Path, icd10) -> Iterator[Callable[[str], Workspace]]:  # type: ignore[no-untyped-def]
    """Opens further empty workspaces (copies of the migrated template) for the import side."""
    opened: list[Workspace] = []

    def make(location: str) -> Workspace:
        if "://" not in location:
            path = tmp_path / location
            shutil.copyfile(template_db, path)
            location = str(path)
        ws = Workspace.open(location, today=lambda: TODAY)
        ws._icd = Icd10Releases([icd10])
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def demo_ws(workspace):  # type: ignore[no-untyped-def]
    """The demo set plus billing records: an own code, edited lines, and issued superbills (v1, v2);
    and what format 5 added (tests/transfer_kit.py): letters, a draft, the evidence library, a
    superbill that printed an authorization, the REMS tracking start."""
    from kettrack.core.codes import CodeKind, ProcedureCode
    from kettrack.services.superbills import SuperbillRequest

    fill_demo(workspace, claims=False)
    workspace.codes.save(ProcedureCode("99417", CodeKind.VISIT, "Extra visit time, our words", 1))
    first = workspace.superbills.issue(SuperbillRequest(infusion_ids=(1, 3)))
    workspace.superbills.reissue(first.id)
    workspace.service_lines.ensure_lines(2)
    add_letters_and_more(workspace)
    return workspace


def _without_stamp(data: dict[str, Any]) -> dict[str, Any]:
    return comparable(data)


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """An export without what differs between installations: the time stamp, and the audit head's seal
    and database id (its sequence, hash and time are compared: the chain itself must come back)."""
    kept = {k: v for k, v in data.items() if k != "exported_at"}
    if kept.get("audit_head"):
        kept["audit_head"] = {k: kept["audit_head"][k] for k in ("sequence", "hash", "at")}
    return kept


def _counts(ws: Workspace) -> dict[str, int]:
    return {
        "patients": ws.patients.count(),
        "providers": ws.providers.count(),
        "payers": ws.payers.count(),
        "coverages": ws.coverages.count(),
        "treatments": ws.treatments.count(),
        "infusions": ws.infusions.count(),
        **{section: len(records) for section, records in _billing(ws).items()},
        **_claim_counts(ws),
        "icd10_releases": len(export_data(ws)["icd10_releases"]),
    }


def _claim_counts(ws: Workspace) -> dict[str, int]:
    from kettrack.services.transfer_claims import TABLES

    with ws.db.reader() as session:
        return {
            name: int(session.execute(text(f"SELECT count(*) FROM {name}")).scalar() or 0) for name in TABLES
        }


def _billing(ws: Workspace) -> dict[str, list[Any]]:
    data = export_data(ws)
    return {s: data[s] for s in ("procedure_codes", "fee_schedule", "service_lines", "superbills")}


def test_round_trip_is_exact(demo_ws: Workspace, new_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first_file = tmp_path / "first.json"
    expected = _counts(demo_ws)  # before the export, which adds its own audit entry
    summary = export_to_file(demo_ws, first_file)
    assert summary.counts == expected
    target = new_workspace("copy.sqlite3")
    imported = import_from_file(target, first_file)
    assert imported.counts == summary.counts
    second_file = tmp_path / "second.json"
    export_to_file(target, second_file)
    first, second = json.loads(first_file.read_text()), json.loads(second_file.read_text())
    assert _without_stamp(first) == _without_stamp(second)
    # Byte for byte too, once the time stamp line is set aside.
    # Byte for byte too, once the time stamp and the audit head (seal and id are this installation's)
    # are set aside.
    strip = lambda text: [  # noqa: E731
        line for line in text.split('"audit_head"')[0].splitlines() if '"exported_at"' not in line
    ]
    assert strip(first_file.read_text()) == strip(second_file.read_text())
    # The same records come back through the repositories, ids included.
    assert target.infusions.list() == demo_ws.infusions.list()
    assert target.providers.list() == demo_ws.providers.list()
    assert target.settings.role() == demo_ws.settings.role()


def test_export_layout_is_stable(demo_ws: Workspace) -> None:
    """Pins the file's keys: a new record field changes the format, so FORMAT_VERSION must be looked at."""
    data = export_data(demo_ws)
    assert list(data) == [
        "format",
        "format_version",
        "exported_at",
        "kettrack_version",
        "settings",
        "patients",
        "providers",
        "payers",
        "coverages",
        "treatments",
        "infusions",
        "procedure_codes",
        "fee_schedule",
        "service_lines",
        "superbills",
        "payer_rules",
        "reason_codes",
        "prior_auths",
        "claims",
        "claim_lines",
        "claim_events",
        "claim_adjustments",
        "claim_attachments",
        "claim_auths",
        "appeal_letters",
        "superbill_auths",
        "letter_drafts",
        "issued_letters",
        "evidence_references",
        "audit_log",
        "icd10_releases",
        "documents",
        "audit_head",
    ]
    assert data["audit_head"]["sequence"] == data["audit_log"][-1]["sequence"]
    assert data["format"] == "kettrack-export" and data["format_version"] == FORMAT_VERSION == 5
    assert list(data["superbills"][0]) == [
        "id", "number", "version", "patient_id", "provider_id", "date_from", "date_to", "issued_at", "draft",
        "file_name", "sha256", "total_charges", "total_paid", "clinic_id", "coverage_id", "superseded_by_id",
        "line_ids",
    ]  # fmt: skip
    # Each document once, keyed by its SHA-256, in key order; the rows name it by sha256.
    named = {r["sha256"] for r in data["superbills"]} | {r["sha256"] for r in data["issued_letters"]}
    assert list(data["documents"]) == sorted(named) and len(data["issued_letters"]) == 1
    assert all(list(d) == ["media_type", "base64"] for d in data["documents"].values())
    assert list(data["fee_schedule"][0]) == ["provider_id", "code", "amount", "ndc", "container"]
    assert {f["container"] for f in data["fee_schedule"]} == {"unknown", "single_dose"}
    assert data["settings"]["rems_forms_from"] == "2026-06-01"
    assert data["superbill_auths"] and list(data["superbill_auths"][0]) == ["superbill_id", "auth_id"]
    assert [d["kind"] for d in data["letter_drafts"]] == ["medical_necessity", "prior_authorization"]
    assert data["letter_drafts"][0]["issued_number"] == data["issued_letters"][0]["number"] == "LMN-000001"
    assert data["evidence_references"][0]["citation"].startswith("Roe R, Poe P.")
    assert data["icd10_releases"] == []  # a loaded release: test_code_set_transfer.py
    assert list(data["patients"][0]) == [
        "id",
        "legal_name",
        "date_of_birth",
        "sex",
        "address",
        "phone",
        "email",
        "rems_enrolled",
        "rems_enrolled_on",
        "rems_id",
    ]
    assert list(data["providers"][0]) == [
        "id",
        "name",
        "kind",
        "credentials",
        "npi",
        "tin",
        "taxonomy",
        "license_number",
        "license_state",
        "address",
        "phone",
        "clinic_id",
    ]
    assert list(data["payers"][0]) == [
        "id",
        "name",
        "kind",
        "payer_code",
        "phone",
        "claims_address",
        "appeals_address",
    ]
    assert list(data["coverages"][0]) == [
        "id",
        "patient_id",
        "payer_id",
        "member_id",
        "group_number",
        "relationship",
        "policyholder_name",
        "policyholder_dob",
        "rank",
        "effective_from",
        "effective_to",
        "network",
    ]
    assert list(data["treatments"][0]) == [
        "id",
        "patient_id",
        "kind",
        "name",
        "details",
        "started_on",
        "ended_on",
        "outcome",
        "notes",
    ]
    infusion = data["infusions"][0]
    assert list(infusion) == [
        "id",
        "patient_id",
        "service_date",
        "drug",
        "route",
        "provider_id",
        "clinic_id",
        "start_time",
        "end_time",
        "place_of_service",
        "dose_mg",
        "weight_kg",
        "diagnoses",
        "phq9_before",
        "phq9_after",
        "gad7_before",
        "gad7_after",
        "pain_before",
        "pain_after",
        "side_effects",
        "notes",
        "payments",
        "rems_form_sent_on",
    ]
    assert list(infusion["payments"][0]) == ["paid_on", "amount", "method", "reference"]
    assert infusion["payments"][0]["amount"] == "450.00" and infusion["drug"] == "ketamine"
    assert [r["id"] for r in data["infusions"]] == sorted(r["id"] for r in data["infusions"])


def test_ids_are_kept_and_new_rows_follow(workspace, new_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("Ann Able", "Ben Baker", "Cy Carter"):
        workspace.patients.add(PatientRecord(legal_name=name))
    workspace.patients.delete(2)
    target = new_workspace("ids.sqlite3")
    import_data(target, export_data(workspace))
    assert [p.id for p in target.patients.list()] == [1, 3]
    assert target.patients.add(PatientRecord(legal_name="Di Dunn")).id == 4


def test_bad_records_are_all_listed_and_nothing_is_imported(demo_ws: Workspace, new_workspace) -> None:  # type: ignore[no-untyped-def]
    data = export_data(demo_ws)
    bad = copy.deepcopy(data)
    bad["providers"][1]["npi"] = "1234567890"
    bad["patients"][0]["nickname"] = "Ave"
    bad["coverages"][1]["patient_id"] = 999
    bad["treatments"][0]["ended_on"] = "2018-01-01"
    bad["infusions"][11]["diagnoses"] = ["F43.1"]
    bad["infusions"][3]["payments"][0]["amount"] = "12.345"
    bad["infusions"][4]["service_date"] = "2026-02-30"
    target = new_workspace("bad.sqlite3")
    with pytest.raises(ImportRefused) as refused:
        import_data(target, bad)
    lines = [str(p) for p in refused.value.problems]
    expected = [
        "patients[1] (id 1): nickname: is not a field",
        "providers[2] (id 2): npi: NPI has a wrong check digit",
        "coverages[2] (id 2): patient_id: there is no patient with id 999 in the file",
        "treatments[1] (id 1): ended_on: The treatment cannot end before it started",
        f"infusions[12] (id {bad['infusions'][11]['id']}): diagnoses: F43.1 is not a billable code",
        f"infusions[4] (id {bad['infusions'][3]['id']}): payments[1].amount: has more than 2 decimal places",
        f"infusions[5] (id {bad['infusions'][4]['id']}): service_date: 2026-02-30 is not a real date",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert len(lines) == len(expected)
    assert _counts(target) == EMPTY_COUNTS
    assert target.settings.role() is None


def test_wrong_references_and_duplicate_ids_are_refused(demo_ws: Workspace, new_workspace) -> None:  # type: ignore[no-untyped-def]
    bad = export_data(demo_ws)
    clinician = next(p for p in bad["providers"] if p["kind"] == "individual")
    bad["infusions"][0]["clinic_id"] = clinician["id"]  # a clinician is not a clinic
    bad["payers"][1]["id"] = bad["payers"][0]["id"]
    target = new_workspace("refs.sqlite3")
    with pytest.raises(ImportRefused) as refused:
        import_data(target, bad)
    text = str(refused.value)
    assert f"clinic_id: there is no clinic with id {clinician['id']} in the file" in text
    assert "payers[2] (id 1): id: another payer has id 1" in text
    assert _counts(target) == EMPTY_COUNTS


def test_format_and_version_are_checked(demo_ws: Workspace, new_workspace) -> None:  # type: ignore[no-untyped-def]
    data = export_data(demo_ws)
    target = new_workspace("version.sqlite3")
    with pytest.raises(ImportRefused, match="newer kettrack \\(format version 6\\)"):
        import_data(target, {**data, "format_version": 6})
    with pytest.raises(ImportRefused, match="format_version"):
        import_data(target, {**data, "format_version": "2"})
    with pytest.raises(ImportRefused, match="not a kettrack export"):
        import_data(target, {**data, "format": "something-else"})
    with pytest.raises(ImportRefused, match="not a kettrack export"):
        import_data(target, [data])
    with pytest.raises(ImportRefused, match="bills: is not a section"):
        import_data(target, {**data, "bills": []})
    assert _counts(target) == EMPTY_COUNTS


def test_import_refuses_a_database_with_records(demo_ws: Workspace) -> None:
    with pytest.raises(DatabaseNotEmpty, match="already holds records"):
        import_data(demo_ws, export_data(demo_ws))
    assert demo_ws.patients.count() == 2


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    cases = {
        "missing.json": None,
        "nan.json": '{"format": "kettrack-export", "amount": NaN}',
        "twice.json": '{"format": "kettrack-export", "format": "x"}',
        "broken.json": '{"format": ',
        "latin1.json": b'{"name": "Jos\xe9"}',
    }
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        with pytest.raises(ImportRefused) as refused:
            read_file(path)
        assert refused.value.problems[0].field == "file", name


def test_numbers_in_a_file_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text('{"amount": 0.1}')
    assert read_file(path) == {"amount": Decimal("0.1")}


def test_export_file_is_owner_only_and_written_whole(demo_ws: Workspace, tmp_path: Path) -> None:
    old_umask = os.umask(0o000)  # even with a permissive umask
    try:
        path = tmp_path / "export.json"
        export_to_file(demo_ws, path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    with pytest.raises(FileExistsError):
        export_to_file(demo_ws, path)
    path.chmod(0o644)
    write_private(path, "{}\n", overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "{}\n"


@pytest.mark.postgres
def test_round_trip_on_postgresql(demo_ws: Workspace, new_workspace, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    source = export_data(demo_ws)
    pg = new_workspace(pg_url)
    import_data(pg, source)
    assert _without_stamp(export_data(pg)) == _without_stamp(source)
    # The id sequences were moved past the imported ids: the next insert works and follows them.
    highest = max(p["id"] for p in source["patients"])
    assert pg.patients.add(PatientRecord(legal_name="Next Person")).id == highest + 1
    infusion = pg.infusions.get(source["infusions"][0]["id"])
    assert pg.infusions.add(infusion).id == max(r["id"] for r in source["infusions"]) + 1
    from kettrack.services.letter_drafts import LetterService

    added = LetterService(pg.appeals).add_evidence("Doe J. Another trial. J Mood. 2026;4:1-2.")
    assert added.id == max(r["id"] for r in source["evidence_references"]) + 1
    # A second import is refused on PostgreSQL as on SQLite.
    with pytest.raises(DatabaseNotEmpty):
        import_data(pg, source)


def test_round_trip_restores_the_issued_documents(demo_ws: Workspace, new_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from kettrack.store import documents

    before = set(tmp_path.iterdir())
    target = new_workspace("docs.sqlite3")
    import_data(target, export_data(demo_ws))
    issued = target.superbills.list()
    assert [(r.number, r.version, r.superseded) for r in issued] == [
        ("SB-2026-000002", 1, False),  # Harold's, with his authorization (tests/transfer_kit.py)
        ("SB-2026-000001", 2, False),
        ("SB-2026-000001", 1, True),
    ]
    with target.db.reader() as session:
        for record in issued:
            content = documents.content(session, record.sha256)
            assert hashlib.sha256(content).hexdigest() == record.sha256 and content.startswith(b"%PDF")
    # The letter of medical necessity comes back as issued, its PDF from the file's documents.
    from kettrack.services.letter_drafts import LetterService

    letters = LetterService(target.appeals)
    assert letters.letter_pdf(1) == LetterService(demo_ws.appeals).letter_pdf(1)
    assert [d.kind.value for d in letters.drafts()] == ["prior_authorization"]
    assert [r.citation for r in letters.evidence()] == [
        r.citation for r in LetterService(demo_ws.appeals).evidence()
    ]
    # The documents are in the database: no folder was made beside it.
    assert [p.name for p in set(tmp_path.iterdir()) - before if p.is_dir()] == []
    assert target.codes.catalog().get("99417").description == "Extra visit time, our words"  # type: ignore[union-attr]


def test_an_altered_document_or_broken_billing_reference_is_refused(
    demo_ws: Workspace, new_workspace
) -> None:  # type: ignore[no-untyped-def]
    data = export_data(demo_ws)
    first, second = data["superbills"][0]["sha256"], data["superbills"][1]["sha256"]
    data["documents"][first] = data["documents"][second]
    data["service_lines"][0]["infusion_id"] = 9999
    data["fee_schedule"][0]["amount"] = "12.345"
    target = new_workspace("refused.sqlite3")
    with pytest.raises(ImportRefused) as refused:
        import_data(target, data)
    text = str(refused.value)
    assert f"documents.{first}.base64: does not match its SHA-256" in text
    assert "there is no infusion session with id 9999" in text
    assert "2 decimal places" in text
    assert target.superbills.list() == [] and target.patients.count() == 0


def test_a_version_1_file_still_imports(demo_ws: Workspace, new_workspace) -> None:  # type: ignore[no-untyped-def]
    from kettrack.services.transfer import SECTIONS

    # What format 1 held: the header, the settings and the record sections.
    v1 = {"format", "format_version", "exported_at", "kettrack_version", "settings", *SECTIONS}
    data = {k: v for k, v in export_data(demo_ws).items() if k in v1}
    data["format_version"] = 1
    target = new_workspace("old.sqlite3")
    summary = import_data(target, data)
    assert summary.counts["infusions"] == demo_ws.infusions.count() and summary.counts["superbills"] == 0


def test_claims_and_their_files_round_trip(workspace: Workspace, new_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Claims, events, adjustments, attachments (files too), prior auths and appeal letters come back
    row for row, and the claims' derived state still agrees with their events."""
    from kettrack.core.claim_states import EventKind
    from kettrack.core.claims import NewEvent
    from kettrack.store import documents

    fill_demo(workspace)
    claim = next(r.id for r in workspace.claim_views.rows() if r.state.value == "denied")
    scan = tmp_path / "eob.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    note = NewEvent(EventKind.NOTE, date(2026, 11, 23), note="called")
    workspace.claims.record(claim, note, attachments=[(scan, "")])
    first = export_data(workspace)
    target = new_workspace("claims.sqlite3")
    summary = import_data(target, first)
    assert summary.counts["claims"] == 11 and summary.counts["appeal_letters"] == 1
    second = export_data(target)
    assert comparable(first) == comparable(second)
    assert target.claims.invariant_problems() == []
    assert target.claim_views.get(claim).attachments[0].original_name == "eob.png"
    attachment = target.claim_views.get(claim).attachments[0]
    letter = target.claim_views.get(3).letters[0]
    with target.db.reader() as session:
        assert documents.content(session, attachment.sha256) == scan.read_bytes()
        assert documents.content(session, letter.sha256).startswith(b"%PDF")


def test_a_tampered_claim_file_is_refused_whole(workspace: Workspace, new_workspace) -> None:  # type: ignore[no-untyped-def]
    fill_demo(workspace)
    data = export_data(workspace)
    letter = data["appeal_letters"][0]["sha256"]
    data["documents"][letter] = data["documents"][data["superbills"][0]["sha256"]]
    data["claim_events"][0]["business_date"] = "2026-02-30"
    target = new_workspace("tampered.sqlite3")
    with pytest.raises(ImportRefused) as refused:
        import_data(target, data)
    text_ = str(refused.value)
    assert f"documents.{letter}.base64: does not match its SHA-256" in text_ and "business_date" in text_
    assert target.claim_views.count() == 0 and target.patients.count() == 0
