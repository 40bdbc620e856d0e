"""ICD-10-CM: a compact index of billable (leaf) codes with descriptions, and the rules for codes.

The index is built once from the simple-icd-10-cm package (slow to import: about 5 s and 190 MB)
and cached as a small gzip file that loads in a fraction of a second; see ``load_index``.
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
_CACHE_FORMAT = 2  # 2: chapter and block ranges (e.g. C00-C75) are no longer taken for codes


def normalize(code: str) -> str:
    """Upper-case, trim, and put the dot after the third character: ``f4310`` -> ``F43.10``."""
    raw = code.strip().upper().replace(".", "")
    if len(raw) > 3:
        return f"{raw[:3]}.{raw[3:]}"
    return raw


def has_code_shape(code: str) -> bool:
    return bool(_CODE_SHAPE.match(code.strip().upper()))


class Icd10Index:
    """Billable ICD-10-CM codes with their descriptions, for one code-set release."""

    def __init__(self, entries: dict[str, str], version: str) -> None:
        self._entries = entries
        self.version = version
        self._sorted: list[str] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize(code) in self._entries

    def is_billable(self, code: str) -> bool:
        return normalize(code) in self._entries

    def describe(self, code: str) -> str | None:
        return self._entries.get(normalize(code))

    def codes(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self._entries)
        return self._sorted

    def items(self) -> Iterator[tuple[str, str]]:
        for code in self.codes():
            yield code, self._entries[code]

    def billable_under(self, prefix: str, limit: int = 12) -> list[str]:
        """Billable codes below a category (``F43.1`` -> ``F43.10``, ``F43.11``, ``F43.12``)."""
        stem = normalize(prefix)
        return [c for c in self.codes() if c.startswith(stem) and c != stem][:limit]

    def problem_with(self, code: str) -> str | None:
        """Why a code cannot go on a claim, in plain words; None when it can."""
        text = code.strip()
        if not text:
            return "is empty"
        if not has_code_shape(text):
            return f"{text!r} is not an ICD-10-CM code (a letter, two characters, then up to 4 more)"
        norm = normalize(text)
        if norm in self._entries:
            return None
        below = self.billable_under(norm, limit=4)
        if below:
            shown = below[:3]
            choices = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
            more = " or a more specific code" if len(below) > 3 else ""
            return f"{norm} is not a billable code: choose {choices}{more}"
        return f"{norm} is not in the ICD-10-CM code set {self.version}"

    def search(self, text: str, limit: int = 50) -> list[tuple[str, str]]:
        """Codes whose code starts with, or whose description contains, every word typed."""
        query = text.strip()
        if not query:
            return []
        code_like = normalize(query)
        hits = [(c, self._entries[c]) for c in self.codes() if c.startswith(code_like)]
        if len(hits) >= limit:
            return hits[:limit]
        words = query.lower().split()
        for code in self.codes():
            description = self._entries[code]
            lowered = description.lower()
            if all(w in lowered for w in words) and not code.startswith(code_like):
                hits.append((code, description))
                if len(hits) >= limit:
                    break
        return hits


def parse_release_lines(lines: Iterable[str]) -> dict[str, str]:
    """Parse a CDC order file or a plain "CODE<sep>DESCRIPTION" file into billable entries.

    The CDC ``icd10cm_order_YYYY.txt`` file has fixed columns: order number (5), code (7, no dot),
    a billable flag (1: 1 = billable), a short and a long description. A plain file holds one
    billable code per line followed by white space or a tab and its description.
    """
    entries: dict[str, str] = {}
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        if len(line) > 16 and line[:5].strip().isdigit() and line[14] in "01":
            if line[14] != "1":
                continue
            code = line[6:13].strip()
            description = line[77:].strip() or line[16:76].strip()
        else:
            parts = line.split("\t", 1) if "\t" in line else line.split(None, 1)
            if len(parts) != 2:
                raise ValueError(f"line {line[:40]!r} has no description")
            code, description = parts[0].strip(), parts[1].strip()
        if not has_code_shape(code):
            raise ValueError(f"{code!r} is not an ICD-10-CM code")
        entries[normalize(code)] = description
    if not entries:
        raise ValueError("the file holds no billable codes")
    return entries


def _package_version() -> str:
    from importlib import metadata  # deferred: it is slow to import and start-up does not need it

    try:
        return metadata.version("simple-icd-10-cm")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_from_package() -> Icd10Index:
    """Build the index from simple-icd-10-cm. Slow (seconds): call it off the GUI thread."""
    import simple_icd_10_cm as icd  # deferred: importing it costs seconds and ~190 MB

    entries = {
        normalize(code): icd.get_description(code)
        for code in icd.get_all_codes(with_dots=True)
        # A block with no codes under it counts as a leaf in the package; only real codes are billable.
        if icd.is_leaf(code) and has_code_shape(code)
    }
    version = f"FY2026 (CDC April 2026 release, simple-icd-10-cm {_package_version()})"
    return Icd10Index(entries, version)


def _write_cache(path: Path, index: Icd10Index) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".icd10-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
            out.write(f"#kettrack-icd10\t{_CACHE_FORMAT}\t{index.version}\n")
            for code, description in index.items():
                out.write(f"{code}\t{description}\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_cache(path: Path) -> Icd10Index | None:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n").split("\t")
            if len(header) != 3 or header[0] != "#kettrack-icd10" or header[1] != str(_CACHE_FORMAT):
                return None
            entries = dict(line.rstrip("\n").split("\t", 1) for line in handle)
        return Icd10Index(entries, header[2])
    except (OSError, EOFError, ValueError):
        return None


def load_index(cache_dir: Path) -> Icd10Index:
    """The active code set: a user-loaded release if there is one, else the packaged one (cached)."""
    custom = cache_dir / "icd10cm-custom.tsv.gz"
    if custom.exists():
        loaded = _read_cache(custom)
        if loaded is not None:
            return loaded
    cached = cache_dir / f"icd10cm-package-{_package_version()}.tsv.gz"
    index = _read_cache(cached)
    if index is None:
        index = build_from_package()
        try:
            _write_cache(cached, index)
        except OSError:
            pass  # a cache folder we cannot write only costs the next start-up a few seconds
    return index


def install_release(cache_dir: Path, source: Path, version: str) -> Icd10Index:
    """Make a newer CDC release file the active code set (validated before it replaces anything)."""
    with source.open(encoding="utf-8", errors="strict") as handle:
        entries = parse_release_lines(handle)
    # The version is written into the cache's tab-separated header line: no tabs or line breaks.
    version = " ".join(version.split()) or source.name
    index = Icd10Index(entries, version)
    _write_cache(cache_dir / "icd10cm-custom.tsv.gz", index)
    return index
