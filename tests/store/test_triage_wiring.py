"""The denial triage wired through the claims service on a real SQLite file: what an EOB records and
the next step stored for the dashboard, the claims list and the claim window. A normal EOB (the plan
paid its allowance less coinsurance, typed as a PR line only) is paid, with the patient's balance as
the next step for a clinic and nothing to chase for a patient; a refusal leads where its codes say."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import Adjustment, EobAmounts, Filer, GroupCode, NewClaim, NewEvent
from kettrack.core.deadlines import DeadlineKind
from kettrack.core.denial_triage import TriageRoute
from kettrack.core.enums import UserRole
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import PreflightFailed, SuperbillRequest
from kettrack.services.workspace import Workspace

TODAY = date(2026, 11, 23)  # tests/conftest.py's fixed day
CO, PR = GroupCode.CO, GroupCode.PR


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


def _eob(ws: Workspace, claim: int, event: NewEvent) -> None:
    ws.claims.record(claim, ws.claims.with_outcome(claim, event))


def _normal_eob(billed: Decimal) -> tuple[NewEvent, Decimal]:
    allowed = (billed * Decimal("0.6")).quantize(Decimal("0.01"))
    share = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
    event = NewEvent(
        EventKind.PAID,
        TODAY - timedelta(days=5),
        amounts=EobAmounts(allowed=allowed, paid=allowed - share),
        adjustments=(Adjustment(PR, "2", share),),
    )
    return event, share


def test_a_normal_eob_is_paid_and_the_clinic_bills_the_patient(ws: Workspace) -> None:
    ws.settings.set_role(UserRole.CLINIC)
    claim, billed = _submitted(ws, 2, Filer.CLINIC)
    event, share = _normal_eob(billed)
    _eob(ws, claim, event)
    row = ws.claim_views.row(claim)
    assert row.state is ClaimState.PAID and row.status_text == "Paid"
    assert row.outstanding == 0
    assert row.next_kind is DeadlineKind.FOLLOW_UP and row.next_due == TODAY + timedelta(days=25)
    assert row.next_action == f"Bill the patient their share: ${share}"
    detail = ws.claim_views.get(claim)
    # The share typed as a PR-2 line is what the patient owes (not 0.00 with the payer chased).
    assert detail.money.patient_responsibility == share and detail.money.coinsurance == share
    assert detail.triage is not None and detail.triage.route is TriageRoute.PAID_AS_EXPECTED
    assert "appeal" not in row.next_action.lower() and "nothing to appeal" in detail.triage.next_step
    items = [i for i in ws.claim_views.dashboard().within_30 if i.claim_id == claim]
    assert [i.action for i in items] == [row.next_action]
    assert not ws.claims.invariant_problems()


def test_a_patient_has_nothing_to_chase(ws: Workspace) -> None:
    ws.settings.set_role(UserRole.PATIENT)
    claim, billed = _submitted(ws, 1, Filer.PATIENT)
    event, share = _normal_eob(billed)
    _eob(ws, claim, event)
    row = ws.claim_views.row(claim)
    assert row.state is ClaimState.PAID and row.next_due is None and row.next_action == ""
    assert row.outstanding == 0
    reading = ws.claim_views.get(claim).triage
    assert reading is not None and reading.next_step.startswith(
        f"Nothing to chase: ${share} is your own share"
    )
    assert all(i.claim_id != claim for i in ws.claim_views.due(365))


def test_the_role_changes_the_stored_step_once_re_derived(ws: Workspace) -> None:
    claim, billed = _submitted(ws, 2, Filer.CLINIC)
    event, share = _normal_eob(billed)
    _eob(ws, claim, event)  # no role yet: who filed decides (the clinic: bill the patient)
    assert ws.claim_views.row(claim).next_action.startswith("Bill the patient")
    ws.settings.set_role(UserRole.PATIENT)
    assert ws.claims.rederive() >= 1
    assert ws.claim_views.row(claim).next_due is None


def test_a_share_typed_as_pr_lines_on_a_partly_paid_eob_is_the_patients(ws: Workspace) -> None:
    """Recorded as partly paid by the person (or by an older kettrack): still paid as expected."""
    ws.settings.set_role(UserRole.CLINIC)
    claim, billed = _submitted(ws, 2, Filer.CLINIC)
    event, share = _normal_eob(billed)
    ws.claims.record(claim, ws.claims.with_outcome(claim, event, stated=EventKind.PARTIALLY_PAID))
    row = ws.claim_views.row(claim)
    assert row.state is ClaimState.PARTIALLY_PAID and row.outstanding == 0
    assert row.next_action == f"Bill the patient their share: ${share}"
    assert row.next_kind is DeadlineKind.FOLLOW_UP


@pytest.mark.parametrize(
    ("reason", "remarks", "kind", "action"),
    [
        ("16", "M119", DeadlineKind.FILE_CLAIM, "Send a corrected claim with the drug's 11-digit NDC"),
        ("18", "", DeadlineKind.FOLLOW_UP, "Check whether the plan already has this claim"),
        ("197", "", DeadlineKind.APPEAL, "Ask for a retro-authorization, then file an internal appeal"),
        ("55", "", DeadlineKind.APPEAL, "File an internal appeal with the plan, with the evidence"),
        ("29", "", DeadlineKind.APPEAL, "File an internal appeal with the plan, with proof the claim"),
    ],
)
def test_a_denial_leads_where_its_codes_say(
    ws: Workspace, reason: str, remarks: str, kind: DeadlineKind, action: str
) -> None:
    claim, billed = _submitted(ws, 1, Filer.PATIENT)
    denial = NewEvent(
        EventKind.DENIED, TODAY - timedelta(days=5), adjustments=(Adjustment(CO, reason, billed, remarks),)
    )
    _eob(ws, claim, denial)
    row = ws.claim_views.row(claim)
    assert row.state is ClaimState.DENIED and row.next_kind is kind
    assert row.next_action.startswith(action)
    detail = ws.claim_views.get(claim)
    assert detail.deadlines[0].action == row.next_action  # the window says what the list says


def test_the_authorization_on_file_is_cited(ws: Workspace) -> None:
    """Harold's Medicare esketamine sessions have an approved authorization (the demo's)."""
    harold = next(s for s in ws.infusions.list() if s.drug.value == "esketamine")
    assert harold.id is not None
    claim, billed = _submitted(ws, harold.id, Filer.CLINIC)
    _eob(
        ws,
        claim,
        NewEvent(EventKind.DENIED, TODAY - timedelta(days=5), adjustments=(Adjustment(CO, "197", billed),)),
    )
    auth = next(a for a in ws.auths.auths() if a.status == "approved")
    row = ws.claim_views.row(claim)
    assert row.next_action.endswith(f"citing prior authorization {auth.auth_number}")
    reading = ws.claim_views.get(claim).triage
    assert reading is not None and reading.authorization is not None
    assert auth.auth_number in reading.next_step
