"""The PySide6 window of kettrack: main window, views, item models, dialogs and workers.

Only this package imports Qt; it talks to the database solely through a Workspace's repositories.
Importing it first protects the interpreter from PySide6 6.12's reference-count bug (see refcounts).
"""

from kettrack.ui import refcounts

refcounts.protect()
