"""Render many documents at once on every core: ReportLab is pure Python, so threads would queue on
the GIL; worker processes do not. Workers are spawned, never forked, because the GUI process runs
Qt threads that a fork would copy in an undefined state.

Superbills go to the workers in small chunks as the caller produces them, so the caller can go on
assembling the next ones from the database while the first are drawn."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice

from kettrack.core.superbill import Superbill
from kettrack.reports import fonts
from kettrack.reports.superbill import render_superbill

_SMALL_BATCH = 8  # below this, starting workers costs more than it saves
_CHUNK = 16  # superbills per task: enough to amortise the hand-over, small enough to overlap and balance


def _start_worker() -> None:
    fonts.register()  # while the caller assembles the first chunk


def _render_chunk(bills: list[Superbill], draft: bool) -> list[bytes]:
    return [render_superbill(bill, draft=draft) for bill in bills]


def _chunks(bills: Iterator[Superbill], size: int) -> Iterator[list[Superbill]]:
    while chunk := list(islice(bills, size)):
        yield chunk


def render_superbills(
    bills: Iterable[Superbill], *, draft: bool = False, workers: int | None = None
) -> list[bytes]:
    """PDF bytes for each superbill, in order; ``bills`` may be a generator (see the module)."""
    stream = iter(bills)
    first = list(islice(stream, _SMALL_BATCH))
    count = workers or os.cpu_count() or 1
    if len(first) < _SMALL_BATCH or count == 1:
        return _render_chunk(first + list(stream), draft)
    context = multiprocessing.get_context("spawn")
    pending: list[Future[list[bytes]]] = []
    with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_start_worker) as pool:
        try:
            for chunk in _chunks(chain(first, stream), _CHUNK):
                pending.append(pool.submit(_render_chunk, chunk, draft))
        except BaseException:  # the caller's generator failed: drop what has not started
            pool.shutdown(cancel_futures=True)
            raise
        return [pdf for future in pending for pdf in future.result()]
