"""Command-line tests run ``main`` in this process; every workspace it opens sees the suite's fixed
"today", so the demo's dates and the deadlines the tests quote do not move with the calendar."""

from __future__ import annotations

from typing import Any

import pytest

from kettrack.services.workspace import Workspace
from tests.conftest import TODAY


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Workspace.__init__

    def init(self: Workspace, db: Any, **kwargs: Any) -> None:
        kwargs.setdefault("today", lambda: TODAY)
        original(self, db, **kwargs)

    monkeypatch.setattr(Workspace, "__init__", init)
