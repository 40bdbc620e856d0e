"""The clinic's usual place of service in the window's Billing section: the combo shows the setting,
offers no telehealth code (02/10), saves a person's choice on the database worker and announces it;
a new session then starts at that place, and a change made elsewhere (the command line) is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.core.line_rules import TELEHEALTH_PLACES
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.billing import BillingView
from kettrack.ui.changes import ChangeBus
from kettrack.ui.infusion_dialog import InfusionDialog
from kettrack.ui.usual_place import UsualPlaceBox
from kettrack.ui.workers import Workers


def _codes(box: UsualPlaceBox) -> list[str]:
    return [box.combo.itemData(i) for i in range(box.combo.count())]


def _choose(qtbot: QtBot, box: UsualPlaceBox, code: str) -> None:
    """Pick ``code`` from the list as a person does: open the combo, move to it, press Enter."""
    combo = box.combo
    combo.setFocus()
    steps = _codes(box).index(code) - combo.currentIndex()
    key = Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up
    for _ in range(abs(steps)):
        qtbot.keyClick(combo, key)  # a closed combo moves and emits ``activated`` on each key


def test_the_billing_section_sets_the_usual_place(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    view = BillingView(workspace, bus, workers=Workers(synchronous=True))
    qtbot.addWidget(view)
    view.show()
    box = view.usual_place
    assert box.combo.accessibleName() == "Usual place of service"
    assert box.current() == "11"  # nothing set: the office
    assert "11" in _codes(box) and "49" in _codes(box)
    assert not set(_codes(box)) & TELEHEALTH_PLACES

    announced: list[frozenset[str]] = []
    bus.changed.connect(announced.append)
    _choose(qtbot, box, "49")
    assert workspace.fees.usual_place() == "49"
    assert any(changes.SETTINGS in kinds for kinds in announced)
    assert box.current() == "49" and not box.problem.text()

    dialog = InfusionDialog(workspace, bus)  # a new session starts at the usual place
    qtbot.addWidget(dialog)
    assert dialog._place() == "49"


def test_a_change_made_elsewhere_is_shown(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    box = UsualPlaceBox(workspace, bus)
    qtbot.addWidget(box)
    workspace.fees.set_usual_place("22")  # as ``kettrack fees place 22`` does
    bus.announce(changes.SETTINGS)
    assert box.current() == "22"
    workspace.fees.set_usual_place("12")  # a code the list does not name is shown, not lost
    box.refresh()
    assert box.current() == "12"
    # Setting the combo from the database saves nothing.
    assert workspace.fees.usual_place() == "12"
