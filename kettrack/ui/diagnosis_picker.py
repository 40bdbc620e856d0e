"""The diagnosis picker of the session dialog: an ICD-10-CM code entry that completes "code —
description" as you type from the release in force on the session's date of service (once the
releases, loaded off the GUI thread, are handed in), and the list of the codes chosen. A code that is
not billable on that date is named with the codes that replace it, and a date past the newest release
loaded gets the warning that says which release to load."""

from __future__ import annotations

from datetime import date

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

from kettrack.core.icd10 import Icd10Index, has_code_shape, normalize
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.ui.basics import tr
from kettrack.ui.code_set_notice import WINDOW_HOW

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
        self.status.setWordWrap(True)
        self.status.setObjectName("diagnosis_status")
        self._icd: Icd10Releases | None = None
        self._day: date | None = None
        self._completing: Icd10Index | None = None  # the release the completer lists
        self.entry.textEdited.connect(self._typed)

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

    def set_index(self, icd: Icd10Releases) -> None:
        self._icd = icd
        self._follow_release()

    def set_service_date(self, day: date | None) -> None:
        """Complete and check codes against the release in force on ``day``."""
        self._day = day
        if self._icd is not None:
            self._follow_release()

    def _follow_release(self) -> None:
        assert self._icd is not None
        release = self._icd.in_force(self._day)
        if release is not self._completing:
            self._completing = release
            self.completer.setModel(
                QStringListModel([f"{c}{SEPARATOR}{d}" for c, d in release.items()], self.completer)
            )
        self._refresh_labels()
        self._show_status(self._icd.coverage_warning(self._day, WINDOW_HOW))

    def _show_status(self, message: str | None) -> None:
        """The coverage warning, or what is wrong with the code typed; hidden when there is neither."""
        if message:
            self.status.setText(message)
            self.status.setStyleSheet("color: #9a5b00;")
            self.status.show()
        else:
            self.status.hide()

    def _typed(self, text: str) -> None:
        if self._icd is None:
            return
        code = text.split(SEPARATOR)[0].strip()
        problem = None
        # Only a complete-looking code is judged: "F3" is a start, not a mistake.
        if has_code_shape(code) and len(code.replace(".", "")) >= 4:
            problem = self._icd.problem_with(code, self._day)
        self._show_status(problem or self._icd.coverage_warning(self._day, WINDOW_HOW))

    def index_failed(self, error: BaseException) -> None:
        self.status.setText(tr("The code list could not be loaded; codes can still be typed."))

    def _completed(self, text: str) -> None:
        self.entry.setText(text)
        self.add_entry()

    def _label(self, code: str) -> str:
        if self._icd is None:
            return code
        description = self._icd.describe(code, self._day)
        label = f"{code}{SEPARATOR}{description}" if description else code
        problem = self._icd.problem_with(code, self._day) if has_code_shape(code) else None
        return f"{label}{SEPARATOR}{problem}" if problem else label

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
        if self._icd is not None and has_code_shape(code):
            self._show_status(
                self._icd.problem_with(code, self._day) or self._icd.coverage_warning(self._day, WINDOW_HOW)
            )
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
