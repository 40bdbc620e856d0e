"""The window's handler for unexpected errors: ``sys.excepthook`` and ``threading.excepthook`` (and the
operation helper, for a failure it has no words for) show one "Something went wrong" dialog with a
"Copy details" button, and write the same details to the log.

The details hold no patient data: the exception's type and the stack frames (file, line number,
function name), never the exception's message, the source lines or any local value. A message can quote
what was typed or stored ("no coverage for Ada Quill"), so it is left out even though it would help.

Installed by ``kettrack.ui.app.run``; importing this module changes nothing.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from kettrack.ui.basics import tr

log = logging.getLogger("kettrack.errors")

TITLE = "Something went wrong"
# Longer details are cut: a loop of errors must not grow the dialog (or the clipboard) without end.
MAX_DETAILS = 20_000
# The folder holding the kettrack package (kettrack/ui/errors.py is two levels below it).
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def _where(filename: str) -> str:
    """A frame's file, shortened to the part that says which module it is (no home folder in it)."""
    path = Path(filename)
    try:
        return path.resolve().relative_to(_PACKAGE_ROOT).as_posix()
    except (ValueError, OSError):
        pass
    parts = path.parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1 :])
    return path.name or filename


def _frames(tb: TracebackType | None) -> list[str]:
    # Each frame's place only: its code's file and name and the line number; neither the source line
    # nor any local value is looked at.
    return [
        f'  File "{_where(frame.f_code.co_filename)}", line {line}, in {frame.f_code.co_name}'
        for frame, line in traceback.walk_tb(tb)
    ]


def _type_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"


def safe_details(kind: type[BaseException], error: BaseException | None, tb: TracebackType | None) -> str:
    """The exception's type and frames, and those of the exceptions it was raised from or during; never
    a message (see the module's docstring)."""
    blocks: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    current_kind, current_tb = kind, tb
    link = ""
    while True:
        lines = ["Traceback (most recent call last):", *_frames(current_tb), _type_name(current_kind)]
        blocks.append("\n".join(lines) + (f"\n\n{link}\n" if link else ""))
        if current is None:
            break
        seen.add(id(current))
        cause = current.__cause__
        context = None if current.__suppress_context__ else current.__context__
        following = cause if cause is not None else context
        if following is None or id(following) in seen:
            break
        link = (
            "The above exception was the direct cause of the following exception:"
            if cause is not None
            else "During handling of the above exception, another exception occurred:"
        )
        current, current_kind, current_tb = following, type(following), following.__traceback__
    # Innermost first was collected; print outermost last, as Python does.
    blocks.reverse()
    text = "\n".join(blocks).strip()
    return text if len(text) <= MAX_DETAILS else text[:MAX_DETAILS] + "\n…"


class _Relay(QObject):
    """Lives on the GUI thread: details caught on another thread are queued to it."""

    caught = Signal(str)


class ErrorDialog(QDialog):
    """Something went wrong: what to do, and the details to copy into a report."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("unexpected_error")
        self.setWindowTitle(tr("kettrack"))
        self.count = 0
        self.heading = QLabel(f"<b>{tr(TITLE)}</b>")
        self.heading.setObjectName("unexpected_error_title")
        explain = QLabel(
            tr(
                "kettrack ran into an error it did not expect. What you were doing may not have been "
                "saved: check it, then go on. The details say only where in kettrack it happened (no "
                "patient data); copy them into a bug report."
            )
        )
        explain.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setObjectName("unexpected_error_details")
        self.details.setReadOnly(True)
        self.details.setMinimumSize(560, 220)
        self.copy_button = QPushButton(tr("Copy details"))
        self.copy_button.setObjectName("copy_details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(explain)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def add(self, details: str) -> None:
        self.count += 1
        text = self.details.toPlainText()
        text = f"{text}\n\n----\n\n{details}" if text else details
        self.details.setPlainText(text[-MAX_DETAILS:])
        if self.count > 1:
            self.setWindowTitle(tr("kettrack: {0} errors").format(self.count))

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class ErrorReporter:
    """Owns the one error dialog; hands errors caught on other threads to the GUI thread."""

    def __init__(self) -> None:
        self.dialog: ErrorDialog | None = None
        self._relay: _Relay | None = None

    def report(
        self, kind: type[BaseException], error: BaseException | None, tb: TracebackType | None
    ) -> None:
        details = safe_details(kind, error, tb)
        log.error("unexpected error:\n%s", details)
        try:
            print(f"kettrack: unexpected error\n{details}", file=sys.stderr)
        except (OSError, ValueError):
            pass  # no terminal (a closed pipe): the log and the dialog have it
        self.show_later(details)

    def show_later(self, details: str) -> None:
        """Show ``details`` in the dialog: now on the GUI thread, else queued to it."""
        app = QCoreApplication.instance()
        if app is None:
            return  # no window to show it in: stderr and the log have it
        if threading.current_thread() is threading.main_thread():  # the GUI thread
            self.show(details)
        elif self._relay is not None:  # made on the GUI thread by install()
            self._relay.caught.emit(details)

    def show(self, details: str) -> ErrorDialog | None:
        """Add ``details`` to the dialog (made, or raised, as needed) and return the dialog."""
        if not isinstance(QCoreApplication.instance(), QApplication):
            return None
        if self.dialog is None or not shiboken6.isValid(self.dialog):
            self.dialog = ErrorDialog()
            self.dialog.finished.connect(self._closed)
        self.dialog.add(details)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def make_relay(self) -> None:
        if self._relay is None:
            self._relay = _Relay()
            self._relay.caught.connect(self.show)


reporter = ErrorReporter()


def report(error: BaseException) -> None:
    """An unexpected failure the operation helper caught: to whatever ``sys.excepthook`` is now (this
    module's handler in the window; pytest-qt's in the tests, which then fail)."""
    sys.excepthook(type(error), error, error.__traceback__)


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    reporter.report(kind, error, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    reporter.report(args.exc_type, args.exc_value, args.exc_traceback)


def install() -> None:
    """Make this module the handler of every unexpected error (call on the GUI thread, app made)."""
    reporter.make_relay()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
