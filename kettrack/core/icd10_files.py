"""The CDC's public ICD-10-CM release files, read as hostile input: the order file
(``icd10cm_order_YYYY.txt``), the code-descriptions file (``icd10cm_codes_YYYY.txt``) and the tabular
XML (``icd10cm_tabular_YYYY.xml``). Which one was given is detected from its content, not its name.

Each yields the release's billable codes with their descriptions, and the fiscal year the file names
(the XML's ``<version>``, else a year in the file name) so the release can be dated without asking.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kettrack.core.icd10 import has_code_shape, normalize

MIN_RELEASE_CODES = 50_000  # a whole release holds about 74,000 billable codes; fewer is a fragment
MAX_FILE_BYTES = 64 * 1024 * 1024  # the CDC's tabular XML is about 10 MB; this is far beyond any release
MAX_DESCRIPTION = 400

ORDER_FILE = "order file"
CODES_FILE = "code-descriptions file"
TABULAR_XML = "tabular XML"


class ReleaseFileError(ValueError):
    """A file that is not a whole, well-formed ICD-10-CM release; the message says why."""


@dataclass(frozen=True)
class ReleaseFile:
    """What a CDC release file holds: billable codes and the fiscal year it names, if any."""

    entries: dict[str, str]
    kind: str
    fiscal_year: int | None
    april_update: bool


def read_release_file(data: bytes, name: str = "") -> ReleaseFile:
    """Read a CDC release file whatever its kind; ReleaseFileError when it is not one or is partial."""
    if len(data) > MAX_FILE_BYTES:
        raise ReleaseFileError(f"the file is {len(data) // 2**20} MB; an ICD-10-CM release is about 10 MB")
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if body.lstrip()[:1] == b"<":
        entries, year = _read_tabular_xml(body)
        kind = TABULAR_XML
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReleaseFileError(f"byte {exc.start} is not text (UTF-8)") from exc
        entries, kind = parse_release_lines(io.StringIO(text))
        year = None
    if not entries:
        raise ReleaseFileError("the file holds no billable codes")
    if len(entries) < MIN_RELEASE_CODES:
        raise ReleaseFileError(
            f"the file holds {len(entries):,} billable codes; a whole ICD-10-CM release holds over "
            f"{MIN_RELEASE_CODES:,}, so it is a fragment"
        )
    return ReleaseFile(entries, kind, year or _year_in_name(name), "april" in name.lower())


def _year_in_name(name: str) -> int | None:
    found = re.findall(r"(?<!\d)(20\d\d)(?!\d)", name)
    return int(found[-1]) if found else None


def _clean_description(text: str, where: str) -> str:
    description = " ".join(text.split())
    if not description:
        raise ReleaseFileError(f"{where} has no description")
    if len(description) > MAX_DESCRIPTION:
        raise ReleaseFileError(f"{where}: the description is longer than {MAX_DESCRIPTION} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in description):
        raise ReleaseFileError(f"{where}: the description holds control or direction characters")
    return description


def _code(raw: str, where: str) -> str:
    code = raw.strip()
    if not has_code_shape(code):
        raise ReleaseFileError(f"{where}: {code[:12]!r} is not an ICD-10-CM code")
    return normalize(code)


def parse_release_lines(lines: Iterable[str]) -> tuple[dict[str, str], str]:
    """The order file (fixed columns: order number, code, billable flag, short and long description)
    or the code-descriptions file (one billable code, spaces, its description). Every line must be of
    the kind the first line set: a file mixing the two is refused."""
    entries: dict[str, str] = {}
    kind = ""
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"line {number}"
        is_order = len(line) > 16 and line[:5].isdigit() and line[5] == " " and line[14] in "01"
        kind = kind or (ORDER_FILE if is_order else CODES_FILE)
        if is_order != (kind == ORDER_FILE):
            raise ReleaseFileError(f"{where} does not follow the layout of the lines before it ({kind})")
        if is_order:
            if line[14] != "1":
                continue  # a header (category or block): not billable
            code = _code(line[6:13], where)
            description = _clean_description(line[77:] or line[16:76], where)
        else:
            parts = line.split(None, 1)
            if len(parts) != 2:
                raise ReleaseFileError(f"{where} has no description")
            code = _code(parts[0], where)
            description = _clean_description(parts[1], where)
        if code in entries:
            raise ReleaseFileError(f"{where}: {code} appears twice")
        entries[code] = description
    return entries, kind or CODES_FILE


def _read_tabular_xml(data: bytes) -> tuple[dict[str, str], int | None]:
    """The tabular list: each ``diag`` without ``diag`` children is billable, unless a ``sevenChrDef``
    on it or an ancestor makes it take a 7th character; then each extension is a billable code, the
    code padded with the placeholder X to six characters first (S00.0 -> S00.0XXA)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    entries: dict[str, str] = {}
    year: int | None = None
    # One frame per open <diag>: [name, description, has diag children, its own 7th characters].
    frames: list[list[object]] = []
    inherited: list[dict[str, str]] = []  # the nearest 7th-character definitions, per open diag
    root_seen = False
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
            tag = element.tag
            if event == "start":
                if not root_seen:
                    if tag != "ICD10CM.tabular":
                        raise ReleaseFileError(
                            f"the XML is a <{tag}> document, not the ICD-10-CM tabular list"
                        )
                    root_seen = True
                if tag == "diag":
                    if frames:
                        frames[-1][2] = True
                    frames.append(["", "", False, {}])
                    inherited.append(inherited[-1] if inherited else {})
                continue
            if tag == "version" and not frames and element.text and element.text.strip().isdigit():
                year = int(element.text.strip())
            elif tag == "name" and frames and not frames[-1][0]:
                frames[-1][0] = (element.text or "").strip()
            elif tag == "desc" and frames and not frames[-1][1]:
                frames[-1][1] = element.text or ""
            elif tag == "sevenChrDef" and frames:
                defined = {
                    ext.get("char", ""): " ".join((ext.text or "").split())
                    for ext in element.findall("extension")
                }
                frames[-1][3] = defined
                inherited[-1] = defined
            elif tag == "diag":
                name, desc, has_children, _ = frames.pop()
                sevenths = inherited.pop()
                assert isinstance(name, str) and isinstance(desc, str)
                where = f"diagnosis {name[:12]!r}"
                if not has_children:
                    code = _code(name, where)
                    description = _clean_description(desc, where)
                    if sevenths:
                        stem = code.replace(".", "").ljust(6, "X")
                        for char, meaning in sevenths.items():
                            if not re.fullmatch(r"[0-9A-Z]", char):
                                raise ReleaseFileError(f"{where}: {char[:4]!r} is not a 7th character")
                            full = normalize(stem + char)
                            entries[full] = _clean_description(f"{description}, {meaning}", where)
                    else:
                        entries[code] = description
                element.clear()
            elif tag == "chapter":
                element.clear()  # keeps memory flat: chapters hold the notes we do not need
    except (ParseError, DefusedXmlException) as exc:
        raise ReleaseFileError(f"the XML cannot be read: {exc}") from exc
    return entries, year


def iter_order_lines(entries: dict[str, str], headers: Iterable[tuple[str, str]] = ()) -> Iterator[str]:
    """Lines in the CDC order-file layout (for tests and exports): billable entries and headers."""
    rows = [(c, d, "1") for c, d in entries.items()] + [(c, d, "0") for c, d in headers]
    for number, (code, description, flag) in enumerate(sorted(rows), start=1):
        bare = code.replace(".", "")
        yield f"{number:05d} {bare:<7} {flag} {description[:60]:<60} {description}"
