"""Benchmark: code sets by date (issue 15).

1. Loading a whole ICD-10-CM release into the database: the CDC order file of the synthetic FY2027
   (74,721 billable codes, about 10 MB) and the CDC's own tabular XML of April 2026 (the file that
   ships in simple-icd-10-cm, 74,795 codes once its 7th characters are expanded), each read, checked
   and written in one transaction with its audit entry. Target: under 5 s.
2. Checking 100,000 sessions, half on each side of 2026-10-01, against the release in force on each
   date of service: read from the database and checked, as `kettrack check` does. Target: under 2 s.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from kettrack.core.enums import Drug, Route
from kettrack.services import code_sets
from kettrack.services.workspace import Workspace
from kettrack.store.models import Infusion, InfusionDiagnosis, Patient
from tests.code_sets_kit import write_order_file

pytestmark = pytest.mark.bench

SESSIONS = 100_000
CODES = ("F33.2", "F33.1", "F43.12", "F41.1", "G89.29", "M79.7", "F32.A", "F32.A1", "R45.851", "G90.512")


def _fill_sessions(ws: Workspace) -> None:
    rng = random.Random(15)
    with ws.db.session() as session:
        session.execute(insert(Patient), [{"legal_name": f"Bench Patient {i}"} for i in range(500)])
        first = date(2026, 4, 1)
        session.execute(
            insert(Infusion),
            [
                {
                    "patient_id": 1 + i % 500,
                    "service_date": first + timedelta(days=i % 236),  # 2026-04-01 .. 2026-11-22
                    "place_of_service": "11",
                    "drug": Drug.KETAMINE,
                    "route": Route.IV,
                }
                for i in range(SESSIONS)
            ],
        )
        session.execute(
            insert(InfusionDiagnosis),
            [
                {"infusion_id": i + 1, "position": p, "code": code}
                for i in range(SESSIONS)
                for p, code in enumerate(rng.sample(CODES, 1 + i % 2))
            ],
        )


def test_loading_a_release_and_checking_sessions_by_date(
    workspace: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import simple_icd_10_cm

    bundled = workspace.icd10().oldest
    order = write_order_file(bundled, tmp_path)
    xml = Path(simple_icd_10_cm.__file__).parent / "data" / "icd10c-tabular-April-1-2026.xml"

    loads: list[float] = []
    for _ in range(3):
        start = time.perf_counter()
        stored = code_sets.load_icd10_release(workspace, order)
        loads.append(time.perf_counter() - start)
        assert stored.code_count == 74_721
        code_sets.remove_icd10_release(workspace, stored.label)
    start = time.perf_counter()
    from_xml = code_sets.load_icd10_release(workspace, xml, fiscal_year=2027, april_update=False)
    xml_load = time.perf_counter() - start
    code_sets.remove_icd10_release(workspace, from_xml.label)
    code_sets.load_icd10_release(workspace, order)

    _fill_sessions(workspace)
    start = time.perf_counter()
    workspace.icd10()
    releases_read = time.perf_counter() - start
    checks: list[float] = []
    for _ in range(3):
        start = time.perf_counter()
        problems, notes = code_sets.session_code_findings(workspace)
        checks.append(time.perf_counter() - start)
    # F32.A after 2026-09-30 and F32.A1 before 2026-10-01: every such session is named, nothing else is.
    late = [p for p in problems if "F32.A is no longer billable from 2026-10-01" in p]
    early = [p for p in problems if "F32.A1 takes effect 2026-10-01" in p]
    assert late and early and len(late) + len(early) == len(problems)
    assert notes == []  # FY2027 covers every date of service
    with capsys.disabled():
        print(
            f"\nICD-10-CM release loaded into the database (read, checked, 74,721 codes written, audited): "
            f"order file {statistics.median(loads):.2f} s "
            f"(median of {', '.join(f'{t:.2f}' for t in loads)}), "
            f"the CDC's tabular XML {xml_load:.2f} s (target 5 s)\n"
            f"{SESSIONS:,} sessions checked against the release of their date of service (read and checked, "
            f"{len(problems):,} problems found): {statistics.median(checks):.2f} s (median of "
            f"{', '.join(f'{t:.2f}' for t in checks)}; target 2 s); reading both releases from the database "
            f"once: {releases_read:.2f} s"
        )
