"""The window's handler for unexpected errors: "Something went wrong" with a "Copy details" button, for
a failure the operation helper has no words for, for ``sys.excepthook`` and for an error on another
thread; the details are the exception's type and frames, never its message (which can quote a patient)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kettrack.ui import errors
from kettrack.ui.operations import Pool, query

SECRET = "Ada Quill, member XYZ123"


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[errors.ErrorReporter]:
    """The handlers app.run installs (errors.install), for this test only."""
    errors.reporter.make_relay()
    monkeypatch.setattr(sys, "excepthook", errors._excepthook)
    monkeypatch.setattr(threading, "excepthook", errors._thread_excepthook)
    yield errors.reporter
    if errors.reporter.dialog is not None:
        errors.reporter.dialog.reject()


def _shown(reporter: errors.ErrorReporter) -> bool:
    return reporter.dialog is not None and reporter.dialog.isVisible()


def test_an_unexpected_failure_says_something_went_wrong_without_its_message(
    qtbot: QtBot, owner: QWidget, database_worker: Pool, handler: errors.ErrorReporter
) -> None:
    def read_the_plan() -> None:
        raise ValueError(f"{SECRET} has no plan")

    query(owner, read_the_plan, what="read plan")
    qtbot.waitUntil(lambda: _shown(handler), timeout=5000)
    dialog = handler.dialog
    assert dialog is not None
    assert "Something went wrong" in dialog.heading.text()
    details = dialog.details.toPlainText()
    assert details.splitlines()[-1] == "ValueError"
    assert 'tests/ui/test_errors.py", line ' in details and ", in read_the_plan" in details
    assert "Ada Quill" not in details and "XYZ123" not in details and "no plan" not in details
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == details


def test_sys_excepthook_and_other_threads_reach_the_same_dialog(
    qtbot: QtBot, handler: errors.ErrorReporter
) -> None:
    try:
        raise KeyError(SECRET)
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert _shown(handler)

    def on_a_thread() -> None:
        raise RuntimeError(SECRET)

    worker = threading.Thread(target=on_a_thread)
    worker.start()
    worker.join()
    dialog = handler.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "RuntimeError" in dialog.details.toPlainText(), timeout=5000)
    details = dialog.details.toPlainText()
    assert "KeyError" in details and ", in on_a_thread" in details and "XYZ123" not in details
    assert dialog.count == 2 and "2 errors" in dialog.windowTitle()


def test_details_follow_the_chain_of_causes_without_a_message() -> None:
    def inner() -> None:
        raise OSError(f"cannot read {SECRET}.pdf")

    try:
        try:
            inner()
        except OSError as exc:
            raise LookupError(SECRET) from exc
    except LookupError as outer:
        details = errors.safe_details(type(outer), outer, outer.__traceback__)
    lines = details.splitlines()
    assert lines[-1] == "LookupError" and "OSError" in lines
    assert lines.index("OSError") < lines.index("LookupError")
    assert "The above exception was the direct cause of the following exception:" in details
    assert ", in inner" in details
    assert "Ada" not in details and ".pdf" not in details and "raise" not in details  # no source lines
