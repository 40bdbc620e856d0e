"""A synthetic "next" ICD-10-CM release, derived from the bundled one and written in both of the CDC's
layouts (the order file and the tabular XML), for the tests of code sets by date.

What changes from FY2026 to this FY2027 (in force from 2026-10-01):
- F32.A (depression, unspecified) is split into F32.A1 and F32.A2: F32.A is no longer billable;
- F43.13 is added;
- F43.10's description changes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from kettrack.core.icd10 import Icd10Index
from kettrack.core.icd10_files import iter_order_lines

BOUNDARY = date(2026, 10, 1)
BEFORE = date(2026, 9, 15)
AFTER = date(2026, 11, 2)
SPLIT = "F32.A"
CHILDREN = ("F32.A1", "F32.A2")
ADDED = "F43.13"
RENAMED = "F43.10"
NEW_NAME = "Post-traumatic stress disorder, not specified as acute or chronic"
# What is said while FY2026 is the newest release and a date of service lies past it.
WARNING = (
    "Sessions after 2026-09-30 are checked against FY2026 codes: load the FY2027 release with "
    "`kettrack codes icd10 --load FILE`"
)


def next_entries(bundled: Icd10Index) -> dict[str, str]:
    entries = dict(bundled.entries())
    del entries[SPLIT]
    entries[CHILDREN[0]] = "Depression, unspecified, first episode"
    entries[CHILDREN[1]] = "Depression, unspecified, recurrent"
    entries[ADDED] = "Post-traumatic stress disorder, delayed expression"
    entries[RENAMED] = NEW_NAME
    return entries


def write_order_file(bundled: Icd10Index, folder: Path, year: int = 2027) -> Path:
    path = folder / f"icd10cm_order_{year}.txt"
    headers = [(SPLIT, "Depression, unspecified")]
    path.write_text("\n".join(iter_order_lines(next_entries(bundled), headers)) + "\n", encoding="utf-8")
    return path


def write_tabular_xml(bundled: Icd10Index, folder: Path, year: int = 2027) -> Path:
    """The CDC's tabular layout: billable codes as diag leaves, F32.A's children nested under it, and
    one category whose 7th characters come from a sevenChrDef (T40.4X1 -> T40.4X1A/D/S)."""
    entries = next_entries(bundled)
    nested = {c: entries.pop(c) for c in CHILDREN}
    seventh = {c: entries.pop(c) for c in list(entries) if c.startswith("T40.411")}
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<ICD10CM.tabular>\n<version>{year}</version>\n<chapter>'
    ]
    parts.append("<name>1</name><desc>All</desc><section id='ALL'><desc>All codes</desc>")
    for code, description in sorted(entries.items()):
        parts.append(f"<diag><name>{code}</name><desc>{escape(description)}</desc></diag>")
    parts.append(f"<diag><name>{SPLIT}</name><desc>Depression, unspecified</desc>")
    parts += [f"<diag><name>{c}</name><desc>{escape(d)}</desc></diag>" for c, d in nested.items()]
    parts.append("</diag>")
    parts.append(
        "<diag><name>T40.41</name><desc>Poisoning by fentanyl</desc><sevenChrDef>"
        '<extension char="A">initial encounter</extension>'
        '<extension char="D">subsequent encounter</extension>'
        '<extension char="S">sequela</extension></sevenChrDef>'
        "<diag><name>T40.411</name><desc>Poisoning by fentanyl or fentanyl analogs, "
        "accidental (unintentional)"
        "</desc></diag></diag>"
    )
    parts.append("</section></chapter></ICD10CM.tabular>\n")
    path = folder / f"icd10cm_tabular_{year}.xml"
    path.write_text("".join(parts), encoding="utf-8")
    assert len(seventh) == 3, seventh  # the bundled release has T40.411A, D and S
    return path
