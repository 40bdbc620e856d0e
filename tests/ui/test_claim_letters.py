"""The claim window's Letters menu: a letter of medical necessity, a prior authorization request and
an external review request for the claim, each drafted from the record and opened in the letter
editor with its kind (nothing filed). Driven with pytest-qt on the demo set."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import NewEvent
from kettrack.core.letter_kinds import LetterKind
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_detail import ClaimWindow
from kettrack.ui.letter_editor import LetterEditor
from tests.conftest import TODAY


def _window(qtbot: QtBot, ws: Workspace, bus: ChangeBus, claim_id: int) -> ClaimWindow:
    window = ClaimWindow(ws, bus, claim_id)
    qtbot.addWidget(window)
    window.show()
    return window


def _claim(ws: Workspace, state: ClaimState) -> int:
    return next(r.id for r in ws.claim_views.rows() if r.state is state)


def _opened(window: ClaimWindow) -> list[LetterEditor]:
    return window.findChildren(LetterEditor)


@pytest.mark.parametrize("kind", [LetterKind.MEDICAL_NECESSITY, LetterKind.PRIOR_AUTHORIZATION])
def test_the_letters_menu_opens_the_editor_with_the_kind(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, kind: LetterKind
) -> None:
    fill_demo(workspace)
    claim = _claim(workspace, ClaimState.DENIED)
    window = _window(qtbot, workspace, bus, claim)
    assert window.letters_button.isEnabled() and window.letters_button.menu() is window.letters_menu
    events = len(workspace.claim_views.get(claim).events)
    window.letter_actions[kind].trigger()  # as a click on the menu's entry
    (editor,) = _opened(window)
    assert editor.isVisible() and editor.draft.kind is kind and editor.draft.claim_id == claim
    assert editor.windowTitle().startswith(kind.label)
    assert not editor.no_number.isVisible()  # the provider's letters are not about a decision
    # A draft is stored for the claim, and nothing is filed on it.
    from kettrack.services.letter_drafts import LetterService

    assert [d.id for d in LetterService(workspace.appeals).drafts(claim_id=claim)] == [editor.draft.id]
    assert len(workspace.claim_views.get(claim).events) == events


def test_an_external_review_request_once_the_final_internal_appeal_is_upheld(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus
) -> None:
    fill_demo(workspace)
    claim = _claim(workspace, ClaimState.APPEAL_FILED)
    window = _window(qtbot, workspace, bus, claim)
    external = window.letter_actions[LetterKind.EXTERNAL_REVIEW]
    assert not external.isEnabled()  # the internal appeal is still open
    workspace.claims.record(claim, NewEvent(EventKind.APPEAL_UPHELD, TODAY, received_on=TODAY))
    window.refresh()
    assert external.isEnabled()
    editor = window.start_letter(LetterKind.EXTERNAL_REVIEW)
    assert isinstance(editor, LetterEditor) and editor.isVisible()
    assert editor.draft.kind is LetterKind.EXTERNAL_REVIEW and editor.draft.claim_id == claim
    assert editor.no_number.isVisible()  # about the claim's decision: the payer's number matters
    assert workspace.claim_views.get(claim).status.state is ClaimState.APPEAL_DECIDED  # nothing filed
