"""Claims in a real database: created from issued superbills, events appended (never changed: the
database itself refuses UPDATE and DELETE of history), illegal events refused with nothing written,
attachments kept inside the database with their SHA-256, and the stored state always the one the events
give."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from kettrack.core.claim_deadlines import status_of
from kettrack.core.claim_states import ALLOWED, ClaimState, CloseReason, EventKind
from kettrack.core.claims import (
    Adjustment,
    ClaimFilter,
    EobAmounts,
    GroupCode,
    NewClaim,
    NewEvent,
    NewPriorAuth,
)
from kettrack.core.enums import AuthStatus, CoverageRank
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.payer_rules import RuleOverrides, parse_period
from kettrack.core.problems import InvalidInput
from kettrack.core.records import CoverageRecord, PayerRecord
from kettrack.services.claims import ClaimChanged
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import SuperbillRequest
from kettrack.services.workspace import Workspace
from kettrack.store.documents import DocumentMissing
from tests.store.stored_documents import (
    assert_no_document_files,
    assert_stored,
    document_shas,
    remove,
    sha256,
    tamper,
)

TODAY = date(2026, 11, 23)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    fill_demo(workspace, claims=False)
    return workspace


def _bill(ws: Workspace, *sessions: int) -> int:
    return ws.superbills.issue(SuperbillRequest(infusion_ids=sessions)).id


def _claim(ws: Workspace, *sessions: int) -> int:
    superbill = _bill(ws, *sessions)
    patient = ws.infusions.get(sessions[0]).patient_id
    coverage = ws.coverages.for_patient(patient)[0].id
    assert coverage is not None
    return ws.claims.create(NewClaim(coverage, superbill_id=superbill))


def test_a_claim_bills_its_superbills_lines(ws: Workspace) -> None:
    claim = _claim(ws, 1, 3)
    detail = ws.claim_views.get(claim)
    assert detail.row.number == f"CL-{claim:06d}" and detail.status.state is ClaimState.DRAFT
    assert detail.row.billed == sum((line.charge for line in detail.lines), Decimal("0")) > 0
    assert detail.deadlines[0].action == "File the claim"
    # The same lines to the same plan again is a duplicate claim.
    coverage = detail.coverage_id
    with pytest.raises(InvalidInput, match="already on claim"):
        ws.claims.create(NewClaim(coverage, superbill_id=detail.superbill_id))
    # A corrected claim replaces it: the old one is closed as replaced, the link is kept.
    corrected = ws.claims.create(NewClaim(coverage, superbill_id=detail.superbill_id, replaces_id=claim))
    old = ws.claim_views.get(claim)
    assert old.status.close_reason is CloseReason.REPLACED and old.replaced_by_id == corrected
    assert ws.claim_views.get(corrected).replaces_id == claim


def test_illegal_events_are_refused_with_a_reason_and_nothing_written(ws: Workspace) -> None:
    claim = _claim(ws, 1)
    for kind in (EventKind.PAID, EventKind.DENIED, EventKind.APPEAL_FILED, EventKind.APPEAL_UPHELD):
        with pytest.raises(InvalidInput, match="not been submitted|Cannot record"):
            ws.claims.record(claim, NewEvent(kind, TODAY, appeal_level="internal"))
    assert ws.claim_views.get(claim).events == ()
    ws.claims.record(claim, NewEvent(EventKind.SUBMITTED, TODAY - timedelta(days=20)))
    problems = {
        "date": NewEvent(EventKind.DENIED, TODAY + timedelta(days=1)),
        "received_on": NewEvent(
            EventKind.DENIED, TODAY - timedelta(days=5), received_on=TODAY - timedelta(days=9)
        ),
        "paid": NewEvent(EventKind.PAID, TODAY, amounts=EobAmounts(paid=Decimal("999999.00"))),
        "amounts": NewEvent(EventKind.NOTE, TODAY, amounts=EobAmounts(paid=Decimal("1.00"))),
        "level": NewEvent(EventKind.APPEAL_FILED, TODAY, appeal_level="external"),
    }
    for field, event in problems.items():
        with pytest.raises(InvalidInput) as refused:
            ws.claims.record(claim, event)
        assert refused.value.for_field(field), (field, refused.value)
    with pytest.raises(InvalidInput, match="events go in order"):
        ws.claims.record(claim, NewEvent(EventKind.DENIED, TODAY - timedelta(days=30)))
    assert [e.kind for e in ws.claim_views.get(claim).events] == [EventKind.SUBMITTED]


def test_a_stale_view_is_refused(ws: Workspace) -> None:
    claim = _claim(ws, 1)
    ws.claims.record(claim, NewEvent(EventKind.SUBMITTED, TODAY))
    with pytest.raises(ClaimChanged):
        ws.claims.record(claim, NewEvent(EventKind.ACKNOWLEDGED, TODAY), expected_events=0)
    assert len(ws.claim_views.get(claim).events) == 1


def test_history_is_append_only_in_the_database(ws: Workspace) -> None:
    claim = _claim(ws, 1)
    ws.claims.record(
        claim,
        NewEvent(EventKind.SUBMITTED, TODAY - timedelta(days=9)),
    )
    ws.claims.record(
        claim,
        NewEvent(
            EventKind.DENIED,
            TODAY,
            amounts=EobAmounts(paid=Decimal("0.00")),
            adjustments=(Adjustment(GroupCode.CO, "50", Decimal("10.00"), "N130"),),
        ),
    )
    for statement in (
        "UPDATE claim_events SET note = 'changed'",
        "DELETE FROM claim_events",
        "UPDATE claim_adjustments SET amount = 0",
        "DELETE FROM claim_adjustments",
    ):
        with pytest.raises(DatabaseError, match="append-only"), ws.db.session() as session:
            session.execute(text(statement))
    assert len(ws.claim_views.get(claim).events) == 2


def test_the_claims_flow_on_a_shared_postgres_database(pg_url: str, icd10: Any) -> None:
    shared = Workspace.open(pg_url, today=lambda: TODAY)
    shared._icd = Icd10Releases([icd10])
    try:
        fill_demo(shared)
        claim = next(r.id for r in shared.claim_views.rows(ClaimFilter(states=(ClaimState.DENIED,))))
        draft = shared.appeals.draft(claim)
        shared.appeals.issue(claim, draft.paragraphs, filed_on=TODAY)
        assert shared.claim_views.row(claim).state is ClaimState.APPEAL_FILED
        with pytest.raises(DatabaseError, match="append-only"), shared.db.session() as session:
            session.execute(text("DELETE FROM claim_events"))
        assert shared.claims.invariant_problems() == []
        assert shared.claim_views.dashboard().totals.open_claims == 10
    finally:
        shared.close()


def test_attachments_are_checked_kept_in_the_database_and_verified(ws: Workspace, tmp_path: Path) -> None:
    database = ws.db.target.sqlite_path
    assert database is not None
    claim = _claim(ws, 1)
    files = {
        "eob.pdf": (b"%PDF-1.7\n" + b"x" * 100, "application/pdf"),
        "scan.png": (PNG, "image/png"),
        "photo.jpg": (b"\xff\xd8\xff\xe0" + b"x" * 100, "image/jpeg"),
        "fax.tif": (b"II*\x00" + b"x" * 100, "image/tiff"),
    }
    for name, (content, media_type) in files.items():
        (tmp_path / name).write_bytes(content)
        info = ws.claims.attach(claim, tmp_path / name, "from the plan")
        assert ws.claims.attachment_content(info.id) == (name, content)
        # Its bytes are a documents row named by their SHA-256, read back with plain sqlite3.
        assert info.sha256 == sha256(content)
        assert assert_stored(database, info.sha256, media_type) == content
    # The originals were read, not referenced: gone from the person's disk, the claim keeps its copy.
    for name in files:
        (tmp_path / name).unlink()
    assert ws.claims.attachment_content(info.id) == ("fax.tif", files["fax.tif"][0])
    assert_no_document_files(tmp_path)
    fake = tmp_path / "letter.pdf"
    fake.write_text("not really a PDF")
    with pytest.raises(InvalidInput, match="not a PDF, PNG, JPEG or TIFF"):
        ws.claims.attach(claim, fake)
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as handle:
        handle.write(b"%PDF-")
        handle.truncate(26 * 1024 * 1024)
    with pytest.raises(InvalidInput, match="at most 25 MB"):
        ws.claims.attach(claim, big)
    before = document_shas(database)
    # A refused event takes its files with it.
    scan = tmp_path / "new-scan.png"
    scan.write_bytes(PNG + b"another page")
    with pytest.raises(InvalidInput):
        ws.claims.record(claim, NewEvent(EventKind.PAID, TODAY), attachments=[(scan, "")])
    assert document_shas(database) == before
    # A document changed in the database file (the trigger refusing UPDATE dropped) is noticed.
    tamper(database, info.sha256, b"II*\x00tampered")
    with pytest.raises(DocumentMissing, match="no longer matches its SHA-256"):
        ws.claims.attachment_content(info.id)
    assert any(
        "'fax.tif'" in p and "no longer matches its SHA-256" in p for p in ws.claims.invariant_problems()
    )
    remove(database, info.sha256)
    with pytest.raises(DocumentMissing, match="missing from the database"):
        ws.claims.attachment_content(info.id)
    assert any("'fax.tif'" in p and "missing" in p for p in ws.claims.invariant_problems())


def test_secondary_claims_start_from_the_primarys_outcome(ws: Workspace) -> None:
    claim = _claim(ws, 1)
    patient = ws.claim_views.row(claim).patient_id
    payer = ws.payers.add(PayerRecord("Second Plan"))
    assert payer.id is not None
    secondary = ws.coverages.add(CoverageRecord(patient, payer.id, "S-1", rank=CoverageRank.SECONDARY))
    assert secondary.id is not None
    with pytest.raises(InvalidInput, match="has not decided yet"):
        ws.claims.create(NewClaim(secondary.id, primary_claim_id=claim))
    ws.claims.record(claim, NewEvent(EventKind.SUBMITTED, TODAY - timedelta(days=10)))
    billed = ws.claim_views.row(claim).billed
    half = (billed / 2).quantize(Decimal("0.01"))
    ws.claims.record(claim, NewEvent(EventKind.PARTIALLY_PAID, TODAY, amounts=EobAmounts(paid=half)))
    second = ws.claims.create(NewClaim(secondary.id, primary_claim_id=claim))
    assert ws.claim_views.get(second).lines == ws.claim_views.get(claim).lines
    assert ws.claim_views.get(second).primary_claim_id == claim


def test_payer_rules_re_derive_open_claims(ws: Workspace) -> None:
    claim = _claim(ws, 1)
    row = ws.claim_views.row(claim)
    assert not row.next_confirmed
    changed = ws.claims.set_rules(
        row.payer_id, RuleOverrides(filing=parse_period("365 days", "filing"), confirmed=True)
    )
    assert changed == 1
    after = ws.claim_views.row(claim)
    assert after.next_confirmed and after.next_due == row.first_service + timedelta(days=365)
    rules, overrides = ws.claims.rules(row.payer_id)
    assert rules.filing.amount == 365 and overrides.confirmed


def test_prior_authorizations_and_the_dashboard(ws: Workspace) -> None:
    claim = _claim(ws, 1)
    coverage = ws.claim_views.get(claim).coverage_id
    with pytest.raises(InvalidInput, match="last valid day"):
        ws.auths.add_auth(NewPriorAuth(coverage, AuthStatus.APPROVED))
    auth = ws.auths.add_auth(
        NewPriorAuth(
            coverage, AuthStatus.APPROVED, "PA-1", valid_to=TODAY + timedelta(days=5), claim_ids=(claim,)
        )
    )
    assert next(a for a in ws.auths.auths() if a.id == auth).claim_ids == (claim,)
    due = ws.claim_views.due(7)
    assert any(item.auth_id == auth and item.action.startswith("Renew prior authorization") for item in due)
    dashboard = ws.claim_views.dashboard()
    assert dashboard.totals.open_claims == 1 and dashboard.totals.billed == ws.claim_views.row(claim).billed
    assert any(
        i.claim_id == claim
        for i in dashboard.overdue + dashboard.within_7 + dashboard.within_30 + dashboard.later
    )


def test_filters_and_calendar_keys(ws: Workspace) -> None:
    first, second = _claim(ws, 1), _claim(ws, 2)
    ws.claims.record(second, NewEvent(EventKind.SUBMITTED, TODAY - timedelta(days=60)))
    assert [r.id for r in ws.claim_views.rows(ClaimFilter(states=(ClaimState.SUBMITTED,)))] == [second]
    assert {r.id for r in ws.claim_views.rows(ClaimFilter(overdue_only=True))} >= {second}
    assert ws.claim_views.count(ClaimFilter(text=ws.claim_views.row(first).number)) == 1
    keys = [item.key for item in ws.claim_views.calendar_items()]
    assert keys == [item.key for item in ws.claim_views.calendar_items()] and len(keys) == len(set(keys))


def test_reason_codes_start_with_the_common_ones_and_take_the_users(ws: Workspace) -> None:
    codes = {(c.code, c.kind): c for c in ws.reason_codes.reason_codes()}
    assert "medically necessary" in codes[("50", "carc")].description
    ws.reason_codes.add_reason_code("50", "carc", "Our plan's words for it")
    assert {(c.code, c.kind): c for c in ws.reason_codes.reason_codes()}[("50", "carc")].user_added
    with pytest.raises(InvalidInput, match="CARC"):
        ws.reason_codes.add_reason_code("ABCD", "carc", "x")


# Recording legal events at random never loses an earlier one, and the stored state is always the one
# the events derive. One database for all examples: each example starts a new claim.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 50), min_size=1, max_size=8))
def test_recording_never_loses_an_event(ws: Workspace, choices: list[int]) -> None:
    # A session is billed once: every example's claim corrects the last one, from the one superbill.
    issued = ws.superbills.list()
    superbill = (
        issued[0]
        if issued
        else ws.superbills.issue(SuperbillRequest(infusion_ids=(ws.infusions.list()[0].id,)))
    )  # type: ignore[arg-type]
    coverage = ws.coverages.for_patient(superbill.patient_id)[0].id
    assert coverage is not None
    claim = ws.claims.create(NewClaim(coverage, superbill_id=superbill.id, replaces_id=_latest(ws)))
    day = ws.claim_views.row(claim).first_service
    seen: list[Any] = []
    for choice in choices:
        state = ws.claim_views.row(claim).state
        options = sorted(ALLOWED[state], key=lambda k: k.value) + [EventKind.NOTE]
        kind = options[choice % len(options)]
        day = min(TODAY, day + timedelta(days=choice % 7))
        event = NewEvent(
            kind,
            day,
            appeal_level=_level(ws, claim) if kind is EventKind.APPEAL_FILED else None,
            close_reason=CloseReason.ABANDONED if kind is EventKind.CLOSED else None,
            amounts=EobAmounts(paid=Decimal("1.00"))
            if kind in (EventKind.PAID, EventKind.PARTIALLY_PAID)
            else EobAmounts(),
        )
        try:
            ws.claims.record(claim, event)
        except InvalidInput:
            continue
        detail = ws.claim_views.get(claim)
        assert [replace(e, attachments=()) for e in detail.events[: len(seen)]] == seen
        seen = [replace(e, attachments=()) for e in detail.events]
        assert detail.row.state is status_of(detail.events).state
    assert ws.claims.invariant_problems() == []


def _latest(ws: Workspace) -> int | None:
    rows = ws.claim_views.rows()
    return max((r.id for r in rows), default=None)


def _level(ws: Workspace, claim: int) -> str | None:
    from kettrack.core.claim_deadlines import level_names

    detail = ws.claim_views.get(claim)
    rules, _ = ws.claims.rules(detail.row.payer_id)
    keys = level_names(rules)
    nxt = rules.next_level(detail.status.appeal_level if detail.status.appeal_level in keys else None)
    return nxt.key if nxt else "internal"


def test_the_check_finds_a_stored_state_or_total_that_its_events_do_not_support(
    workspace: Workspace,
) -> None:
    ws = workspace
    fill_demo(ws, claims=True)
    assert ws.claims.invariant_problems() == []
    with ws.db.session() as session:
        session.execute(text("UPDATE claims SET state = 'paid' WHERE number = 'CL-000004'"))
        session.execute(text("UPDATE claims SET billed = billed + 1 WHERE number = 'CL-000002'"))
    problems = ws.claims.invariant_problems()
    assert any(p.startswith("claim CL-000004: stored state 'paid'") for p in problems), problems
    assert "claim CL-000002: billed amount differs from the sum of its lines" in problems
