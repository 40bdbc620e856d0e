"""The clinic's usual place of service, chosen in the Billing section: new sessions and their billing
lines default to it (``kettrack fees place`` on the command line). Telehealth (02, 10) is not offered:
infusions and esketamine sessions are given in person. Read and saved on the database worker; a save
announces the change so an open superbill checks its lines again."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from kettrack.core.enums import PLACES_OF_SERVICE
from kettrack.core.line_rules import DEFAULT_PLACE, TELEHEALTH_PLACES
from kettrack.core.problems import InvalidInput
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import error_label, tr
from kettrack.ui.operations import change, query

__all__ = ["IN_PERSON_PLACES", "UsualPlaceBox"]

SEPARATOR = " — "
# The places a session can be given in: every known code but telehealth.
IN_PERSON_PLACES = {code: words for code, words in PLACES_OF_SERVICE.items() if code not in TELEHEALTH_PLACES}


class UsualPlaceBox(QWidget):
    """A labelled combo of the in-person place-of-service codes, saving the choice as it is made."""

    def __init__(self, ws: Workspace, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.bus = ws, bus
        self.combo = QComboBox()
        self.combo.setObjectName("usual_place")
        self.combo.setAccessibleName(tr("Usual place of service"))
        for code, words in IN_PERSON_PLACES.items():
            self.combo.addItem(f"{code}{SEPARATOR}{tr(words)}", code)
        self.combo.setToolTip(
            tr("New sessions and their billing lines use this place of service unless you choose another.")
        )
        self.problem = error_label()
        label = QLabel(tr("Usual place of service:"))
        label.setBuddy(self.combo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        # Only a person's choice saves (``activated``), never the combo being set from the database.
        self.combo.activated.connect(lambda _index: self.save())
        bus.changed.connect(self._on_changed)
        self.refresh()

    def current(self) -> str:
        return str(self.combo.currentData() or DEFAULT_PLACE)

    def refresh(self) -> None:
        query(self, self.ws.fees.usual_place, self.show_place, what="read the usual place of service")

    def show_place(self, code: str) -> None:
        index = self.combo.findData(code)
        if index < 0:  # a code set on the command line that the list does not name
            self.combo.addItem(code, code)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def save(self) -> None:
        code, fees = self.current(), self.ws.fees
        self.problem.setText("")
        change(
            self,
            lambda: fees.set_usual_place(code),
            self.show_place,
            what="set the usual place of service",
            bus=self.bus,
            changes=(changes.SETTINGS, changes.BILLING),
            handle={InvalidInput: self._refused},
        )

    def _refused(self, error: BaseException) -> None:
        assert isinstance(error, InvalidInput)
        self.problem.setText("; ".join(p.message for p in error.problems))
        self.refresh()

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if changes.SETTINGS in kinds:
            self.refresh()
