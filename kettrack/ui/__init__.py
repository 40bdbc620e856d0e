"""The PySide6 window of kettrack: main window, views, item models, dialogs and workers.

Only this package imports Qt; it talks to the database solely through a Workspace's repositories.
"""
