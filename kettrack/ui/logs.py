"""The window's log file: a rotating ``kettrack.log`` (1 MB, five old ones kept) in the user's log
folder (``platformdirs.user_log_dir("kettrack")``, or ``$KETTRACK_LOG_DIR``), owner-only: the folder
0700, every file 0600 from its first byte.

What goes in: each database operation of the window by what it is ("save infusion", "issue
superbill"), how long it took and, when it failed, the exception's type; unexpected errors with their
stack frames (kettrack.ui.errors); and kettrack's own warnings (a keyring that cannot be read, an audit
anchor that cannot be written). Never patient data: no record, no typed text, no exception message.

Set up by ``kettrack.ui.app.run`` when the window starts. The command line does not write this log: it
says what went wrong on stderr, where the person running it sees it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

LOG_DIR_VARIABLE = "KETTRACK_LOG_DIR"
FILE_NAME = "kettrack.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_dir() -> Path:
    """Where the log files go: $KETTRACK_LOG_DIR, else the platform's log folder for kettrack."""
    configured = os.environ.get(LOG_DIR_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_log_dir

    return Path(user_log_dir("kettrack", appauthor=False))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files are created owner-only (never readable for a moment)."""

    def _open(self) -> Any:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.baseFilename, flags, 0o600)
        os.fchmod(fd, 0o600)  # a file an older kettrack made with the umask's mode
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)


_handler: PrivateRotatingFileHandler | None = None


def start(folder: Path | None = None) -> Path:
    """Send kettrack's log (the ``kettrack`` logger, INFO and up) to the rotating file; returns its
    path. Calling it again changes nothing."""
    global _handler
    if _handler is not None:
        return Path(_handler.baseFilename)
    from kettrack.services.location import own_private_dir

    target = own_private_dir(folder or log_dir()) / FILE_NAME
    handler = PrivateRotatingFileHandler(target, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("kettrack")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    _handler = handler
    return target


def stop() -> None:
    """Close the file (tests; the window's process simply exits)."""
    global _handler
    if _handler is not None:
        logging.getLogger("kettrack").removeHandler(_handler)
        _handler.close()
        _handler = None
