"""Render many documents at once on every core: ReportLab is pure Python, so threads would queue on
the GIL; worker processes do not. Workers are spawned, never forked, because the GUI process runs
Qt threads that a fork would copy in an undefined state."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from kettrack.core.superbill import Superbill
from kettrack.reports.superbill import render_superbill

_SMALL_BATCH = 8  # below this, starting workers costs more than it saves


def _render(job: tuple[Superbill, bool]) -> bytes:
    bill, draft = job
    return render_superbill(bill, draft=draft)


def render_superbills(
    bills: Sequence[Superbill], *, draft: bool = False, workers: int | None = None
) -> list[bytes]:
    """PDF bytes for each superbill, in order."""
    jobs = [(bill, draft) for bill in bills]
    count = workers or os.cpu_count() or 1
    if len(jobs) < _SMALL_BATCH or count == 1:
        return [_render(job) for job in jobs]
    context = multiprocessing.get_context("spawn")
    chunk = max(1, len(jobs) // (count * 4))
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        return list(pool.map(_render, jobs, chunksize=chunk))
