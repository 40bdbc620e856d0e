"""What the export tests add to the demo set so that a file holds every kind of record format 5
carries: an issued letter of medical necessity (its PDF a document), an authorization request left as
a draft, an appeal drafted on a denied claim when there are claims, a reference in the evidence
library, a superbill that printed the esketamine authorization, and the REMS tracking start."""

from __future__ import annotations

from datetime import date
from typing import Any

from kettrack.core.claim_states import ClaimState
from kettrack.core.enums import Drug
from kettrack.core.letter_kinds import LetterKind
from kettrack.services.letter_drafts import LetterService
from kettrack.services.superbills import SuperbillRequest
from kettrack.services.workspace import Workspace
from kettrack.store.rems import TRACKED_FROM

TODAY = date(2026, 11, 23)  # the same fixed day as tests/conftest.py
CITATION = "Roe R, Poe P. Ketamine in practice: a cohort. J Mood Care. 2025;3(2):4-9."


def add_letters_and_more(ws: Workspace) -> dict[str, Any]:
    """Adds the records above to a workspace holding the demo set; returns what it made."""
    letters = LetterService(ws.appeals)
    harold = next(p for p in ws.patients.list() if p.legal_name.startswith("Harold"))
    assert harold.id is not None
    reference = letters.add_evidence(CITATION, Drug.KETAMINE)
    lmn = letters.issue(letters.start(LetterKind.MEDICAL_NECESSITY, patient_id=harold.id).id, issued_on=TODAY)
    request = letters.start(
        LetterKind.PRIOR_AUTHORIZATION,
        patient_id=harold.id,
        codes="g2083 G2082",
        units=24,
        period_from=TODAY,
        period_to=date(2027, 11, 22),
    )
    appeal = None
    denied = [r for r in ws.claim_views.rows() if r.state is ClaimState.DENIED]
    if denied:
        appeal = letters.start(LetterKind.APPEAL, claim_id=denied[0].id)
    sessions = [s.id for s in ws.infusions.list() if s.patient_id == harold.id and s.id is not None]
    if not any(b.patient_id == harold.id for b in ws.superbills.list()):
        # A superbill of Harold's esketamine sessions prints his authorization (superbill_auths).
        ws.superbills.issue(SuperbillRequest(infusion_ids=tuple(sessions[-2:])))
    ws.settings.set(TRACKED_FROM, "2026-06-01")
    return {"reference": reference, "lmn": lmn, "request": request, "appeal": appeal}
