"""The claim window's Letters menu: a button whose menu starts a letter of medical necessity, a prior
authorization request or an external review request for the claim (the Appeal… button starts the
appeal). What each entry does is the claim window's ``start_letter``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from kettrack.core.letter_kinds import LetterKind
from kettrack.ui.basics import tr

__all__ = ["LETTERS", "LettersButton"]

# The menu's entries, in the order a claim usually needs them.
LETTERS: tuple[tuple[str, LetterKind], ...] = (
    ("Letter of medical necessity…", LetterKind.MEDICAL_NECESSITY),
    ("Prior authorization request…", LetterKind.PRIOR_AUTHORIZATION),
    ("External review request…", LetterKind.EXTERNAL_REVIEW),
)


class LettersButton(QPushButton):
    """ "Letters" with a menu of the letters a claim can start; ``actions`` by kind."""

    def __init__(self, start: Callable[[LetterKind], object], parent: QWidget | None = None) -> None:
        super().__init__(tr("Letters"), parent)
        self.setObjectName("claim_letters")
        self.menu_of_letters = QMenu(self)
        self.actions_by_kind: dict[LetterKind, QAction] = {}
        for text, kind in LETTERS:
            action = self.menu_of_letters.addAction(tr(text))
            action.setObjectName(f"letter_{kind.value}")
            action.triggered.connect(lambda _checked=False, k=kind: start(k))
            self.actions_by_kind[kind] = action
        self.setMenu(self.menu_of_letters)
