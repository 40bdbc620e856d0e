"""The ICD-10-CM index: lookups, billable-leaf suggestions, search, the bundled release's cache, and
the text layouts of the CDC's release files (the order file's fixed columns, the code-descriptions
file). Releases side by side are tested in test_icd10_releases; the files whole in test_icd10_files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest

from kettrack.core.icd10 import Icd10Index, has_code_shape, load_index, normalize
from kettrack.core.icd10_files import ORDER_FILE, ReleaseFileError, parse_release_lines


def _order_line(order: int, code: str, billable: bool, short: str, long: str) -> str:
    # CDC icd10cm_order_YYYY.txt: order(5) sp code(7) sp flag(1) sp short(60) sp long.
    return f"{order:05d} {code:<7} {1 if billable else 0} {short:<60} {long}\n"


CDC_LINES = [
    _order_line(
        1, "F431", False, "Post-traumatic stress disorder (PTSD)", "Post-traumatic stress disorder (PTSD)"
    ),
    _order_line(
        2,
        "F4310",
        True,
        "Post-traumatic stress disorder, unspecified",
        "Post-traumatic stress disorder, unspecified",
    ),
    _order_line(
        3, "F4311", True, "Post-traumatic stress disorder, acute", "Post-traumatic stress disorder, acute"
    ),
    _order_line(4, "F4312", True, "PTSD, chronic", "Post-traumatic stress disorder, chronic"),
    _order_line(
        5, "Z9989", True, "Dependence on oth enabling machines", "Dependence on other enabling machines"
    ),
]


def test_normalize_and_shape() -> None:
    assert normalize(" f4310 ") == "F43.10"
    assert normalize("F43.10") == "F43.10"
    assert normalize("f33") == "F33"
    assert normalize("r45851") == "R45.851"
    assert has_code_shape("F43.10") and has_code_shape("f4310") and has_code_shape("S72.001A")
    # FY2026 added codes with a letter second (QA0.0101, genetic disorders): a letter then a digit.
    assert has_code_shape("QA0.0101") and has_code_shape("qa00101")
    for bad in ("43.10", "F4", "F43..1", "F43.12345", "FFF.1", "HELLO", "", "F43.1\n0"):
        assert not has_code_shape(bad), bad


def test_packaged_index(icd10: Icd10Index) -> None:
    assert len(icd10) > 70_000
    assert "FY2026" in icd10.version
    for billable in (
        "F43.10",
        "F43.11",
        "F43.12",
        "F33.9",
        "F32.A",
        "G90.50",
        "G89.29",
        "M79.7",
        "R45.851",
        "F41.1",
    ):
        assert icd10.is_billable(billable) and billable in icd10, billable
        assert icd10.describe(billable)
    assert not icd10.is_billable("F43.1") and "F43.1" not in icd10 and 42 not in icd10
    assert icd10.describe("F43.1") is None


def test_billable_under_and_problem_with(icd10: Icd10Index) -> None:
    assert icd10.billable_under("F43.1") == ["F43.10", "F43.11", "F43.12"]
    assert icd10.billable_under("f431") == ["F43.10", "F43.11", "F43.12"]
    assert icd10.billable_under("G90.5", limit=2) == ["G90.50", "G90.511"]
    assert icd10.problem_with("F43.10") is None
    assert icd10.problem_with("F43.1") == "F43.1 is not a billable code: choose F43.10, F43.11 or F43.12"
    assert icd10.problem_with("G90.5") == (
        "G90.5 is not a billable code: choose G90.50, G90.511 or G90.512 or a more specific code"
    )
    assert icd10.problem_with("  ") == "is empty"
    assert icd10.problem_with("hello").startswith("'hello' is not an ICD-10-CM code")
    assert icd10.problem_with("Z99.999") == f"Z99.999 is not in the ICD-10-CM code set {icd10.version}"


def test_search(icd10: Icd10Index) -> None:
    assert [c for c, _ in icd10.search("F43.1")] == ["F43.10", "F43.11", "F43.12"]
    hits = icd10.search("post-traumatic stress chronic")
    assert ("F43.12", icd10.describe("F43.12")) in hits
    assert icd10.search("") == [] and icd10.search("   ") == []
    assert len(icd10.search("disorder", limit=7)) == 7
    assert len(icd10.search("S", limit=5)) == 5
    assert icd10.search("zzzz nothing matches") == []


def test_parse_cdc_order_file_keeps_only_billable_with_long_description() -> None:
    entries, kind = parse_release_lines(CDC_LINES)
    assert kind == ORDER_FILE
    assert entries == {
        "F43.10": "Post-traumatic stress disorder, unspecified",
        "F43.11": "Post-traumatic stress disorder, acute",
        "F43.12": "Post-traumatic stress disorder, chronic",
        "Z99.89": "Dependence on other enabling machines",
    }


def test_parse_plain_tab_and_space_format() -> None:
    lines = [
        "\n",
        "F43.10\tPTSD, unspecified\r\n",
        "f4311   PTSD, acute\n",
        "F43.12\tPTSD\tchronic\n",
    ]
    assert parse_release_lines(lines)[0] == {
        "F43.10": "PTSD, unspecified",
        "F43.11": "PTSD, acute",
        "F43.12": "PTSD chronic",  # white space inside a description is one space, as the CDC writes it
    }


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["F43.10\n"], "has no description"),
        (["43.10\tnot a code\n"], "is not an ICD-10-CM code"),
        (["F43.10\tPTSD\n", "F4310 PTSD again\n"], "F43.10 appears twice"),
        (["F43.10\tPTSD \u202e reversed\n"], "control or direction characters"),
        ([CDC_LINES[1], "F43.11\tPTSD, acute\n"], "does not follow the layout"),
    ],
)
def test_parse_release_refuses(lines: list[str], message: str) -> None:
    with pytest.raises(ReleaseFileError, match=message):
        parse_release_lines(lines)


@pytest.fixture
def cache_with_package(tmp_path: Path, icd10: Icd10Index) -> Path:
    """A cache folder already holding the packaged index (so nothing rebuilds it for seconds)."""
    import os

    source = Path(os.environ["KETTRACK_CACHE_DIR"])
    cache = tmp_path / "cache"
    cache.mkdir()
    for item in source.glob("icd10cm-package-*.tsv.gz"):
        shutil.copy(item, cache / item.name)
    return cache


def test_damaged_or_foreign_cache_is_rebuilt(cache_with_package: Path, icd10: Icd10Index) -> None:
    cached = next(cache_with_package.glob("icd10cm-package-*.tsv.gz"))
    cached.write_bytes(b"not gzip at all")
    assert load_index(cache_with_package).version == icd10.version
    with gzip.open(cached, "wt") as handle:
        handle.write("#kettrack-icd10\t999\tfuture format\nF43.10\tx\n")
    rebuilt = load_index(cache_with_package)
    assert rebuilt.version == icd10.version and rebuilt.label == "FY2026" and len(rebuilt) == len(icd10)


def test_index_from_entries() -> None:
    index = Icd10Index({"F43.10": "PTSD"}, "test")
    assert index.codes() == ["F43.10"] and len(index) == 1
    problem: Any = index.problem_with("F43.1")
    assert problem == "F43.1 is not a billable code: choose F43.10"


def test_unwritable_cache_still_gives_an_index(tmp_path: Path, icd10: Icd10Index) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    index = load_index(blocked)
    assert index.version == icd10.version and index.is_billable("F43.10")


def test_block_ranges_are_not_billable_codes(icd10) -> None:  # type: ignore[no-untyped-def]
    """simple-icd-10-cm reports some chapter and block ranges as leaves; they are not codes."""
    assert not any("-" in code for code in icd10.codes())
    assert icd10.problem_with("C00-C75") is not None
