"""Wizard pages that save before moving on: Next (or Finish) starts the page's save on the database
worker (kettrack.ui.operations) and the page moves on by itself once the save has reported back; a
failed save says why on the page, which stays. ``RecordPage`` saves records from forms, and an
untouched one is skipped. The first-run assistant (kettrack.ui.first_run) is built from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWizardPage

from kettrack.core.problems import InvalidInput
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ErrorForm
from kettrack.ui.operations import change, query


class SavingPage(QWizardPage):
    """A page whose Next (or Finish) saves first, on the database worker: Next waits for the save to
    report back, and the page moves on by itself once it has (at once when the work runs inline). A
    save that fails says why on the page, which stays."""

    def __init__(self) -> None:
        super().__init__()
        self._passed = False  # saved: the next validatePage lets the wizard move on
        self._saving = False
        self._inline = False
        self._moved = False

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if self._saving:
            return False  # pressed again while saving: the page moves on when that is done
        self._moved, self._inline = False, True
        try:
            moving = self.start_save()
        finally:
            self._inline = False
        return moving or self._moved

    def start_save(self) -> bool:
        """Start what Next saves (with ``write`` and ``read``, ending in ``move_on``); True to move on
        without saving anything."""
        return True

    def write(self, work: Callable[[], Any], on_done: Callable[[Any], object], **options: Any) -> None:
        self.begin_saving()
        change(self, work, on_done, after=self.saving_done, **options)

    def read(self, work: Callable[[], Any], on_done: Callable[[Any], object], **options: Any) -> None:
        self.begin_saving()
        query(self, work, on_done, after=self.saving_done, **options)

    def begin_saving(self) -> None:
        """A save is on its way (``write`` and ``read`` say so themselves; a page saving by other means
        calls this, and ``saving_done`` once it has reported back): Next waits meanwhile."""
        self._saving = True

    def saving_done(self) -> None:
        self._saving = False  # a next step sets it again

    def move_on(self) -> None:
        """Everything is saved: go to the next page (or finish)."""
        if self._inline:
            self._moved = True  # validatePage says so itself
            return
        wizard = self.wizard()
        if wizard is None or wizard.currentPage() is not self:
            return
        self._passed = True
        if wizard.nextId() == -1:
            wizard.accept()
        else:
            wizard.next()


class RecordPage(SavingPage):
    """A page saving one or more records from forms; an untouched page is skipped."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.saved_ids: dict[str, int] = {}
        self.layout_ = QVBoxLayout(self)

    def is_blank(self) -> bool:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def save(self) -> None:
        """Start saving the page's records (raises InvalidInput for what the form itself refuses)."""
        raise NotImplementedError

    def errors(self) -> ErrorForm:
        raise NotImplementedError

    def start_save(self) -> bool:
        self.errors().clear_problems()
        if self.is_blank():
            return True
        try:
            self.save()
        except InvalidInput as exc:
            self.errors().show_problems(exc.problems)
        return False

    def upsert(
        self,
        key: str,
        repository: Any,
        record: Any,
        then: Callable[[Any], object],
        *,
        kind: str,
        form: ErrorForm,
    ) -> None:
        """Add the record, or update the one this page added before (after Back, then Next); then
        ``then(saved)``."""
        known = self.saved_ids.get(key)

        def save() -> Any:
            return (
                repository.update(replace(record, id=known)) if known is not None else repository.add(record)
            )

        def saved(result: Any) -> None:
            self.saved_ids[key] = result.id
            then(result)

        self.write(save, saved, what=f"save first {kind}", bus=self.bus, changes=(kind,), form=form)

    bus: ChangeBus
