"""The diagnosis picker of the session dialog: an ICD-10-CM code entry that completes "code —
description" as you type (once the code index, loaded off the GUI thread, is handed in) and the list
of the codes chosen."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.icd10 import Icd10Index, normalize
from kettrack.ui.basics import tr

# Between a code and its words ("F33.2 — Major depressive ..."): here, and in the session dialog's
# place of service.
SEPARATOR = " — "


class DiagnosisPicker(QWidget):
    """A code entry that completes "code — description" and a list of the codes chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = QLineEdit()
        self.entry.setObjectName("diagnosis_entry")
        self.entry.setAccessibleName(tr("Diagnosis code"))
        self.entry.setPlaceholderText(tr("Type a code or words, e.g. F33.2 or major depressive"))
        self.completer = QCompleter([], self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setMaxVisibleItems(12)
        self.entry.setCompleter(self.completer)
        self.completer.activated.connect(self._completed)
        self.entry.returnPressed.connect(self.add_entry)
        self.add_button = QPushButton(tr("Add"))
        self.add_button.clicked.connect(self.add_entry)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.status = QLabel(tr("Loading the ICD-10-CM code list…"))
        self.status.setStyleSheet("color: palette(mid);")
        self.codes = QStringListModel(self)
        self.list = QListView()
        self.list.setModel(self.codes)
        self.list.setAccessibleName(tr("Chosen diagnoses"))
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setMaximumHeight(self.list.fontMetrics().lineSpacing() * 4 + 10)
        self._icd: Icd10Index | None = None

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.entry, 1)
        top.addWidget(self.add_button)
        below = QHBoxLayout()
        below.setContentsMargins(0, 0, 0, 0)
        below.addWidget(self.list, 1)
        below.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addLayout(below)

    def set_index(self, icd: Icd10Index) -> None:
        self._icd = icd
        self.completer.setModel(
            QStringListModel([f"{c}{SEPARATOR}{d}" for c, d in icd.items()], self.completer)
        )
        self.status.hide()
        self._refresh_labels()

    def index_failed(self, error: BaseException) -> None:
        self.status.setText(tr("The code list could not be loaded; codes can still be typed."))

    def _completed(self, text: str) -> None:
        self.entry.setText(text)
        self.add_entry()

    def _label(self, code: str) -> str:
        description = self._icd.describe(code) if self._icd is not None else None
        return f"{code}{SEPARATOR}{description}" if description else code

    def _refresh_labels(self) -> None:
        self.codes.setStringList([self._label(c) for c in self.chosen()])

    def chosen(self) -> list[str]:
        return [text.split(SEPARATOR)[0].strip() for text in self.codes.stringList()]

    def set_chosen(self, codes: tuple[str, ...] | list[str]) -> None:
        self.codes.setStringList([self._label(c) for c in codes])

    def add_entry(self) -> None:
        code = self.entry.text().split(SEPARATOR)[0].strip()
        if not code:
            return
        code = normalize(code) if len(code) <= 8 else code
        if code not in self.chosen():
            self.set_chosen([*self.chosen(), code])
        # The completer re-fills the entry after activated() returns: clear it once that is done.
        self.entry.clear()
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self.entry.clear)

    def remove_selected(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self.codes.removeRow(index.row())

    def is_blank(self) -> bool:
        return not self.chosen() and not self.entry.text().strip()
