"""Benchmarks for superbills (issue 3).

1. One one-page superbill from the database (assemble + pre-flight + render), against ReportLab
   alone building the same document from in-memory data (the superbill already assembled), as a
   ratio in one run (target: within 1.5x). For scale it also prints a bare ReportLab table of the
   same lines (default font, no styling), which is not the comparison the target is about.
2. 1,000 one-page superbills in one batch on this machine, assembled from the database and rendered
   on worker processes (target: under 15 s).
"""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import LETTER
from reportlab.platypus import SimpleDocTemplate, Table

from kettrack.reports.batch import render_superbills
from kettrack.reports.superbill import render_superbill
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import SuperbillRequest

pytestmark = pytest.mark.bench


def _reportlab_alone(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER, invariant=True).build([Table(rows, repeatRows=1)])
    return buffer.getvalue()


def _median_ms(action: Any, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def test_superbill_from_the_database(
    workspace: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fill_demo(workspace, claims=False)
    session_id = workspace.infusions.list()[0].id
    request = SuperbillRequest(infusion_ids=(session_id,))

    def from_database() -> bytes:
        bill = workspace.superbills.assemble(request)
        assert workspace.superbills.check(bill) == []
        return render_superbill(bill)

    bill = workspace.superbills.assemble(request)
    rows = [["Date", "POS", "Code", "Mod.", "Description", "Dx", "Units", "Charge"]] + [
        [
            ln.service_date.isoformat(),
            ln.place_of_service,
            ln.code,
            " ".join(ln.modifiers),
            ln.description,
            ln.pointers,
            str(ln.units),
            f"${ln.charge:,.2f}",
        ]
        for ln in bill.lines
    ]
    from_database()
    _reportlab_alone(rows)  # warm all three
    ours = _median_ms(from_database)
    in_memory = _median_ms(lambda: render_superbill(bill))
    alone = _median_ms(lambda: _reportlab_alone(rows))

    # 1,000 one-page superbills: assembled from the database, rendered on worker processes.
    sessions = [s.id for s in workspace.infusions.list()]
    requests = [SuperbillRequest(infusion_ids=(sessions[n % len(sessions)],)) for n in range(1000)]
    start = time.perf_counter()
    bills = [workspace.superbills.assemble(r) for r in requests]
    assembled = time.perf_counter() - start
    pdfs = render_superbills(bills)
    batch = time.perf_counter() - start
    assert len(pdfs) == 1000 and all(p.startswith(b"%PDF") for p in pdfs)
    with capsys.disabled():
        print(
            f"\none-page superbill from the database {ours:.1f} ms vs ReportLab alone on the same document "
            f"from memory {in_memory:.1f} ms: ratio {ours / in_memory:.2f}x (target 1.5x; medians of 15); "
            f"a bare unstyled ReportLab table of the same lines: {alone:.1f} ms\n"
            f"1,000 one-page superbills: {batch:.1f} s in all ({assembled:.1f} s assembling from the "
            f"database, the rest rendering on worker processes; target 15 s)"
        )
