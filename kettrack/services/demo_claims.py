"""The demo set's claims: superbills issued for the demo sessions and claims in every state a new
user should see at once (paid, partly paid, denied with an appeal due, appeal filed, awaiting an
answer, one past its follow-up date, closed), and one for each route of the denial triage (paid as
expected with a patient share, missing information, missing authorization, experimental, timely
filing, medical necessity).

Dates count back from "today", so the dashboard always has something overdue and something due soon.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from kettrack.core.claim_states import CloseReason, EventKind
from kettrack.core.claims import (
    Adjustment,
    EobAmounts,
    Filer,
    GroupCode,
    NewClaim,
    NewEvent,
    SubmitMethod,
)
from kettrack.core.records import InfusionRecord
from kettrack.core.rows import InfusionFilter
from kettrack.services.superbills import PreflightFailed, SuperbillRequest
from kettrack.services.workspace import Workspace

CO, PR = GroupCode.CO, GroupCode.PR


def _claim(
    ws: Workspace, sessions: list[InfusionRecord], coverage_id: int, filer: Filer
) -> tuple[int, Decimal]:
    request = SuperbillRequest(infusion_ids=tuple(s.id for s in sessions if s.id is not None))
    try:
        bill = ws.superbills.issue(request)
    except PreflightFailed:
        bill = ws.superbills.issue(request, draft=True)
    method = SubmitMethod.MAIL if filer is Filer.PATIENT else SubmitMethod.CLEARINGHOUSE
    claim = ws.claims.create(NewClaim(coverage_id, superbill_id=bill.id, filer=filer, method=method))
    return claim, bill.total_charges


def _after(sessions: list[InfusionRecord], days: int, today: date) -> date:
    """``days`` after the last session, but never after today."""
    return min(today, max(s.service_date for s in sessions) + timedelta(days=days))


def fill_demo_claims(ws: Workspace, patient_ids: tuple[int, int]) -> int:
    """Claims for both demo patients' plans; returns how many were created."""
    today = ws.today()
    avery_id, harold_id = patient_ids
    avery = sorted(ws.infusions.list(InfusionFilter(patient_id=avery_id)), key=lambda s: s.service_date)
    harold = sorted(ws.infusions.list(InfusionFilter(patient_id=harold_id)), key=lambda s: s.service_date)
    avery_plan = ws.coverages.for_patient(avery_id)[0].id
    medicare = ws.coverages.for_patient(harold_id)[0].id
    assert avery_plan is not None and medicare is not None
    created = 0

    def record(claim: int, kind: EventKind, on: date, **extra: object) -> None:
        ws.claims.record(claim, NewEvent(kind, min(on, today), **extra))  # type: ignore[arg-type]

    # Avery, out of network, files her own claims with her commercial plan.
    paid, billed = _claim(ws, avery[0:3], avery_plan, Filer.PATIENT)
    record(paid, EventKind.SUBMITTED, _after(avery[0:3], 4, today), payer_claim_number="BR26-0071184")
    allowed = (billed * Decimal("0.8")).quantize(Decimal("0.01"))
    record(
        paid,
        EventKind.PAID,
        _after(avery[0:3], 33, today),
        amounts=EobAmounts(allowed=allowed, paid=allowed),
        adjustments=(Adjustment(CO, "45", billed - allowed),),
        note="EOB: paid at the plan's out-of-network allowance",
    )
    denied, billed = _claim(ws, avery[3:5], avery_plan, Filer.PATIENT)
    record(denied, EventKind.SUBMITTED, _after(avery[3:5], 5, today), payer_claim_number="BR26-0074420")
    notice = _after(avery[3:5], 30, today)
    record(
        denied,
        EventKind.DENIED,
        notice,
        received_on=notice + timedelta(days=4),
        amounts=EobAmounts(paid=Decimal("0.00")),
        adjustments=(Adjustment(CO, "55", billed, "N130"),),
        note="Denied: the plan calls IV ketamine for depression experimental/investigational.",
    )
    appealed, billed = _claim(ws, avery[5:7], avery_plan, Filer.PATIENT)
    record(appealed, EventKind.SUBMITTED, _after(avery[5:7], 3, today), payer_claim_number="BR26-0081907")
    notice = _after(avery[5:7], 21, today)
    record(
        appealed,
        EventKind.DENIED,
        notice,
        received_on=notice + timedelta(days=3),
        amounts=EobAmounts(paid=Decimal("0.00")),
        adjustments=(Adjustment(CO, "50", billed, "N130"),),
    )
    draft = ws.appeals.draft(appealed)
    ws.appeals.issue(appealed, draft.paragraphs, filed_on=min(today, notice + timedelta(days=12)))
    waiting, _ = _claim(ws, avery[7:8], avery_plan, Filer.PATIENT)
    # Sent 45 days ago with no answer since: the follow-up reminder is overdue.
    record(waiting, EventKind.SUBMITTED, today - timedelta(days=45), payer_claim_number="")
    created += 4

    # Harold, Medicare, in network: the clinic files for him through its clearinghouse.
    partly, billed = _claim(ws, harold[0:4], medicare, Filer.CLINIC)
    record(partly, EventKind.SUBMITTED, _after(harold[0:4], 2, today), payer_claim_number="MCR-55120934")
    # Three sessions paid at Medicare's allowance less the 20% coinsurance; the fourth refused for a
    # missing authorization (CO-197): that part is outstanding and worth a redetermination.
    allowed = (billed * Decimal("0.6")).quantize(Decimal("0.01"))
    refused = (allowed / 4).quantize(Decimal("0.01"))
    coinsurance = ((allowed - refused) * Decimal("0.2")).quantize(Decimal("0.01"))
    record(
        partly,
        EventKind.PARTIALLY_PAID,
        _after(harold[0:4], 20, today),
        amounts=EobAmounts(allowed=allowed, paid=allowed - refused - coinsurance, coinsurance=coinsurance),
        adjustments=(
            Adjustment(CO, "45", billed - allowed),
            Adjustment(CO, "197", refused),
            Adjustment(PR, "2", coinsurance),
        ),
        note="One session refused: no prior authorization on file for that date.",
    )
    closed, billed = _claim(ws, harold[4:8], medicare, Filer.CLINIC)
    record(closed, EventKind.SUBMITTED, _after(harold[4:8], 2, today), payer_claim_number="MCR-55187310")
    record(
        closed,
        EventKind.PAID,
        _after(harold[4:8], 18, today),
        amounts=EobAmounts(allowed=billed, paid=billed),
    )
    record(closed, EventKind.CLOSED, _after(harold[4:8], 25, today), close_reason=CloseReason.PAID_IN_FULL)
    awaiting, _ = _claim(ws, harold[8:12], medicare, Filer.CLINIC)
    record(awaiting, EventKind.SUBMITTED, today - timedelta(days=12), payer_claim_number="MCR-55240071")
    record(awaiting, EventKind.ACKNOWLEDGED, today - timedelta(days=10))
    created += 3
    created += _triage_examples(ws, avery[8:9], harold[12:15], avery_plan, medicare)

    # Harold's esketamine authorization (kettrack.services.demo adds it before these superbills) is on
    # the superbills, and so linked to the claims made from them.
    return created


def _triage_examples(
    ws: Workspace,
    avery: list[InfusionRecord],
    harold: list[InfusionRecord],
    avery_plan: int,
    medicare: int,
) -> int:
    """A claim for each route of the denial triage a new user should meet (beside the medical-necessity
    and experimental denials and the Medicare refusal despite the authorization on file, above): an
    EOB paid as expected with the patient's coinsurance typed as a PR-2 line, a claim Medicare could
    not process (the rendering NPI missing: a new claim, not an appeal), a refusal for a prior
    authorization nobody asked for (a retro-authorization first), and a late-filing refusal that the
    clearinghouse's acceptance report answers. Each uses sessions no other demo claim bills."""
    today = ws.today()

    def record(claim: int, kind: EventKind, on: date, **extra: object) -> None:
        event = NewEvent(kind, min(on, today), **extra)  # type: ignore[arg-type]
        # Through the same decision as the window and the command line (paid in full or partly).
        ws.claims.record(claim, ws.claims.with_outcome(claim, event))

    # Avery's commercial plan wants prior authorization for infusions from this year; none was asked.
    unauthorized, billed = _claim(ws, avery, avery_plan, Filer.PATIENT)
    record(unauthorized, EventKind.SUBMITTED, _after(avery, 3, today), payer_claim_number="BR26-0093310")
    notice = _after(avery, 24, today)
    record(
        unauthorized,
        EventKind.DENIED,
        notice,
        adjustments=(Adjustment(CO, "197", billed, "N130"),),
        note="Denied: precertification required for ketamine infusion services.",
    )

    # Medicare pays its allowance less the 20% coinsurance, which the desk typed as a PR-2 line (no
    # coinsurance amount): paid as expected, and the patient's share is the clinic's to bill.
    share_claim, billed = _claim(ws, harold[0:1], medicare, Filer.CLINIC)
    record(share_claim, EventKind.SUBMITTED, _after(harold[0:1], 2, today), payer_claim_number="MCR-55261408")
    allowed = (billed * Decimal("0.6")).quantize(Decimal("0.01"))
    coinsurance = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
    record(
        share_claim,
        EventKind.PAID,
        _after(harold[0:1], 16, today),
        amounts=EobAmounts(allowed=allowed, paid=allowed - coinsurance),
        adjustments=(Adjustment(CO, "45", billed - allowed), Adjustment(PR, "2", coinsurance)),
        note="EOB: paid at the Medicare allowance less the 20% coinsurance.",
    )

    # Sent with the group's NPI where the psychiatrist's belongs: unprocessable, so a new claim.
    unprocessable, billed = _claim(ws, harold[1:2], medicare, Filer.CLINIC)
    record(
        unprocessable, EventKind.SUBMITTED, _after(harold[1:2], 2, today), payer_claim_number="MCR-55270112"
    )
    notice = _after(harold[1:2], 9, today)
    record(
        unprocessable,
        EventKind.DENIED,
        notice,
        adjustments=(Adjustment(CO, "16", billed, "MA130 N290"),),
        note="Returned as unprocessable: rendering provider NPI.",
    )

    # Refused as filed late, though the clearinghouse accepted the claim two days after the session.
    late, billed = _claim(ws, harold[2:3], medicare, Filer.CLINIC)
    record(late, EventKind.SUBMITTED, _after(harold[2:3], 2, today), payer_claim_number="MCR-55281977")
    notice = _after(harold[2:3], 8, today)
    record(
        late,
        EventKind.DENIED,
        notice,
        received_on=min(today, notice + timedelta(days=3)),
        adjustments=(Adjustment(CO, "29", billed),),
        note="Denied as past the filing limit; the clearinghouse report shows acceptance on time.",
    )
    return 4
