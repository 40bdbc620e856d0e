"""Small helpers every view uses: translation, date conversion, the patient filter, and the yes/no and
warning boxes. Kept apart from kettrack.ui.forms (the dialog machinery) so the first window can show
without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QWidget

from kettrack.core.rows import Choice

DATE_FORMAT = "yyyy-MM-dd"


def tr(text: str) -> str:
    """Translate a user-visible string (module-level code has no QObject to ask)."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("kettrack", text)


def qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question; tests patch this function to answer without a modal loop."""
    from PySide6.QtWidgets import QMessageBox  # not at import: the first paint does without it

    answer = QMessageBox.question(
        parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    )
    return answer == QMessageBox.StandardButton.Yes


def tell(parent: QWidget | None, title: str, text: str) -> None:
    """Explain why something could not be done; tests patch this too."""
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.warning(parent, title, text)


def fill_patient_filter(combo: QComboBox, choices: Iterable[Choice]) -> None:
    """ "All patients" then each patient, keeping the current choice, without firing a change."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(tr("All patients"), None)
    for choice in choices:
        combo.addItem(choice.label, choice.id)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)
