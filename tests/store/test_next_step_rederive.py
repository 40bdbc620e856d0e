"""A claim's stored next step depends on more than its events: the user's role, the prior
authorizations on file, and the kettrack that derived it. On real SQLite files (and PostgreSQL for the
role): a role change and a new or linked authorization re-derive the claims they affect in their own
transaction; a database made before the denial triage is upgraded and re-derived once, after which
``kettrack check`` finds its old PR-only EOB claims as they should be."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from kettrack.core.claim_states import EventKind
from kettrack.core.claims import Adjustment, EobAmounts, Filer, GroupCode, NewClaim, NewEvent, NewPriorAuth
from kettrack.core.enums import AuthStatus, CoverageRank, UserRole
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import CoverageRecord
from kettrack.services.check import check_database
from kettrack.services.claim_derivation import DERIVATION
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import PreflightFailed, SuperbillRequest
from kettrack.services.workspace import Workspace
from kettrack.store import migrate
from kettrack.store.database import Database
from kettrack.store.models import Claim
from kettrack.store.settings import DERIVED_BY, ROLE, write_value
from tests.conftest import TODAY

CO, PR = GroupCode.CO, GroupCode.PR
DERIVED = tuple(
    getattr(Claim, name)
    for name in ("state", "paid", "outstanding", "next_due", "next_kind", "next_action", "next_trigger")
)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    fill_demo(workspace, claims=False)
    return workspace


def _submitted(ws: Workspace, session: int, filer: Filer) -> tuple[int, Decimal]:
    request = SuperbillRequest(infusion_ids=(session,))
    try:
        bill = ws.superbills.issue(request)
    except PreflightFailed:
        bill = ws.superbills.issue(request, draft=True)
    patient = ws.infusions.get(session).patient_id
    coverage = ws.coverages.for_patient(patient)[0].id
    assert coverage is not None
    claim = ws.claims.create(NewClaim(coverage, superbill_id=bill.id, filer=filer))
    ws.claims.record(claim, NewEvent(EventKind.SUBMITTED, TODAY - timedelta(days=20)))
    return claim, ws.claim_views.row(claim).billed


def _normal_eob(ws: Workspace, claim: int, billed: Decimal) -> Decimal:
    """The plan paid its allowance less coinsurance, the share typed as a PR-2 line only; recorded
    as partly paid, as kettrack before the denial triage recorded it."""
    allowed = (billed * Decimal("0.6")).quantize(Decimal("0.01"))
    share = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
    event = NewEvent(
        EventKind.PAID,
        TODAY - timedelta(days=5),
        amounts=EobAmounts(allowed=allowed, paid=allowed - share),
        adjustments=(Adjustment(PR, "2", share),),
    )
    ws.claims.record(claim, ws.claims.with_outcome(claim, event, stated=EventKind.PARTIALLY_PAID))
    return share


def _denied(ws: Workspace, claim: int, billed: Decimal, reason: str) -> None:
    denial = NewEvent(
        EventKind.DENIED, TODAY - timedelta(days=5), adjustments=(Adjustment(CO, reason, billed),)
    )
    ws.claims.record(claim, ws.claims.with_outcome(claim, denial))


def _session_of(ws: Workspace, drug: str) -> int:
    found = next(s for s in ws.infusions.list() if s.drug.value == drug)
    assert found.id is not None
    return found.id


# --- the role ------------------------------------------------------------------------------------


def _role_changes_the_stored_step(ws: Workspace) -> None:
    claim, billed = _submitted(ws, _session_of(ws, "ketamine"), Filer.CLINIC)
    share = _normal_eob(ws, claim, billed)
    assert ws.claim_views.row(claim).next_action == f"Bill the patient their share: ${share}"
    ws.settings.set_role(UserRole.PATIENT)  # nothing else: the change re-derives the claims
    row = ws.claim_views.row(claim)
    assert row.next_due is None and row.next_action == ""
    assert all(i.claim_id != claim for i in ws.claim_views.due(365))
    ws.settings.set(ROLE, "clinic")  # the plain setter does it too
    assert ws.claim_views.row(claim).next_action == f"Bill the patient their share: ${share}"
    assert not ws.claims.invariant_problems()


def test_a_role_change_re_derives_the_claims(ws: Workspace) -> None:
    ws.settings.set_role(UserRole.CLINIC)
    _role_changes_the_stored_step(ws)


def test_a_role_change_re_derives_the_claims_on_postgres(pg_url: str, icd10: Any) -> None:
    workspace = Workspace.open(pg_url, today=lambda: TODAY)
    workspace._icd = Icd10Releases([icd10])
    try:
        fill_demo(workspace, claims=False)
        _role_changes_the_stored_step(workspace)
    finally:
        workspace.close()


# --- prior authorizations --------------------------------------------------------------------------


def test_an_authorization_added_for_the_coverage_is_cited_at_once(ws: Workspace) -> None:
    session = _session_of(ws, "ketamine")  # Avery's commercial plan: no authorization on file
    claim, billed = _submitted(ws, session, Filer.CLINIC)
    _denied(ws, claim, billed, "197")
    assert ws.claim_views.row(claim).next_action.startswith("Ask for a retro-authorization")
    coverage = ws.claim_views.get(claim).coverage_id
    ws.auths.add_auth(
        NewPriorAuth(
            coverage,
            AuthStatus.APPROVED,
            auth_number="RETRO-77",
            valid_from=TODAY - timedelta(days=400),
            valid_to=TODAY + timedelta(days=30),
        )
    )
    assert ws.claim_views.row(claim).next_action.endswith("citing prior authorization RETRO-77")


def test_an_authorization_linked_to_the_claim_is_cited_at_once(ws: Workspace) -> None:
    session = _session_of(ws, "ketamine")
    claim, billed = _submitted(ws, session, Filer.CLINIC)
    _denied(ws, claim, billed, "197")
    patient = ws.claim_views.row(claim).patient_id
    payer = ws.claim_views.row(claim).payer_id
    other = ws.coverages.add(
        CoverageRecord(patient_id=patient, payer_id=payer, member_id="SEC-1", rank=CoverageRank.SECONDARY)
    )
    assert other.id is not None
    auth = ws.auths.add_auth(NewPriorAuth(other.id, AuthStatus.APPROVED, "LINK-5", valid_to=TODAY))
    # Approved for another coverage: not this claim's until it is linked to it.
    assert ws.claim_views.row(claim).next_action.startswith("Ask for a retro-authorization")
    ws.auths.link_auth(claim, auth)
    assert ws.claim_views.row(claim).next_action.endswith("citing prior authorization LINK-5")


# --- all claims at once ------------------------------------------------------------------------------


def _stored(ws: Workspace) -> dict[int, tuple[object, ...]]:
    with ws.db.reader() as session:
        return {row[0]: tuple(row[1:]) for row in session.execute(select(Claim.id, *DERIVED))}


def test_re_deriving_in_sets_stores_what_each_claim_alone_would(workspace: Workspace) -> None:
    fill_demo(workspace)  # claims for every triage route, derived one by one as they were recorded
    ws = workspace
    before = _stored(ws)
    assert len(before) >= 5
    with ws.db.session() as session:
        session.execute(update(Claim).values(next_action="stale", outstanding=Decimal("1.00")))
        session.execute(update(Claim).where(Claim.closed.is_(False)).values(next_due=date(2000, 1, 1)))
        write_value(session, DERIVED_BY, "1")  # as if an older kettrack had derived them
    assert ws.claims.rederive_if_outdated() == len(before)
    assert ws.claims.rederive_if_outdated() is None  # once
    assert _stored(ws) == before
    assert ws.settings.get(DERIVED_BY) == DERIVATION
    assert not ws.claims.invariant_problems()


# --- an upgrade from before the denial triage ----------------------------------------------------------


def _old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upto: str) -> Path:
    """An empty database at schema ``upto``, made with the migrations up to it alone."""
    scripts = tmp_path / f"alembic-{upto}"
    shutil.copytree(migrate.script_location(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    for script in (scripts / "versions").glob("*.py"):
        if script.name[:4] > upto:
            script.unlink()
    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrate, "script_location", lambda: scripts)
        migrate._revision_graph.cache_clear()
        migrate._script_directory.cache_clear()
        Database.open(path).close()
    migrate._revision_graph.cache_clear()
    migrate._script_directory.cache_clear()
    return path


def _copy_rows(source: Path, target: Path) -> None:
    """Every row of ``source`` into ``target``, as far as ``target``'s older tables have columns."""
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("ATTACH DATABASE ? AS seeded", (str(source),))
        tables = [
            r[0]
            for r in connection.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")
            if r[0] != "alembic_version"
        ]
        for table in tables:
            new = {r[1] for r in connection.execute(f'PRAGMA seeded.table_info("{table}")')}
            names = [r[1] for r in connection.execute(f'PRAGMA main.table_info("{table}")') if r[1] in new]
            listed = ", ".join(f'"{c}"' for c in names)
            connection.execute(f'DELETE FROM main."{table}"')
            connection.execute(f'INSERT INTO main."{table}" ({listed}) SELECT {listed} FROM seeded."{table}"')
        connection.commit()
    finally:
        connection.close()


def test_an_upgraded_database_is_re_derived_once_and_passes_the_check(
    db_path: Path, tmp_path: Path, icd10: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace.open(db_path, today=lambda: TODAY)
    workspace._icd = Icd10Releases([icd10])
    try:
        fill_demo(workspace, claims=False)
        workspace.settings.set_role(UserRole.CLINIC)
        claim, billed = _submitted(workspace, _session_of(workspace, "ketamine"), Filer.CLINIC)
        share = _normal_eob(workspace, claim, billed)
        paid = workspace.claim_views.row(claim).paid
    finally:
        workspace.close()
    old = _old_database(tmp_path, monkeypatch, "0005")  # before letters, line rules and REMS
    _copy_rows(db_path, old)
    # What kettrack before the denial triage stored for that EOB: the patient's PR-2 share still
    # outstanding, and an appeal as the next step.
    connection = sqlite3.connect(old)
    try:
        with connection:
            connection.execute(
                "UPDATE claims SET outstanding = ?, next_kind = 'appeal', next_due = ?, "
                "next_action = 'File an internal appeal with the plan', next_trigger = NULL WHERE id = ?",
                (int((billed - paid) * 100), (TODAY + timedelta(days=170)).isoformat(), claim),
            )
            connection.execute("DELETE FROM app_settings WHERE key = ?", (DERIVED_BY,))
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0005",)
    finally:
        connection.close()

    upgraded = Workspace.open(old, today=lambda: TODAY)
    try:
        assert upgraded.db.pre_upgrade_backup is not None
        row = upgraded.claim_views.row(claim)
        assert row.outstanding == 0 and row.next_action == f"Bill the patient their share: ${share}"
        assert upgraded.settings.get(DERIVED_BY) == DERIVATION
        # Once: what is stored from now on is this kettrack's, and opening again leaves it alone.
        with upgraded.db.session() as session:
            session.execute(update(Claim).where(Claim.id == claim).values(next_action="kept"))
    finally:
        upgraded.close()
    again = Workspace.open(old, today=lambda: TODAY)
    try:
        assert again.claim_views.row(claim).next_action == "kept"
        with again.db.session() as session:
            session.execute(update(Claim).where(Claim.id == claim).values(next_action=row.next_action))
    finally:
        again.close()
    report = check_database(old)
    assert report.ok, report.problems
