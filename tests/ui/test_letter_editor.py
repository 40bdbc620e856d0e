"""The letter editor driven with pytest-qt on the demo set: parts edited under their titles, the advice
shown apart and never in the letter, the claim-number confirmation next to its field, preview and
issue through the database worker (inline in tests)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import NewEvent
from kettrack.core.letter_kinds import LetterKind
from kettrack.services.demo import fill_demo
from kettrack.services.letter_drafts import LetterService
from kettrack.services.workspace import Workspace
from kettrack.ui import pdf_preview
from kettrack.ui.changes import ChangeBus
from kettrack.ui.letter_editor import LetterEditor
from tests.conftest import TODAY
from tests.store.stored_documents import pdf_text


def _denied_without_number(ws: Workspace) -> int:
    waiting = next(
        r for r in ws.claim_views.rows() if r.state is ClaimState.SUBMITTED and not r.payer_claim_number
    )
    ws.claims.record(waiting.id, NewEvent(EventKind.DENIED, TODAY, received_on=TODAY))
    return waiting.id


def _editor(qtbot: QtBot, ws: Workspace, bus: ChangeBus, **start: Any) -> LetterEditor:
    draft = LetterService(ws.appeals).start(**start)
    editor = LetterEditor(ws, bus, draft)
    qtbot.addWidget(editor)
    editor.show()
    return editor


def test_editing_previewing_and_issuing_an_appeal(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, monkeypatch: Any
) -> None:
    fill_demo(workspace)
    claim = _denied_without_number(workspace)
    editor = _editor(qtbot, workspace, bus, kind=LetterKind.APPEAL, claim_id=claim)
    advice = editor.advice.text()
    assert "No payer claim number" in advice
    # A denial that gives no adjustment lines is argued under the general appeal rule, never read as paid.
    assert "paid as expected" not in advice
    # Every part is its own editor; change the closing.
    closing = editor.edits[-1][1]
    closing.selectAll()
    qtbot.keyClicks(closing, "Please call me about this claim.")
    shown: list[bytes] = []
    monkeypatch.setattr(pdf_preview.PdfPreview, "show_pdf", lambda self, pdf: shown.append(pdf))
    preview = editor.preview()
    assert preview is not None and shown
    flat = " ".join(pdf_text(shown[0]).split())
    assert "DRAFT" in flat and "Please call me about this claim." in flat
    for line in advice.split("\n"):
        assert line.lstrip("• ") not in flat
    before = len(workspace.claim_views.get(claim).events)
    # Issuing without the payer's claim number is refused next to that field; nothing is filed.
    editor.issue()
    error = editor.form.error_for("payer_claim_number")
    assert error.isVisible() and "claim number" in error.text()
    assert len(workspace.claim_views.get(claim).events) == before and editor.issued is None
    qtbot.mouseClick(editor.no_number, Qt.MouseButton.LeftButton)
    assert editor.no_number.isChecked()
    editor.issue()
    assert editor.issued is not None and editor.result() == editor.DialogCode.Accepted
    assert workspace.claim_views.get(claim).status.state is ClaimState.APPEAL_FILED
    letter = " ".join(pdf_text(workspace.appeals.letter_pdf(editor.issued.id)).split())
    assert "Please call me about this claim." in letter and "DRAFT" not in letter


def test_saving_a_draft_files_nothing_and_a_placeholder_blocks_issuing(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    demo = fill_demo(workspace)
    harold = demo.patient_ids[1]
    editor = _editor(qtbot, workspace, bus, kind=LetterKind.PRIOR_AUTHORIZATION, patient_id=harold)
    assert not editor.no_number.isVisible()  # not a letter about a claim
    assert "utilization management" in editor.advice.text()
    first = editor.edits[0][1]
    assert "[fill in:" in first.toPlainText()
    editor.issue()
    assert "fill in" in editor.form.error_for("text").text() and editor.issued is None
    first.setPlainText(
        "I request prior authorization for esketamine: G2083, 24 units, 2027-01-01 to 2027-06-30."
    )
    editor.save()
    assert "G2083, 24 units" in LetterService(workspace.appeals).get(editor.draft.id).blocks[0].text
    editor.issue()
    assert editor.issued is not None and editor.issued.number == "PAR-000001"


def test_a_missing_appeals_address_opens_the_payer_form_from_the_advice(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    from dataclasses import replace

    fill_demo(workspace)
    claim = _denied_without_number(workspace)
    payer_id = workspace.claim_views.row(claim).payer_id
    workspace.payers.update(replace(workspace.payers.get(payer_id), appeals_address=""))
    editor = _editor(qtbot, workspace, bus, kind=LetterKind.APPEAL, claim_id=claim)
    (button,) = [b for b in editor.fix_buttons if b.objectName() == "fix_payer_appeals_address"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert editor.fix_dialog is not None and editor.fix_dialog.isVisible()
    assert editor.fix_dialog.windowTitle() == "Edit payer"  # the payer's own form, to add the address
    editor.fix_dialog.close()
