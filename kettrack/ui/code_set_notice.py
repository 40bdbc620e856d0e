"""The status bar's code-set notice: when today's sessions fall past the newest ICD-10-CM release
loaded, it says which release to load and offers a button that loads the CDC file the person picks.
It re-checks whenever code sets change (a release loaded here or by another window)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from kettrack.ui.basics import tr
from kettrack.ui.changes import BILLING, ChangeBus

# Built with the window, before its first paint: the services (and SQLAlchemy) are imported when the
# workspace is attached, not here.
if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

# How a release is loaded, as the window's warnings elsewhere say it (the command line names its command).
WINDOW_HOW = "with Load ICD-10-CM release… in the status bar"
FILE_FILTER = "CDC ICD-10-CM release (*.txt *.xml);;All files (*)"


class CodeSetNotice(QWidget):
    """A warning and a "Load release file…" button, shown only while a release is missing."""

    def __init__(self, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("code_set_notice")
        self.bus = bus
        self.ws: Workspace | None = None
        self.label = QLabel()
        self.label.setObjectName("code_set_warning")
        self.label.setStyleSheet("color: #9a5b00;")
        self.button = QPushButton(tr("Load ICD-10-CM release…"))
        self.button.setObjectName("load_icd10_release")
        self.button.clicked.connect(self.choose_file)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.button)
        self.hide()
        bus.changed.connect(self._changed)

    def attach(self, ws: Workspace) -> None:
        self.ws = ws
        self.refresh()

    def _changed(self, kinds: frozenset[str]) -> None:
        if BILLING in kinds:
            self.refresh()

    def refresh(self) -> None:
        ws = self.ws
        if ws is None:
            return
        from kettrack.services.code_sets import coverage_warning
        from kettrack.ui.operations import query

        # The first read of the releases takes a moment: off the GUI thread.
        query(
            self,
            lambda: coverage_warning(ws, how=""),
            self._show,
            what="check code sets",
        )

    def _show(self, warning: str | None) -> None:
        if not shiboken6.isValid(self.label):
            return
        self.label.setText(warning or "")
        self.setVisible(bool(warning))

    def choose_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, tr("Load an ICD-10-CM release"), "", FILE_FILTER)
        if path:
            self.load(Path(path))

    def load(self, path: Path) -> None:
        ws = self.ws
        if ws is None:
            return
        from kettrack.core.problems import InvalidInput
        from kettrack.services.code_sets import load_icd10_release
        from kettrack.ui.operations import change

        self.button.setEnabled(False)
        change(
            self,
            lambda: load_icd10_release(ws, path),
            self._loaded,
            what="load ICD-10-CM release",
            bus=self.bus,
            changes=(BILLING,),
            handle={InvalidInput: self._refused},
            after=lambda: self.button.setEnabled(True),
        )

    def _refused(self, error: BaseException) -> None:
        """Why the file was refused, said where the person clicked (nothing was stored)."""
        problems = getattr(error, "problems", ())
        self.label.setText("; ".join(p.message for p in problems) or str(error))
        self.label.setStyleSheet("color: #b71c1c;")
        self.show()

    def _loaded(self, stored: object) -> None:
        self.label.setStyleSheet("color: #9a5b00;")
        label, count = getattr(stored, "label", ""), getattr(stored, "code_count", 0)
        message = tr("ICD-10-CM {0} loaded: {1:,} billable codes").format(label, count)
        window = self.window()
        status = getattr(window, "statusBar", None)
        if callable(status):
            status().showMessage(message, 15_000)
