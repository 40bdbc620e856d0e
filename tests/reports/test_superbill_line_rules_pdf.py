"""The superbill PDF as a payer reads it for the demo's Medicare esketamine sessions: the prior
authorization in force, G2082/G2083 with KX and no J0013 line, and the REMS-certified site and ZIP as
additional claim information; a claim made from it carries the authorization. Every demo superbill
passes pre-flight (none is a draft)."""

from __future__ import annotations

from typing import Any

from kettrack.core.claims import NewClaim
from kettrack.services.demo import DEMO_AUTH_NUMBER, fill_demo
from kettrack.services.superbills import SuperbillRequest
from tests.store.stored_documents import pdf_text


def test_medicare_esketamine_superbill_prints_the_authorization_kx_and_rems_site(workspace: Any) -> None:
    demo = fill_demo(workspace, claims=False)
    harold = demo.patient_ids[1]
    sessions = [s for s in workspace.infusions.list() if s.patient_id == harold][:2]
    issued = workspace.superbills.issue(SuperbillRequest(infusion_ids=tuple(s.id for s in sessions)))
    assert not issued.draft
    text = pdf_text(workspace.superbills.pdf(issued.id))
    assert f"Prior authorization {DEMO_AUTH_NUMBER}" in text
    assert "G2082 KX" in text or "G2083 KX" in text
    assert "J0013" not in text and "S0013" not in text
    assert "SPRAVATO REMS-certified site: Fernhollow Ketamine & Mood Clinic, ZIP 27999" in text
    coverage = workspace.coverages.for_patient(harold)[0].id
    claim = workspace.claims.create(NewClaim(coverage, superbill_id=issued.id))
    assert [a.auth_number for a in workspace.auths.auths(harold) if claim in a.claim_ids] == [
        DEMO_AUTH_NUMBER
    ]


def test_every_demo_superbill_passes_preflight(workspace: Any) -> None:
    fill_demo(workspace)
    issued = workspace.superbills.list()
    assert issued and not any(r.draft for r in issued)
    claims_with_auth = {c for a in workspace.auths.auths() for c in a.claim_ids}
    assert len(claims_with_auth) >= 3  # the Medicare claims, each from a superbill printing it
