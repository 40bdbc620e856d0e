"""The operation helper (kettrack.ui.operations) for the modules the first paint needs: the same
``query`` and ``change``, with kettrack.ui.operations (and the worker machinery under it) imported on
first use, after the first rows are on screen."""

from __future__ import annotations

from typing import Any


def query(owner: Any, work: Any, on_done: Any, what: str, **options: Any) -> Any:
    """kettrack.ui.operations.query, imported on first use."""
    from kettrack.ui.operations import query

    return query(owner, work, on_done, what=what, **options)


def change(owner: Any, work: Any, on_done: Any, what: str, **options: Any) -> Any:
    """kettrack.ui.operations.change, imported on first use."""
    from kettrack.ui.operations import change

    return change(owner, work, on_done, what=what, **options)
