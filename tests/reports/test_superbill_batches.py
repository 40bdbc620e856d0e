"""Superbills in batches: ``SuperbillService.assemble_many`` and ``issue_many`` (kettrack.services.
superbills), drawn by kettrack.reports.batch on worker processes. A batch gives exactly the superbills
that one-at-a-time calls give, and a month's statements are issued whole or not at all.

(They exercise the service through the batch renderer; their natural home is beside
tests/store/test_superbills.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kettrack.core.problems import InvalidInput
from kettrack.reports.superbill import render_superbill
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import PreflightFailed, SuperbillRequest
from tests.store.stored_documents import document_shas, pdf_text

MONTHS = (date(2026, 1, 1), date(2026, 11, 23))


@pytest.fixture
def demo(workspace: Any) -> Any:
    return fill_demo(workspace, claims=False)


def _requests(workspace: Any, demo: Any) -> list[SuperbillRequest]:
    """Each patient's statement for the period, then one superbill per session (enough for workers)."""
    per_patient = [
        SuperbillRequest(patient_id=p, date_from=MONTHS[0], date_to=MONTHS[1]) for p in demo.patient_ids
    ]
    return per_patient + [SuperbillRequest(infusion_ids=(s.id,)) for s in workspace.infusions.list()[:10]]


def test_a_batch_assembles_what_single_calls_assemble(workspace: Any, demo: Any) -> None:
    requests = _requests(workspace, demo)
    assert list(workspace.superbills.assemble_many(requests)) == [
        workspace.superbills.assemble(r) for r in requests
    ]


def test_issue_many_numbers_stores_and_records_every_superbill(workspace: Any, demo: Any) -> None:
    requests = _requests(workspace, demo)
    # Assembled before: once issued, the sessions are billed and a new superbill for them is refused.
    numbers = [f"SB-2026-{n:06d}" for n in range(1, len(requests) + 1)]
    expected = [workspace.superbills.assemble(r, number=n) for r, n in zip(requests, numbers, strict=True)]
    issued = workspace.superbills.issue_many(requests)
    assert [r.number for r in issued] == numbers
    assert issued == [workspace.superbills.get(r.id) for r in issued]
    assert {r.id for r in workspace.superbills.list()} == {r.id for r in issued}
    for bill, record in zip(expected, issued, strict=True):
        assert record.version == 1 and not record.draft and not record.superseded
        # The stored PDF is the one a single superbill with that number renders, byte for byte.
        pdf = workspace.superbills.pdf(record.id)
        assert pdf == render_superbill(bill)
        assert record.number in pdf_text(pdf)
    # The lines as printed are saved and locked, as after a single issue.
    first = workspace.infusions.list()[0]
    with pytest.raises(InvalidInput, match="issued superbill"):
        workspace.service_lines.replace_lines(first.id, workspace.service_lines.for_infusion(first.id))
    # A session is billed once: the same month again is refused (re-issue that superbill instead) ...
    with pytest.raises(InvalidInput, match="already on superbills"):
        workspace.superbills.issue(requests[0])
    # ... and the next single superbill, for a new session, takes the next number.
    new = workspace.infusions.add(replace(first, id=None, service_date=date(2026, 11, 22), payments=()))
    issued_next = workspace.superbills.issue(SuperbillRequest(infusion_ids=(new.id,)))
    assert issued_next.number == f"SB-2026-{len(requests) + 1:06d}"


def test_one_incomplete_superbill_stops_the_whole_batch(workspace: Any, demo: Any, db_path: Path) -> None:
    patient = workspace.patients.get(demo.patient_ids[1])
    workspace.patients.update(replace(patient, date_of_birth=None))
    requests = _requests(workspace, demo)
    with pytest.raises(PreflightFailed) as refused:
        workspace.superbills.issue_many(requests)
    assert f"{patient.legal_name}: Patient date of birth is missing" in refused.value.messages
    assert all(m.startswith(patient.legal_name) for m in refused.value.messages)
    assert workspace.superbills.list() == []
    assert document_shas(db_path) == set()  # nothing written, not even a document
    drafts = workspace.superbills.issue_many(requests, draft=True)
    assert len(drafts) == len(requests) and all(
        r.draft and r.file_name.endswith("-DRAFT.pdf") for r in drafts
    )
    assert "DRAFT" in pdf_text(workspace.superbills.pdf(drafts[-1].id))


def test_an_empty_batch_issues_nothing(workspace: Any, demo: Any) -> None:
    assert workspace.superbills.issue_many([]) == []
    assert workspace.superbills.list() == []
