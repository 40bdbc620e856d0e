"""The worker helper: results and failures come back on the GUI thread."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from kettrack.ui.workers import Workers


def test_result_arrives_on_gui_thread(qtbot: QtBot) -> None:
    workers = Workers()
    gui = threading.current_thread()
    seen: list[tuple[object, threading.Thread]] = []

    def work() -> int:
        assert threading.current_thread() is not gui
        return 42

    workers.run(work, lambda result: seen.append((result, threading.current_thread())))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(42, gui)]


def test_failure_is_delivered(qtbot: QtBot) -> None:
    workers = Workers()
    errors: list[BaseException] = []

    def work() -> None:
        raise ValueError("boom")

    workers.run(work, lambda result: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError)


def test_synchronous_mode(qtbot: QtBot) -> None:
    results: list[int] = []
    Workers(synchronous=True).run(lambda: 7, results.append)
    assert results == [7]
