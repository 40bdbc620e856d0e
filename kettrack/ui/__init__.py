"""The PySide6 window of kettrack: main window, views, item models, dialogs and workers.

Only this package imports Qt. It talks to the database solely through a Workspace's repositories and
the use cases in kettrack.services, and only through the operation helper (kettrack.ui.operations), on
one database worker thread; unexpected errors go to kettrack.ui.errors, the log to kettrack.ui.logs.
"""
