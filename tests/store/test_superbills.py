"""Superbills from the database: assembled, checked, issued as numbered PDFs kept inside the database
(a ``documents`` row named by its SHA-256, nothing on disk beside it), re-issued as new versions, and
protected once issued."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kettrack.core.problems import InvalidInput
from kettrack.core.records import PaymentRecord
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import PreflightFailed, SuperbillRequest
from kettrack.store.documents import DocumentMissing
from tests.store.stored_documents import (
    assert_no_document_files,
    assert_stored,
    document_shas,
    pdf_text,
    remove,
    tamper,
)


@pytest.fixture
def demo(workspace: Any) -> Any:
    return fill_demo(workspace, claims=False)


def test_every_demo_session_yields_a_complete_superbill(workspace: Any, demo: Any) -> None:
    for session in workspace.infusions.list():
        bill = workspace.superbills.assemble(SuperbillRequest(infusion_ids=(session.id,)))
        assert workspace.superbills.check(bill) == [], session


def test_issue_keeps_the_pdf_in_the_database_with_its_hash_and_links_the_lines(
    workspace: Any, demo: Any, db_path: Path
) -> None:
    patient = demo.patient_ids[0]
    request = SuperbillRequest(patient_id=patient, date_from=date(2026, 1, 1), date_to=date(2026, 11, 23))
    issued = workspace.superbills.issue(request)
    assert issued.number == "SB-2026-000001" and issued.version == 1 and not issued.draft
    assert issued.file_name == "SB-2026-000001-v1.pdf"
    # The PDF is a documents row named by its SHA-256, read back with plain sqlite3; the service hands
    # out the same bytes, checked.
    stored = assert_stored(db_path, issued.sha256, "application/pdf")
    pdf = workspace.superbills.pdf(issued.id)
    assert pdf == stored and pdf.startswith(b"%PDF")
    # Nothing on disk beside the database: no documents folder, no PDF anywhere.
    assert_no_document_files(db_path.parent)
    sessions = workspace.infusions.list()
    mine = [s for s in sessions if s.patient_id == patient]
    assert issued.total_paid == sum((s.amount_paid for s in mine), Decimal("0.00"))
    text = pdf_text(pdf)
    assert "SB-2026-000001" in text and f"${issued.total_charges:,.2f}" in text
    assert workspace.patients.get(patient).legal_name in text
    # The lines as printed are saved and now locked: the session can no longer change its lines or go.
    locked = mine[0]
    with pytest.raises(InvalidInput, match="issued superbill"):
        workspace.service_lines.replace_lines(locked.id, workspace.service_lines.for_infusion(locked.id))
    with pytest.raises(InvalidInput, match="issued superbill"):
        workspace.infusions.delete(locked.id)


def test_reissue_keeps_the_old_version(workspace: Any, demo: Any) -> None:
    first = workspace.superbills.issue(SuperbillRequest(infusion_ids=(1, 3)))
    second = workspace.superbills.reissue(first.id)
    assert (second.number, second.version) == (first.number, 2)
    listed = {(r.version, r.superseded) for r in workspace.superbills.list()}
    assert listed == {(1, True), (2, False)}
    # Both versions' PDFs are kept, each under its own hash; the first is untouched by the second.
    assert (first.file_name, second.file_name) == ("SB-2026-000001-v1.pdf", "SB-2026-000001-v2.pdf")
    assert first.sha256 != second.sha256
    assert {first.sha256, second.sha256} <= document_shas(workspace.db.target.sqlite_path)
    old, new = workspace.superbills.pdf(first.id), workspace.superbills.pdf(second.id)
    assert old.startswith(b"%PDF") and new.startswith(b"%PDF") and old != new
    with pytest.raises(InvalidInput, match="newer version"):
        workspace.superbills.reissue(first.id)
    third = workspace.superbills.issue(SuperbillRequest(infusion_ids=(2,)))
    assert third.number == "SB-2026-000002"


def test_an_incomplete_superbill_is_issued_only_as_a_draft(workspace: Any, demo: Any) -> None:
    session = workspace.infusions.get(1)
    provider = workspace.providers.get(session.provider_id)
    workspace.providers.update(replace(provider, npi=""))
    request = SuperbillRequest(infusion_ids=(1,))
    with pytest.raises(PreflightFailed) as failed:
        workspace.superbills.issue(request)
    assert "Provider NPI is missing" in failed.value.messages
    assert workspace.superbills.list() == []
    assert document_shas(workspace.db.target.sqlite_path) == set()  # refused: no document either
    draft = workspace.superbills.issue(request, draft=True)
    assert draft.draft and draft.file_name.endswith("-DRAFT.pdf")
    assert "DRAFT" in pdf_text(workspace.superbills.pdf(draft.id))


def test_a_changed_or_removed_document_is_refused_and_reported(
    workspace: Any, demo: Any, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kettrack.cli import main
    from kettrack.services.check import check_database

    issued = workspace.superbills.issue(SuperbillRequest(infusion_ids=(1,)))
    original = workspace.superbills.pdf(issued.id)
    assert check_database(db_path).ok
    # Someone with the file changes the PDF's bytes in place (the trigger refusing UPDATE dropped).
    tamper(db_path, issued.sha256, original.replace(b"SB-2026-000001", b"SB-2026-000099"))
    with pytest.raises(DocumentMissing, match="no longer matches its SHA-256") as changed:
        workspace.superbills.pdf(issued.id)
    assert isinstance(changed.value, InvalidInput) and "SB-2026-000001 version 1" in str(changed.value)
    report = check_database(db_path)
    assert not report.ok
    assert any(
        "superbill SB-2026-000001 version 1" in p and "no longer matches" in p for p in report.problems
    )
    capsys.readouterr()
    assert main(["--db", str(db_path), "check"]) == 1  # the command says it too, on stderr
    assert "superbill SB-2026-000001 version 1: its content no longer matches its SHA-256" in (
        capsys.readouterr().err
    )
    remove(db_path, issued.sha256)
    with pytest.raises(DocumentMissing, match="missing from the database"):
        workspace.superbills.pdf(issued.id)
    assert any(
        "superbill SB-2026-000001 version 1" in p and "missing" in p for p in check_database(db_path).problems
    )


def test_pointers_follow_each_sessions_diagnoses(workspace: Any, demo: Any) -> None:
    base = workspace.infusions.get(1)
    other = workspace.infusions.add(
        replace(
            base,
            id=None,
            service_date=date(2026, 11, 2),
            diagnoses=("F41.1", "F43.10"),
            start_time=time(9, 0),
            end_time=time(9, 45),
            payments=(PaymentRecord(date(2026, 11, 2), Decimal("1")),),
        )
    )
    bill = workspace.superbills.assemble(SuperbillRequest(infusion_ids=(base.id, other.id)))
    codes = [d.code for d in bill.diagnoses]
    assert codes[: len(base.diagnoses)] == list(base.diagnoses) and "F43.10" in codes
    for line in bill.lines:
        if line.infusion_id == other.id:
            assert [codes["ABCDEFGHIJKL".index(p)] for p in line.pointers] == ["F41.1", "F43.10"]


def test_sessions_of_two_patients_are_refused(workspace: Any, demo: Any) -> None:
    sessions = workspace.infusions.list()
    a = next(s for s in sessions if s.patient_id == demo.patient_ids[0])
    b = next(s for s in sessions if s.patient_id == demo.patient_ids[1])
    with pytest.raises(InvalidInput, match="one patient"):
        workspace.superbills.assemble(SuperbillRequest(infusion_ids=(a.id, b.id)))


def test_edited_lines_are_validated(workspace: Any, demo: Any) -> None:
    lines = workspace.service_lines.propose(1).lines
    bad = [replace(lines[0], code="9636", pointers="Z", units=0, modifiers=("25", "59", "XU", "GA", "KX"))]
    with pytest.raises(InvalidInput) as raised:
        workspace.service_lines.replace_lines(1, bad)
    fields = {p.field for p in raised.value.problems}
    assert {"lines[1].code", "lines[1].pointers", "lines[1].units", "lines[1].modifiers"} <= fields
    saved = workspace.service_lines.replace_lines(1, [replace(lines[0], modifiers=("25",))])
    assert workspace.service_lines.for_infusion(1) == saved


def test_nothing_is_issued_when_the_records_changed_since_the_check(workspace: Any, demo: Any) -> None:
    from kettrack.services.superbills import RecordsChanged

    request = SuperbillRequest(infusion_ids=(1,))
    checked = workspace.superbills.assemble(request)
    session = workspace.infusions.get(1)
    workspace.infusions.update(
        replace(session, payments=(*session.payments, PaymentRecord(date(2026, 11, 20), Decimal("5"))))
    )
    with pytest.raises(RecordsChanged):
        workspace.superbills.issue(request, expected=checked)
    assert workspace.superbills.list() == []
    fresh = workspace.superbills.assemble(request)
    assert workspace.superbills.issue(request, expected=fresh).version == 1
