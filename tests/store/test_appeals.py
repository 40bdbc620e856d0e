"""Appeal letters from a real SQLite workspace: the case drafted from the record, the letter issued as
a PDF kept inside the database (a ``documents`` row named by its SHA-256) with its row and the appeal
event in one transaction, and nothing left behind when issuing fails."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import Adjustment, EobAmounts, Filer, GroupCode, NewClaim, NewEvent
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.problems import InvalidInput
from kettrack.services.claims import ClaimChanged
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import SuperbillRequest
from kettrack.store.documents import DocumentMissing
from kettrack.store.models import AppealLetterEntry, ClaimEventEntry
from tests.conftest import TODAY
from tests.store.stored_documents import (
    assert_no_document_files,
    assert_stored,
    document_shas,
    pdf_text,
    remove,
    sha256,
    tamper,
)

SUBMITTED = date(2026, 10, 1)
DENIED = date(2026, 10, 20)
RECEIVED = date(2026, 10, 24)
# Commercial plan, internal appeal: 180 days from receipt (29 CFR 2560.503-1(h)(3)(i)).
INTERNAL_DEADLINE = RECEIVED + timedelta(days=180)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def denied(workspace: Any, tmp_path: Path) -> int:
    return _denied_claim(workspace, tmp_path)


def _denied_claim(workspace: Any, tmp_path: Path) -> int:
    """Avery's induction series on a claim to her commercial plan, submitted and denied as not
    medically necessary (CO-50, remark N386), with the denial letter attached; returns the claim id."""
    demo = fill_demo(workspace, claims=False)
    avery = demo.patient_ids[0]
    sessions = [s for s in workspace.infusions.list() if s.patient_id == avery]
    induction = tuple(s.id for s in sessions[:6])
    bill = workspace.superbills.issue(SuperbillRequest(infusion_ids=induction))
    coverage = workspace.coverages.for_patient(avery)[0]
    claim_id = workspace.claims.create(NewClaim(coverage.id, superbill_id=bill.id))
    workspace.claims.record(
        claim_id, NewEvent(EventKind.SUBMITTED, SUBMITTED, payer_claim_number="BRX-55012")
    )
    letter = tmp_path / "denial-letter.pdf"
    letter.write_bytes(PDF)
    billed = workspace.claim_views.row(claim_id).billed
    workspace.claims.record(
        claim_id,
        NewEvent(
            EventKind.DENIED,
            DENIED,
            received_on=RECEIVED,
            note="IV ketamine is considered investigational for depression.",
            amounts=EobAmounts(allowed=Decimal("0.00"), paid=Decimal("0.00")),
            adjustments=(Adjustment(GroupCode.CO, "50", billed, "N386"),),
        ),
        attachments=[(letter, "Denial letter")],
    )
    return claim_id


def test_draft_builds_the_case_from_the_record(workspace: Any, denied: int) -> None:
    draft = workspace.appeals.draft(denied)
    case = draft.case
    assert (draft.claim_id, draft.level, draft.level_name) == (denied, "internal", "Internal appeal")
    assert draft.deadline is not None and draft.deadline.due == INTERNAL_DEADLINE
    assert case.deadline == draft.deadline
    assert case.claim_number == "BRX-55012" and case.reference == workspace.claim_views.row(denied).number
    assert case.member_id == "BRH884512307" and case.group_number == "GRP-20417"
    assert case.payer_name == "Blue Ridge Health Plan"
    assert case.appeals_address == ("Appeals and Grievances", "PO Box 44120", "Fernhollow, NC 27999")
    assert case.patient_name == "Avery J. Lindqvist" and case.patient_dob == date(1984, 5, 17)
    assert len(case.service_dates) == 6 and case.amount_denied == case.amount_billed > 0
    assert case.denial_date == DENIED and case.denial_codes == "CO-50, N386"
    assert case.denial_reason.startswith("not medically necessary in the plan's view")
    # The person's own note on the denial event is not the payer's reason: never quoted.
    assert "investigational for depression" not in case.denial_reason
    assert [d.code for d in case.diagnoses] == ["F33.2", "F41.1"]
    assert all(d.description for d in case.diagnoses)
    assert [t.name for t in case.treatments][:2] == ["Sertraline", "Bupropion XL"]
    assert case.plan is not None and case.plan.drug == "Ketamine (racemic)"
    assert "mg/kg" in case.plan.dose and case.plan.route.startswith("IV infusion over about")
    assert case.plan.frequency.startswith("6 sessions in ") and "then maintenance" in case.plan.frequency
    # The whole course's scores, first session to the latest: PHQ-9 20 before the first.
    assert len(case.scores) == 10 and case.scores[0].phq9 == 20 and case.scores[-1].phq9 == 8
    assert case.enclosures[0] == "Denial letter (denial-letter.pdf)"
    assert any(e.startswith("Superbill SB-2026-") for e in case.enclosures)
    # The patient filed the claim (the default), so she writes and signs the letter.
    assert case.sender_name == "Avery J. Lindqvist" and case.sender_address[0] == "88 Quillfeather Lane"
    body = " ".join(draft.paragraphs)
    assert "BRX-55012" in body and "PHQ-9 depression score went from 20 to 8" in body
    assert "Sertraline" in body and "29 CFR 2560.503-1(h)(2)(iii)" not in body  # a commercial plan
    assert "45 CFR 147.136(b)" in body and case.disputed == case.amount_billed
    assert draft.warnings == ()


def test_issue_keeps_the_pdf_in_the_database_and_records_the_appeal(
    workspace: Any, denied: int, db_path: Path, tmp_path: Path
) -> None:
    draft = workspace.appeals.draft(denied)
    paragraphs = (*draft.paragraphs[:-1], "Edited by hand: please call me at the number above.")
    letter = workspace.appeals.issue(denied, paragraphs, filed_on=TODAY, note="Sent by certified mail")
    assert letter.number == "AP-000001" and letter.level == "internal" and letter.claim_id == denied
    assert letter.file_name == "AP-000001.pdf"
    content = workspace.appeals.letter_pdf(letter.id)
    assert content.startswith(b"%PDF") and sha256(content) == letter.sha256
    assert assert_stored(db_path, letter.sha256, "application/pdf") == content
    # No letters folder and no PDF on disk but the denial letter the test attached from its own folder.
    assert_no_document_files(tmp_path, except_for=(tmp_path / "denial-letter.pdf",))
    flat = pdf_text(content)
    assert "BRX-55012" in flat and "AP-000001" in flat and "Avery J. Lindqvist" in flat
    assert INTERNAL_DEADLINE.isoformat() not in flat and "investigational for depression" not in flat
    assert "PHQ-9 depression score went from 20 to 8" in flat
    for score in ("20", "18", "16", "14", "8"):
        assert score in flat
    assert "Edited by hand" in flat and "Denial letter (denial-letter.pdf)" in flat

    detail = workspace.claim_views.get(denied)
    assert detail.status.state is ClaimState.APPEAL_FILED and detail.status.appeal_level == "internal"
    filed = detail.events[-1]
    assert filed.kind is EventKind.APPEAL_FILED and filed.on == TODAY and filed.appeal_level == "internal"
    assert filed.note == "Appeal letter AP-000001: Sent by certified mail"
    assert [x.number for x in detail.letters] == ["AP-000001"]
    with workspace.db.reader() as session:
        row = session.get(AppealLetterEntry, letter.id)
        assert row is not None and row.event_id == filed.id
        assert json.loads(row.paragraphs) == list(paragraphs)
    assert workspace.claims.invariant_problems() == []
    # The next step is now the plan's decision on the internal appeal (60 days after filing).
    assert workspace.claim_views.row(denied).next_due == TODAY + timedelta(days=60)


def test_an_upheld_appeal_is_appealed_at_the_next_level(workspace: Any, denied: int) -> None:
    first = workspace.appeals.issue(denied, workspace.appeals.draft(denied).paragraphs, filed_on=TODAY)
    workspace.claims.record(denied, NewEvent(EventKind.APPEAL_UPHELD, TODAY, received_on=TODAY))
    draft = workspace.appeals.draft(denied)
    assert (draft.level, draft.level_name) == ("external", "External review")
    assert draft.case.denial_codes == "CO-50, N386"  # the original denial's reason
    assert f"Earlier appeal letter {first.number}" in " ".join(draft.case.enclosures)
    second = workspace.appeals.issue(denied, draft.paragraphs, filed_on=TODAY)
    assert second.number == "AP-000002" and second.level == "external"
    status = workspace.claim_views.get(denied).status
    assert status.state is ClaimState.EXTERNAL_REVIEW and status.appeal_level == "external"
    with pytest.raises(InvalidInput, match="already under way"):
        workspace.appeals.draft(denied)


def _events(workspace: Any, claim_id: int) -> int:
    with workspace.db.reader() as session:
        return int(session.scalar(select(func.count()).where(ClaimEventEntry.claim_id == claim_id)) or 0)


def test_a_failed_issue_leaves_no_document_and_no_event(
    workspace: Any, denied: int, db_path: Path, tmp_path: Path
) -> None:
    before = _events(workspace, denied)
    documents = document_shas(db_path)
    # A real database failure after the PDF is written: the letter row cannot be inserted.
    with workspace.db.session() as session:
        session.execute(
            text(
                "CREATE TRIGGER test_no_letters BEFORE INSERT ON appeal_letters "
                "BEGIN SELECT RAISE(ABORT, 'no room for letters'); END"
            )
        )
    with pytest.raises(IntegrityError, match="no room for letters"):
        workspace.appeals.issue(denied, workspace.appeals.draft(denied).paragraphs, filed_on=TODAY)
    # The letter's PDF was written in the same transaction as its row: it went with it.
    assert document_shas(db_path) == documents
    assert_no_document_files(tmp_path, except_for=(tmp_path / "denial-letter.pdf",))
    assert _events(workspace, denied) == before
    assert workspace.claim_views.get(denied).status.state is ClaimState.DENIED
    with workspace.db.session() as session:
        session.execute(text("DROP TRIGGER test_no_letters"))
    # A refused event (dated before the denial) also leaves nothing behind.
    with pytest.raises(InvalidInput) as refused:
        workspace.appeals.issue(denied, ("Please reconsider.",), filed_on=DENIED - timedelta(days=1))
    assert refused.value.for_field("date")
    assert document_shas(db_path) == documents and _events(workspace, denied) == before


def test_someone_elses_event_meanwhile_is_not_overwritten(workspace: Any, denied: int, db_path: Path) -> None:
    draft, count = workspace.appeals._gather(denied)
    workspace.claims.record(denied, NewEvent(EventKind.NOTE, TODAY, note="Called the plan"))
    documents = document_shas(db_path)
    letter = PDF + b"% the letter AP-000009 would have been\n"
    with pytest.raises(ClaimChanged):
        workspace.appeals._record(draft, count, ("Text",), "AP-000009", letter, TODAY, "")
    assert _events(workspace, denied) == count + 1
    assert sha256(letter) not in document_shas(db_path) and document_shas(db_path) == documents


def test_a_letter_number_taken_meanwhile_moves_to_the_next(
    workspace: Any, denied: int, db_path: Path
) -> None:
    draft = workspace.appeals.draft(denied)
    real_next = workspace.appeals._next_number
    calls: list[str] = []

    def stale() -> str:  # the first read misses a letter another desk issued a moment ago
        calls.append("read")
        return "AP-000001" if len(calls) == 1 else real_next()

    with workspace.db.session() as session:
        other = workspace.claims.record_in(session, denied, NewEvent(EventKind.NOTE, TODAY, note="x"))
        session.add(
            AppealLetterEntry(
                claim_id=denied,
                event_id=other,
                number="AP-000001",
                level="internal",
                issued_at=datetime.now(UTC),
                file_name="elsewhere.pdf",
                sha256="0" * 64,
                paragraphs="[]",
            )
        )
    documents = document_shas(db_path)
    workspace.appeals._next_number = stale
    letter = workspace.appeals.issue(denied, draft.paragraphs, filed_on=TODAY)
    assert letter.number == "AP-000002" and calls == ["read", "read"]
    # Only the letter that was recorded is kept: the one rendered as AP-000001 went with its attempt.
    assert letter.file_name == "AP-000002.pdf"
    assert document_shas(db_path) == documents | {letter.sha256}
    flat = pdf_text(workspace.appeals.letter_pdf(letter.id))
    assert "Appeal AP-000002" in flat  # (AP-000001, the other desk's, is named as an enclosure)


@pytest.mark.parametrize(
    ("paid", "message"), [(False, "has not decided this claim yet"), (True, "the claim is paid")]
)
def test_a_claim_without_a_denial_is_refused(workspace: Any, paid: bool, message: str, db_path: Path) -> None:
    demo = fill_demo(workspace, claims=False)
    harold = demo.patient_ids[1]
    session = next(s for s in workspace.infusions.list() if s.patient_id == harold)
    bill = workspace.superbills.issue(SuperbillRequest(infusion_ids=(session.id,)))
    coverage = workspace.coverages.for_patient(harold)[0]
    claim_id = workspace.claims.create(NewClaim(coverage.id, superbill_id=bill.id))
    workspace.claims.record(claim_id, NewEvent(EventKind.SUBMITTED, session.service_date))
    if paid:
        billed = workspace.claim_views.row(claim_id).billed
        workspace.claims.record(claim_id, NewEvent(EventKind.PAID, TODAY, amounts=EobAmounts(paid=billed)))
    with pytest.raises(InvalidInput, match=message) as refused:
        workspace.appeals.draft(claim_id)
    assert refused.value.problems[0].field == "claim"
    documents = document_shas(db_path)
    with pytest.raises(InvalidInput, match=message):
        workspace.appeals.issue(claim_id, ("Please pay.",), filed_on=TODAY)
    assert document_shas(db_path) == documents and workspace.claim_views.get(claim_id).letters == ()


def test_the_text_is_checked_before_anything_is_written(workspace: Any, denied: int) -> None:
    for paragraphs, message in (((), "no text"), (("  ", "\n"), "no text"), (("bad\x07bell",), "control")):
        with pytest.raises(InvalidInput, match=message) as refused:
            workspace.appeals.issue(denied, paragraphs, filed_on=TODAY)
        assert refused.value.problems[0].field == "text"  # the letter's text field in the window
    with pytest.raises(InvalidInput, match="future"):
        workspace.appeals.issue(denied, ("Fine text.",), filed_on=TODAY + timedelta(days=1))
    assert _events(workspace, denied) == 2


def test_preview_is_the_letter_marked_draft(workspace: Any, denied: int) -> None:
    draft = workspace.appeals.draft(denied)
    flat = pdf_text(workspace.appeals.preview_pdf(denied, draft.paragraphs))
    assert "DRAFT" in flat and "AP-000001" in flat and "BRX-55012" in flat
    assert _events(workspace, denied) == 2


def test_a_changed_letter_is_reported(workspace: Any, denied: int, db_path: Path) -> None:
    from kettrack.services.check import check_database

    letter = workspace.appeals.issue(denied, ("Please reconsider.",), filed_on=TODAY)
    content = workspace.appeals.letter_pdf(letter.id)
    # Changed in place by someone with the file (the trigger refusing UPDATE dropped first).
    tamper(db_path, letter.sha256, content + b"%")
    with pytest.raises(DocumentMissing, match="no longer matches its SHA-256") as changed:
        workspace.appeals.letter_pdf(letter.id)
    assert "appeal letter AP-000001" in str(changed.value)
    assert any(
        "appeal letter AP-000001" in p and "no longer matches" in p for p in check_database(db_path).problems
    )
    remove(db_path, letter.sha256)
    with pytest.raises(InvalidInput, match="missing"):
        workspace.appeals.letter_pdf(letter.id)
    assert any("appeal letter AP-000001" in p and "missing" in p for p in check_database(db_path).problems)


def test_a_clinic_appeals_a_medicare_denial_with_a_redetermination(workspace: Any) -> None:
    demo = fill_demo(workspace, claims=False)
    harold = demo.patient_ids[1]
    sessions = [s for s in workspace.infusions.list() if s.patient_id == harold]
    bill = workspace.superbills.issue(SuperbillRequest(infusion_ids=tuple(s.id for s in sessions[:4])))
    coverage = workspace.coverages.for_patient(harold)[0]
    claim_id = workspace.claims.create(NewClaim(coverage.id, superbill_id=bill.id, filer=Filer.CLINIC))
    workspace.claims.record(claim_id, NewEvent(EventKind.SUBMITTED, sessions[4].service_date))
    notice = sessions[8].service_date
    workspace.claims.record(
        claim_id,
        NewEvent(
            EventKind.DENIED,
            notice,
            amounts=EobAmounts(paid=Decimal("0.00")),
            adjustments=(
                Adjustment(GroupCode.CO, "197", Decimal("100.00")),
                Adjustment(GroupCode.PR, "1", Decimal("50.00")),  # the deductible is not a denial reason
            ),
        ),
    )
    draft = workspace.appeals.draft(claim_id)
    case = draft.case
    assert (draft.level, draft.level_name) == ("redetermination", "Redetermination")
    # No received date: presumed 5 days after the notice, then 120 days (42 CFR 405.942).
    assert draft.deadline is not None and draft.deadline.due == notice + timedelta(days=125)
    assert case.sender_name == "Fernhollow Ketamine & Mood Clinic" and case.sender_phone == "(919) 555-0142"
    assert case.provider_name == "Miriam Okonkwo-Hale, MD" and case.provider_npi == "1987654328"
    assert case.denial_codes == "CO-197" and case.denial_reason == "prior authorization was missing"
    # No payer claim number is recorded: the letter never falls back on kettrack's own number.
    assert case.claim_number == "" and case.reference.startswith("CL-")
    assert case.enclosures[0] == f"Copy of the decision notice dated {notice.isoformat()}"
    assert case.plan is not None and case.plan.drug == "Esketamine (Spravato)"
    assert case.plan.route == "intranasal" and case.plan.dose == "56-84 mg"
    assert draft.paragraphs[0].startswith(
        "We are writing to request a redetermination of the plan's decision"
    )
    assert "for our patient Harold B. Kemperman" in draft.paragraphs[0]
    with pytest.raises(InvalidInput) as refused:
        workspace.appeals.issue(claim_id, draft.paragraphs, filed_on=TODAY)
    assert refused.value.for_field("payer_claim_number")
    letter = workspace.appeals.issue(claim_id, draft.paragraphs, filed_on=TODAY, no_claim_number=True)
    flat = pdf_text(workspace.appeals.letter_pdf(letter.id))
    assert "Fernhollow Ketamine & Mood Clinic" in flat and "Redetermination" in flat
    assert case.reference not in flat and "none given by the plan" in flat
    assert workspace.claim_views.get(claim_id).status.appeal_level == "redetermination"


def test_issuing_on_a_shared_postgres_database(pg_url: str, icd10: Any, tmp_path: Path) -> None:
    from kettrack.services.workspace import Workspace

    workspace = Workspace.open(pg_url, today=lambda: TODAY)
    workspace._icd = Icd10Releases([icd10])
    try:
        claim_id = _denied_claim(workspace, tmp_path)
        stale = workspace.appeals._next_number()
        first = workspace.appeals.issue(claim_id, ("Please reconsider.",), filed_on=TODAY)
        assert first.number == stale == "AP-000001"
        # The dashboard lists the appeal's decision due date (the open-claims index on PostgreSQL too).
        # (The demo's prior authorization for Harold also expires within 60 days: it is not a claim.)
        assert [i.claim_id for i in workspace.claim_views.due(60) if i.claim_id is not None] == [claim_id]
        workspace.claims.record(claim_id, NewEvent(EventKind.APPEAL_UPHELD, TODAY, received_on=TODAY))
        # Another desk's stale read of the next number: PostgreSQL's unique constraint moves it on.
        reads = iter([stale])
        real_next = workspace.appeals._next_number
        workspace.appeals._next_number = lambda: next(reads, None) or real_next()
        second = workspace.appeals.issue(claim_id, ("Please review externally.",), filed_on=TODAY)
        assert second.number == "AP-000002" and second.level == "external"
        assert (first.file_name, second.file_name) == ("AP-000001.pdf", "AP-000002.pdf")
        # Both letters' PDFs are in the server database; the first untouched by the retry.
        assert "AP-000002" in pdf_text(workspace.appeals.letter_pdf(second.id))
        first_pdf = workspace.appeals.letter_pdf(first.id)
        assert sha256(first_pdf) == first.sha256 and "AP-000001" in pdf_text(first_pdf)
        assert workspace.claims.invariant_problems() == []
        # Nothing in the per-desk data folder where documents of a server database used to go.
        assert not (Path(os.environ["KETTRACK_DATA_DIR"]) / "documents").exists()
    finally:
        workspace.close()
