"""The CDC's ICD-10-CM release files read as hostile input: the kind detected from the content (order
file, code-descriptions file, tabular XML), 7th characters expanded from the XML, the fiscal year read
from the file, and fragments, malformed XML and entity tricks refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kettrack.core.icd10 import Icd10Index
from kettrack.core.icd10_files import (
    CODES_FILE,
    ORDER_FILE,
    TABULAR_XML,
    ReleaseFileError,
    read_release_file,
)
from tests.code_sets_kit import (
    ADDED,
    CHILDREN,
    NEW_NAME,
    RENAMED,
    SPLIT,
    next_entries,
    write_order_file,
    write_tabular_xml,
)

PACKAGE_XML = "icd10c-tabular-April-1-2026.xml"


def test_order_file_and_tabular_xml_give_the_same_release(tmp_path: Path, icd10: Icd10Index) -> None:
    expected = next_entries(icd10)
    order = write_order_file(icd10, tmp_path)
    xml = write_tabular_xml(icd10, tmp_path)
    from_order = read_release_file(order.read_bytes(), order.name)
    from_xml = read_release_file(xml.read_bytes(), "renamed-by-the-user.xml")  # the year comes from <version>
    assert (from_order.kind, from_xml.kind) == (ORDER_FILE, TABULAR_XML)
    assert from_order.fiscal_year == from_xml.fiscal_year == 2027
    assert not from_order.april_update and not from_xml.april_update
    assert set(from_order.entries) == set(from_xml.entries) == set(expected)
    for entries in (from_order.entries, from_xml.entries):
        assert SPLIT not in entries and all(c in entries for c in CHILDREN) and ADDED in entries
        assert entries[RENAMED] == NEW_NAME
    # 7th characters from the XML's sevenChrDef, the placeholder X added: T40.411 -> T40.411A
    assert from_xml.entries["T40.411A"] == (
        "Poisoning by fentanyl or fentanyl analogs, accidental (unintentional), initial encounter"
    )


def test_code_descriptions_file_and_year_from_the_name(tmp_path: Path, icd10: Icd10Index) -> None:
    path = tmp_path / "icd10cm-codes-April-2027.txt"
    path.write_text("".join(f"{c.replace('.', ''):<7} {d}\n" for c, d in next_entries(icd10).items()))
    found = read_release_file(path.read_bytes(), path.name)
    assert found.kind == CODES_FILE and found.fiscal_year == 2027 and found.april_update
    no_year = read_release_file(path.read_bytes(), "codes.txt")
    assert no_year.fiscal_year is None


def test_the_cdc_tabular_xml_shipped_in_simple_icd_10_cm(icd10: Icd10Index) -> None:
    """The real CDC file (April 2026) reads whole: every billable code of the bundled release is in it.
    The XML alone cannot say that a few 7th characters are excluded by a note (76 death-coded brain
    injury codes, S06.xx7D and the like): the order or codes file is exact, the XML a close superset."""
    import simple_icd_10_cm

    path = Path(simple_icd_10_cm.__file__).parent / "data" / PACKAGE_XML
    found = read_release_file(path.read_bytes(), path.name)
    assert found.kind == TABULAR_XML and found.fiscal_year == 2026 and found.april_update
    assert set(icd10.codes()) <= set(found.entries)
    extra = set(found.entries) - set(icd10.codes())
    assert len(extra) < 100 and all(code.startswith("S06.") for code in extra)
    assert found.entries["QA0.0101"]  # FY2026's codes with a letter second are codes too


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"F43.10  PTSD\n" * 3, "F43.10 appears twice"),
        (
            b"F4310   PTSD, unspecified\nF4311   PTSD, acute\n",
            "holds 2 billable codes; a whole ICD-10-CM release holds over 50,000",
        ),
        (b"", "holds no billable codes"),
        (b"\xff\xfe F43.10\n", "is not text"),
        (b"<?xml version='1.0'?><html><body/></html>", "not the ICD-10-CM tabular list"),
        (b"<ICD10CM.tabular><chapter><diag><name>F43.10", "cannot be read"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<ICD10CM.tabular><version>&lol2;</version></ICD10CM.tabular>",
            "cannot be read",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            b"<ICD10CM.tabular><version>&ext;</version></ICD10CM.tabular>",
            "cannot be read",
        ),
        (
            b"<ICD10CM.tabular><diag><name>F43.1</name><desc>x</desc><sevenChrDef>"
            b'<extension char="&amp;">bad</extension></sevenChrDef></diag></ICD10CM.tabular>',
            "is not a 7th character",
        ),
    ],
)
def test_bad_files_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(ReleaseFileError, match=message):
        read_release_file(content, "icd10cm_order_2027.txt")


def test_oversized_file_is_refused_before_parsing() -> None:
    from kettrack.core import icd10_files

    with pytest.raises(ReleaseFileError, match="MB; an ICD-10-CM release is about 10 MB"):
        read_release_file(b" " * (icd10_files.MAX_FILE_BYTES + 1))
