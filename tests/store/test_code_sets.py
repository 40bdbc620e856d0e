"""Code sets by date on a real database: the next ICD-10-CM release loaded beside the bundled one (from
either CDC layout), sessions on either side of 2026-10-01 checked against their own release when saved,
in pre-flight, on import and in `check`; bad or partial files refused with nothing stored; and a CSV
list of CPT/HCPCS codes carrying effective dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kettrack.core.icd10 import Icd10Index
from kettrack.core.problems import InvalidInput
from kettrack.core.records import InfusionRecord, PatientRecord
from kettrack.services import code_sets
from kettrack.services.workspace import Workspace
from kettrack.store.database import Database
from kettrack.store.models import AuditLogEntry, Icd10Release, Icd10ReleaseCode
from tests.code_sets_kit import AFTER, BEFORE, CHILDREN, SPLIT, WARNING, write_order_file, write_tabular_xml
from tests.conftest import TODAY


@pytest.fixture(scope="session")
def release_files(tmp_path_factory: pytest.TempPathFactory, icd10: Icd10Index) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("releases")
    return {"order": write_order_file(icd10, folder), "xml": write_tabular_xml(icd10, folder)}


def _rows(ws: Workspace) -> tuple[int, int, int]:
    with ws.db.reader() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Icd10Release)) or 0),
            int(session.scalar(select(func.count()).select_from(Icd10ReleaseCode)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0),
        )


def _session(ws: Workspace, day: date, *codes: str) -> InfusionRecord:
    patient = ws.patients.list()[0].id if ws.patients.count() else None
    if patient is None:
        patient = ws.patients.add(PatientRecord(legal_name="Ann Able", date_of_birth=date(1980, 5, 1))).id
    assert patient is not None
    return ws.infusions.add(InfusionRecord(patient_id=patient, service_date=day, diagnoses=codes))


def _refused(call: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()
    assert any(message in m for m in caught.value.for_field(field)), caught.value.problems


@pytest.mark.parametrize("layout", ["order", "xml"])
def test_the_next_release_loads_beside_the_bundled_one(
    workspace: Workspace, release_files: dict[str, Path], layout: str, db_path: Path
) -> None:
    assert code_sets.coverage_warning(workspace, AFTER) == WARNING
    stored = code_sets.load_icd10_release(workspace, release_files[layout])
    assert (stored.label, stored.fiscal_year, stored.effective_from) == ("FY2027", 2027, date(2026, 10, 1))
    assert stored.code_count == 74_721 and len(stored.source_sha256) == 64
    releases = workspace.icd10()
    assert [r.label for r in releases.releases] == ["FY2026", "FY2027"]
    assert [(p.label, p.starts, p.ends, p.bundled) for p in code_sets.release_periods(releases)] == [
        ("FY2026", date(2025, 10, 1), date(2026, 9, 30), True),
        ("FY2027", date(2026, 10, 1), date(2027, 9, 30), False),
    ]
    assert code_sets.coverage_warning(workspace, AFTER) is None  # gone once the next release is there
    # Every desk (another workspace on the same database) has it; the audit says who loaded it.
    other = Workspace(Database.open(db_path), today=lambda: TODAY)
    try:
        assert other.icd10().in_force(AFTER).label == "FY2027"
    finally:
        other.close()
    with workspace.db.reader() as session:
        last = session.execute(
            select(AuditLogEntry.action, AuditLogEntry.record_kind).order_by(AuditLogEntry.sequence.desc())
        ).first()
    assert last is not None and tuple(last) == ("import", "icd10_release")


def test_sessions_are_checked_against_the_release_of_their_date(
    workspace: Workspace, release_files: dict[str, Path]
) -> None:
    code_sets.load_icd10_release(workspace, release_files["order"])
    assert _session(workspace, BEFORE, SPLIT).diagnoses == (SPLIT,)
    assert _session(workspace, AFTER, CHILDREN[0]).diagnoses == (CHILDREN[0],)
    _refused(
        lambda: _session(workspace, AFTER, SPLIT),
        "diagnoses",
        "F32.A is no longer billable from 2026-10-01 (FY2027): it was split into F32.A1 or F32.A2",
    )
    _refused(
        lambda: _session(workspace, BEFORE, CHILDREN[1]),
        "diagnoses",
        "F32.A2 takes effect 2026-10-01 (FY2027); the FY2026 codes apply on 2026-09-15",
    )
    # Moving a session across the boundary re-checks its codes against the other release.
    early = next(s for s in workspace.infusions.list() if s.diagnoses == (SPLIT,))
    _refused(
        lambda: workspace.infusions.update(replace(early, service_date=AFTER)),
        "diagnoses",
        "no longer billable",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("icd10cm_order_2028.txt", b"F4310   PTSD\n" * 1, "holds 1 billable codes"),
        ("icd10cm_tabular_2028.xml", b"<ICD10CM.tabular><chapter>", "the XML cannot be read"),
        ("icd10cm_order_2026.txt", None, "FY2026 comes with kettrack already"),
        ("codes.txt", None, "does not say which fiscal year it is: give it with --fiscal-year"),
        ("icd10cm_order_2040.txt", None, "fiscal year 2040 is not one of ICD-10-CM's"),
    ],
)
def test_a_bad_or_partial_file_is_refused_and_nothing_is_stored(
    workspace: Workspace,
    release_files: dict[str, Path],
    tmp_path: Path,
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content if content is not None else release_files["order"].read_bytes())
    before = _rows(workspace)
    _refused(lambda: code_sets.load_icd10_release(workspace, path), "file", message)
    assert _rows(workspace) == before
    assert [r.label for r in workspace.icd10().releases] == ["FY2026"]


def test_the_same_release_twice_is_refused_and_a_loaded_one_can_be_removed(
    workspace: Workspace, release_files: dict[str, Path]
) -> None:
    code_sets.load_icd10_release(workspace, release_files["order"])
    before = _rows(workspace)
    _refused(
        lambda: code_sets.load_icd10_release(workspace, release_files["xml"]),
        "file",
        "FY2027 (from 2026-10-01) is loaded already: remove it first with "
        "`kettrack codes icd10 --remove FY2027`",
    )
    assert _rows(workspace) == before
    _refused(lambda: code_sets.remove_icd10_release(workspace, "FY2026"), "label", "comes with kettrack")
    _refused(lambda: code_sets.remove_icd10_release(workspace, "FY2031"), "label", "(loaded: FY2027)")
    assert code_sets.remove_icd10_release(workspace, "fy2027").label == "FY2027"
    assert _rows(workspace)[:2] == (0, 0)
    assert [r.label for r in workspace.icd10().releases] == ["FY2026"]


def test_an_april_update_is_its_own_release(
    workspace: Workspace, release_files: dict[str, Path], tmp_path: Path
) -> None:
    april = tmp_path / "icd10cm-order-April-2027.txt"
    april.write_bytes(release_files["order"].read_bytes())
    code_sets.load_icd10_release(workspace, release_files["order"])
    stored = code_sets.load_icd10_release(workspace, april)
    assert (stored.label, stored.effective_from) == ("FY2027 April", date(2027, 4, 1))
    releases = workspace.icd10()
    assert releases.period(releases.releases[1]) == (date(2026, 10, 1), date(2027, 3, 31))


def test_check_reports_codes_no_longer_billable_on_their_date_and_the_coverage_gap(
    workspace: Workspace, release_files: dict[str, Path], db_path: Path
) -> None:
    from kettrack.services.check import check_database

    _session(workspace, BEFORE, SPLIT)
    late = _session(workspace, AFTER, SPLIT)  # accepted while FY2026 was the newest release
    report = check_database(db_path)
    assert report.ok and f"1 session: {WARNING}" in report.notes
    code_sets.load_icd10_release(workspace, release_files["order"])
    report = check_database(db_path)
    assert report.problems == [
        f"session {late.id} (2026-11-02): F32.A is no longer billable from 2026-10-01 (FY2027): it was split "
        "into F32.A1 or F32.A2"
    ]
    assert not any("Sessions after" in note for note in report.notes)
    assert "diagnoses against the ICD-10-CM release of each date of service" in report.checked


def test_preflight_checks_each_line_against_the_release_of_its_date(
    workspace: Workspace, release_files: dict[str, Path]
) -> None:
    from kettrack.core.superbill import coverage_warnings
    from kettrack.services.demo import fill_demo
    from kettrack.services.superbills import SuperbillRequest

    fill_demo(workspace, claims=False)
    template = next(s for s in workspace.infusions.list() if s.provider_id is not None)
    early = workspace.infusions.add(
        replace(template, id=None, service_date=BEFORE, diagnoses=(SPLIT,), payments=())
    )
    late = workspace.infusions.add(
        replace(template, id=None, service_date=AFTER, diagnoses=(SPLIT,), payments=())
    )

    def problems(session_id: Any) -> list[str]:
        bill = workspace.superbills.assemble(SuperbillRequest(infusion_ids=(session_id,)))
        found = workspace.superbills.check(bill)
        return [getattr(p, "message", p) for p in found]

    bill = workspace.superbills.assemble(SuperbillRequest(infusion_ids=(late.id,)))
    assert coverage_warnings(bill, workspace.icd10()) == [WARNING]
    assert not any("F32.A" in str(p) for p in problems(late.id))
    code_sets.load_icd10_release(workspace, release_files["xml"])
    assert coverage_warnings(bill, workspace.icd10()) == []
    assert any("F32.A is no longer billable from 2026-10-01 (FY2027)" in str(p) for p in problems(late.id))
    assert not any("F32.A" in str(p) for p in problems(early.id))


def test_import_checks_each_session_against_the_release_of_its_date(
    workspace: Workspace, release_files: dict[str, Path], template_db: Path, tmp_path: Path
) -> None:
    import shutil

    from kettrack.services.transfer import export_data, import_data

    _session(workspace, BEFORE, SPLIT)
    _session(workspace, AFTER, SPLIT)
    data = export_data(workspace)
    targets = []
    for name in ("with-fy2027.sqlite3", "fy2026-only.sqlite3"):
        shutil.copyfile(template_db, tmp_path / name)
        targets.append(Workspace.open(tmp_path / name, today=lambda: TODAY))
    try:
        with_next, only_bundled = targets
        code_sets.load_icd10_release(with_next, release_files["order"])
        with pytest.raises(InvalidInput) as caught:
            import_data(with_next, data)
        messages = [p.message for p in caught.value.problems]
        assert any("F32.A is no longer billable from 2026-10-01 (FY2027)" in m for m in messages), messages
        assert len([m for m in messages if "F32.A" in m]) == 1  # the September session is right
        assert with_next.infusions.count() == 0
        assert import_data(only_bundled, data).counts["infusions"] == 2
    finally:
        for ws in targets:
            ws.close()


def test_a_code_list_carries_effective_dates_and_replacements(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(
        "code,description,kind,from,to,replaced_by\n"
        "G9990,Old monitoring code in our words,other,2020-01-01,2026-06-30,G9991\n"
        "G9991,New monitoring code in our words,other,2026-07-01,,\n"
    )
    assert code_sets.load_code_list(workspace, path) == 2
    catalog = workspace.codes.catalog()
    assert catalog.date_problem("G9990", date(2026, 8, 1)) == "G9990 was retired on 2026-06-30: use G9991"
    assert catalog.date_problem("G9991", date(2026, 6, 1)) == "G9991 is valid only from 2026-07-01: use G9990"
    assert catalog.date_problem("G9991", date(2026, 8, 1)) is None
    # The esketamine transition that ships with kettrack answers the same way.
    assert catalog.date_problem("S0013", date(2026, 2, 1)) == "S0013 was retired on 2025-12-31: use J0013"
    assert (
        catalog.date_problem("J0013", date(2025, 12, 1)) == "J0013 is valid only from 2026-01-01: use S0013"
    )


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        ("code,description\nG9990,x\n", "file", "the first line must name the columns"),
        ("code,description,kind,from,to,replaced_by\nG99,x,other,,,\n", "line 2: code", "is not a CPT"),
        (
            "code,description,kind,from,to,replaced_by\nG9990,x,other,2026-13-01,,\n",
            "line 2",
            "cannot be read",
        ),
        (
            "code,description,kind,from,to,replaced_by\nG9990,x,other,2026-05-01,2026-04-01,\n",
            "line 2: effective_to",
            "cannot end before it starts",
        ),
        (
            "code,description,kind,from,to,replaced_by\nG9990,x,other,,,\nG9990,y,other,,,\n",
            "line 3: code",
            "appears twice",
        ),
    ],
)
def test_a_bad_code_list_stores_nothing(
    workspace: Workspace, tmp_path: Path, content: str, field: str, message: str
) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(content)
    before = len(list(workspace.codes.catalog()))
    _refused(lambda: code_sets.load_code_list(workspace, path), field, message)
    assert len(list(workspace.codes.catalog())) == before


def test_the_release_loads_on_postgresql_too(
    pg_url: str, release_files: dict[str, Path], icd10: Icd10Index
) -> None:
    ws = Workspace(Database.open(pg_url), today=lambda: TODAY)
    try:
        code_sets.load_icd10_release(ws, release_files["order"])
        assert (
            ws.icd10().problem_with(SPLIT, AFTER) is not None
            and ws.icd10().problem_with(SPLIT, BEFORE) is None
        )
        assert _session(ws, AFTER, CHILDREN[1]).diagnoses == (CHILDREN[1],)
    finally:
        ws.close()
