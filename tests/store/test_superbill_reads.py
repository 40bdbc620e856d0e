"""What assembling a superbill reads only when it matters: the usual place of service (a session at a
telehealth place gets it on its in-person lines) and the container types (Medicare Part B's JW/JZ)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kettrack.services.demo import fill_demo
from kettrack.services.superbills import SuperbillRequest


def test_a_telehealth_session_gets_the_usual_place_on_its_superbill(workspace: Any) -> None:
    fill_demo(workspace, claims=False)
    workspace.fees.set_usual_place("49")
    template = next(
        s for s in workspace.infusions.list() if s.provider_id is not None and s.route.value == "iv"
    )
    remote = workspace.infusions.add(
        replace(
            template,
            id=None,
            service_date=template.service_date.replace(day=2),
            place_of_service="10",
            payments=(),
        )
    )
    bill = workspace.superbills.assemble(SuperbillRequest(infusion_ids=(remote.id,)))
    assert bill.lines and {line.place_of_service for line in bill.lines} == {"49"}
    # An in-office session keeps its own place: the setting is not needed (and not read) for it.
    office = workspace.superbills.assemble(SuperbillRequest(infusion_ids=(template.id,)))
    assert {line.place_of_service for line in office.lines} == {template.place_of_service}
