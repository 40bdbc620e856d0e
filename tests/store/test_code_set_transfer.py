"""Loaded ICD-10-CM releases in the export file: a release loaded from the CDC's order file travels
whole (74,000 codes), the file's sessions are checked against it on import, and the round trip is
exact; a hostile release (a fragment, codes or descriptions no loader keeps, a label that is not its
year's, a path for a file name, two releases for one day) is refused with nothing written; and a file
bringing releases goes only into a database that has loaded none."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from kettrack.core.icd10 import Icd10Index
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import InfusionRecord, PatientRecord
from kettrack.services import code_sets
from kettrack.services.transfer import DatabaseNotEmpty, ImportRefused, export_data, import_data
from kettrack.services.workspace import Workspace
from kettrack.store.models import Base
from tests.code_sets_kit import ADDED, AFTER, BEFORE, NEW_NAME, RENAMED, SPLIT, write_order_file
from tests.conftest import TODAY
from tests.store.test_transfer import comparable


@pytest.fixture(scope="module")
def source(template_db: Path, tmp_path_factory: pytest.TempPathFactory, icd10: Icd10Index) -> dict[str, Any]:
    """An export with FY2027 loaded and a session on each side of 2026-10-01, one coded with a code
    FY2027 added (made once for the module: the file is some 10 MB)."""
    folder = tmp_path_factory.mktemp("release-source")
    path = folder / "source.sqlite3"
    shutil.copyfile(template_db, path)
    ws = Workspace.open(path, today=lambda: TODAY, icd_cache=None)
    ws._icd = Icd10Releases([icd10])
    try:
        code_sets.load_icd10_release(ws, write_order_file(icd10, folder))
        patient = ws.patients.add(PatientRecord(legal_name="Ann Able", date_of_birth=date(1980, 5, 1))).id
        assert patient is not None
        ws.infusions.add(InfusionRecord(patient_id=patient, service_date=BEFORE, diagnoses=(SPLIT,)))
        ws.infusions.add(InfusionRecord(patient_id=patient, service_date=AFTER, diagnoses=(ADDED,)))
        return export_data(ws)
    finally:
        ws.close()


@pytest.fixture
def data(source: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(source)


@pytest.fixture
def empty(template_db: Path, tmp_path: Path, icd10: Icd10Index) -> Iterator[Callable[[str], Workspace]]:
    opened: list[Workspace] = []

    def make(name: str = "target.sqlite3") -> Workspace:
        path = tmp_path / name
        shutil.copyfile(template_db, path)
        ws = Workspace.open(path, today=lambda: TODAY)
        ws._icd = Icd10Releases([icd10])
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


def _row_counts(ws: Workspace) -> dict[str, int]:
    with ws.db.reader() as session:
        return {
            name: int(session.execute(text(f"SELECT count(*) FROM {name}")).scalar() or 0)
            for name in Base.metadata.tables
        }


def _refused(ws: Workspace, data: Any) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        import_data(ws, json.loads(json.dumps(data, default=float), parse_float=Decimal))  # as read_file does
    assert set(_row_counts(ws).values()) == {0}, _row_counts(ws)
    return [str(p) for p in caught.value.problems]


def test_a_loaded_release_travels_whole_and_comes_back_exactly(
    data: dict[str, Any], empty: Callable[[str], Workspace]
) -> None:
    (release,) = data["icd10_releases"]
    assert list(release) == [
        "label", "fiscal_year", "effective_from", "source_name", "source_kind", "source_sha256", "loaded_at",
        "codes",
    ]  # fmt: skip
    assert (release["label"], release["fiscal_year"], release["effective_from"]) == (
        "FY2027",
        2027,
        "2026-10-01",
    )
    assert (release["source_name"], release["source_kind"]) == ("icd10cm_order_2027.txt", "order file")
    assert len(release["codes"]) == 74_721 and release["codes"] == sorted(release["codes"])
    assert [RENAMED, NEW_NAME] in release["codes"] and not any(c == SPLIT for c, _ in release["codes"])
    target = empty("copy.sqlite3")
    summary = import_data(target, data)
    assert summary.counts["icd10_releases"] == 1 and summary.counts["infusions"] == 2
    # The workspace reads the releases again: the imported one is in force after 2026-10-01.
    assert target.icd10().in_force(AFTER).label == "FY2027" and target.icd10().is_billable(ADDED, AFTER)
    assert comparable(export_data(target)) == comparable(data)


def test_the_files_sessions_are_checked_against_its_own_releases(
    data: dict[str, Any], empty: Callable[[str], Workspace]
) -> None:
    """Without its release, the November session's code is not one the bundled FY2026 has."""
    without = {**data, "icd10_releases": []}
    lines = _refused(empty("bundled-only.sqlite3"), without)
    assert any(line.startswith("infusions[2] (id 2): diagnoses:") and ADDED in line for line in lines), lines
    # And a session coded with what FY2027 no longer bills is refused with the file's release.
    data["infusions"][1]["diagnoses"] = [SPLIT]
    lines = _refused(empty("split.sqlite3"), data)
    assert any("F32.A is no longer billable from 2026-10-01 (FY2027)" in line for line in lines), lines


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(release: dict[str, Any]) -> None:
        release[key] = value

    return change


def _code(index: int, pair: Any) -> Callable[[dict[str, Any]], None]:
    def change(release: dict[str, Any]) -> None:
        release["codes"][index] = pair

    return change


def _cut(release: dict[str, Any]) -> None:
    del release["codes"][40_000:]


def _twice(release: dict[str, Any]) -> None:
    release["codes"][1] = list(release["codes"][0])


def _all_bad(release: dict[str, Any]) -> None:
    release["codes"] = [[code.lower(), description] for code, description in release["codes"]]


R = "icd10_releases[1] (FY2027): "
HOSTILE_RELEASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "a fragment": (
        _cut,
        R + "codes: holds 40,000 billable codes; a whole ICD-10-CM release holds over 50,000",
    ),
    "a code not of ICD-10-CM's shape": (_code(5, ["DROP", "x"]), R + "codes[6]: 'DROP' is not an"),
    "a code written otherwise": (_code(5, ["f4310", "PTSD"]), R + "codes[6]: 'f4310' is written F43.10"),
    "a code twice": (_twice, R + "codes[2]: "),
    "a pair of three": (
        _code(0, ["A00.0", "Cholera", "x"]),
        R + "codes[1]: must be a [code, description] pair",
    ),
    "a description with U+202E": (
        _code(0, ["A00.0", "Chol\u202eera"]),
        R + "codes[1] description: holds control",
    ),
    "a description with NUL": (_code(0, ["A00.0", "Chol\x00era"]), R + "codes[1] description: holds control"),
    "a description with a line break": (
        _code(0, ["A00.0", "Chol\nera"]),
        R + "codes[1] description: is not one",
    ),
    "an untrimmed description": (
        _code(0, ["A00.0", " Cholera"]),
        R + "codes[1] description: is not one trimmed",
    ),
    "an empty description": (_code(0, ["A00.0", ""]), R + "codes[1] description: is empty"),
    "a long description": (_code(0, ["A00.0", "x" * 401]), R + "codes[1] description: is longer than 400"),
    "a description not text": (_code(0, ["A00.0", 12]), R + "codes[1] description: must be text"),
    "every code bad": (_all_bad, R + "codes: 74,711 more codes have problems"),
    "codes not a list": (
        _set("codes", "A00.0 Cholera"),
        R + "codes: must be a list of [code, description] pairs",
    ),
    "the bundled release": (_set("label", "FY2026"), R.replace("FY2027", "FY2026") + "label: "),
    "a label that is not its year's": (
        _set("effective_from", "2026-09-01"),
        R + "label: 'FY2027' from 2026-09-01",
    ),
    "a date that does not exist": (
        _set("effective_from", "2026-02-30"),
        R + "effective_from: 2026-02-30 is not",
    ),
    "a year before ICD-10-CM": (
        _set("fiscal_year", 1999),
        R + "fiscal_year: must be one of ICD-10-CM's fiscal",
    ),
    "a year that is text": (_set("fiscal_year", "2027"), R + "fiscal_year: must be one of"),
    "a path for a file name": (
        _set("source_name", "../../etc/passwd"),
        R + "source_name: '../../etc/passwd' is",
    ),
    "a file name with U+202E": (
        _set("source_name", "order\u202etxt.exe"),
        R + "source_name: contains an invisible",
    ),
    "a kind of file kettrack does not read": (
        _set("source_kind", "zip"),
        R + "source_kind: 'zip' is not one of",
    ),
    "a hash that is not one": (_set("source_sha256", "../x"), R + "source_sha256: is not a SHA-256"),
    "a load time not in UTC": (
        _set("loaded_at", "2026-11-01T10:00:00"),
        R + "loaded_at: must be a time in UTC",
    ),
    "a load time in the future": (
        _set("loaded_at", "2099-01-01T00:00:00+00:00"),
        R + "loaded_at: 2099-01-01",
    ),
    "a field kettrack does not know": (
        _set("code_count", 1),
        R + "code_count: is not a field kettrack knows",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_RELEASES))
def test_a_hostile_release_is_refused_with_nothing_written(
    data: dict[str, Any], empty: Callable[[str], Workspace], case: str
) -> None:
    change, expected = HOSTILE_RELEASES[case]
    change(data["icd10_releases"][0])
    lines = _refused(empty("target.sqlite3"), data)
    assert any(line.startswith(expected) for line in lines), lines
    assert (
        len([line for line in lines if line.startswith("icd10_releases")]) <= 11
    )  # a few lines, never 74,000


def test_releases_must_be_whole_and_one_per_day(
    data: dict[str, Any], empty: Callable[[str], Workspace]
) -> None:
    release = data["icd10_releases"][0]
    data["icd10_releases"] = [release, release, {"label": "FY2028"}, "FY2029"]
    lines = _refused(empty("target.sqlite3"), data)
    assert "icd10_releases[2] (FY2027): label: another release of the file is FY2027" in lines, lines
    assert any(line.startswith("icd10_releases[3] (FY2028): codes: is missing") for line in lines), lines
    assert "icd10_releases[4]: release: must be an object" in lines, lines
    lines = _refused(empty("other.sqlite3"), {**data, "icd10_releases": {"FY2027": release}})
    assert "icd10_releases: must be a list of releases" in lines, lines


def test_an_older_format_may_not_bring_releases(
    data: dict[str, Any], empty: Callable[[str], Workspace]
) -> None:
    lines = _refused(empty("target.sqlite3"), {**data, "format_version": 4})
    assert "icd10_releases: is not a section kettrack knows (refused rather than dropped)" in lines, lines


def test_a_file_with_releases_goes_only_where_none_is_loaded(
    data: dict[str, Any], empty: Callable[[str], Workspace], icd10: Icd10Index, tmp_path: Path
) -> None:
    target = empty("loaded.sqlite3")
    code_sets.load_icd10_release(target, write_order_file(icd10, tmp_path, year=2028))
    with pytest.raises(DatabaseNotEmpty, match=r"already holds ICD-10-CM releases \(FY2028\)"):
        import_data(target, data)
    assert target.patients.count() == 0 and [
        r.label for r in code_sets.CodeSetRepository(target.db).releases()
    ] == ["FY2028"]
    # A file without releases still goes there (its sessions checked against the loaded ones).
    data["icd10_releases"] = []
    data["infusions"] = data["infusions"][:1]
    assert import_data(target, data).counts["infusions"] == 1
