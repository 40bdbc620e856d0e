"""ICD-10-CM: a compact index of billable (leaf) codes with descriptions, and the rules for codes.

The index is built once from the simple-icd-10-cm package (slow to import: about 5 s and 190 MB)
and cached as a small gzip file that loads in a fraction of a second; see ``load_index``.
"""

from __future__ import annotations

import bisect
import gzip
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

# A letter, then a digit and a letter or digit, or (since FY2026's genetic disorders, QA0) a letter and a
# digit; then up to four more characters after the dot.
_CODE_SHAPE = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9])(?:\.?[0-9A-Z]{1,4})?$")
# 2: chapter and block ranges (e.g. C00-C75) are no longer taken for codes; 3: QA0 codes are codes
_CACHE_FORMAT = 3


def normalize(code: str) -> str:
    """Upper-case, trim, and put the dot after the third character: ``f4310`` -> ``F43.10``."""
    raw = code.strip().upper().replace(".", "")
    if len(raw) > 3:
        return f"{raw[:3]}.{raw[3:]}"
    return raw


def has_code_shape(code: str) -> bool:
    return bool(_CODE_SHAPE.match(code.strip().upper()))


def shape_problem(code: str) -> str | None:
    """Why the text typed is not an ICD-10-CM code at all, whatever the release; None if it looks like one."""
    text = code.strip()
    if not text:
        return "is empty"
    if not has_code_shape(text):
        return f"{text!r} is not an ICD-10-CM code (a letter, two characters, then up to 4 more)"
    return None


class Icd10Index:
    """Billable ICD-10-CM codes with their descriptions, for one code-set release.

    ``label`` names the release (``FY2027``, ``FY2026 April``); ``effective_from`` is the first date of
    service it applies to and ``fiscal_year`` the federal fiscal year it belongs to (it ends on
    September 30 of that year); ``version`` is the longer text shown to people."""

    def __init__(
        self,
        entries: dict[str, str],
        version: str,
        *,
        label: str = "",
        effective_from: date | None = None,
        fiscal_year: int | None = None,
    ) -> None:
        self._entries = entries
        self.version = version
        self.label = label or version
        self.effective_from = effective_from
        self.fiscal_year = fiscal_year
        self._sorted: list[str] | None = None

    @property
    def nominal_end(self) -> date | None:
        """The last date of service of its fiscal year (a release is replaced every October 1)."""
        return date(self.fiscal_year, 9, 30) if self.fiscal_year else None

    def entries(self) -> dict[str, str]:
        """Code -> description (the index's own dict: do not change it)."""
        return self._entries

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
        codes = self.codes()
        found: list[str] = []
        # The codes are sorted, so those below a stem form one run starting where the stem would sort.
        for code in codes[bisect.bisect_left(codes, stem) :]:
            if not code.startswith(stem) or len(found) >= limit:
                break
            if code != stem:
                found.append(code)
        return found

    def problem_with(self, code: str) -> str | None:
        """Why a code cannot go on a claim, in plain words; None when it can."""
        if (problem := shape_problem(code)) is not None:
            return problem
        norm = normalize(code)
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
        # One space between words, as in the CDC files: the package joins some notes with "/\t".
        normalize(code): " ".join(icd.get_description(code).split())
        for code in icd.get_all_codes(with_dots=True)
        # A block with no codes under it counts as a leaf in the package; only real codes are billable.
        if icd.is_leaf(code) and has_code_shape(code)
    }
    version = f"FY2026 (CDC April 2026 release, simple-icd-10-cm {_package_version()})"
    return bundled_release(entries, version)


# The release simple-icd-10-cm ships (the CDC's April 2026 files) serves the whole of FY2026.
BUNDLED_LABEL = "FY2026"
BUNDLED_FROM = date(2025, 10, 1)
BUNDLED_FISCAL_YEAR = 2026


def bundled_release(entries: dict[str, str], version: str) -> Icd10Index:
    return Icd10Index(
        entries, version, label=BUNDLED_LABEL, effective_from=BUNDLED_FROM, fiscal_year=BUNDLED_FISCAL_YEAR
    )


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
        return bundled_release(entries, header[2])
    except (OSError, EOFError, ValueError):
        return None


def load_index(cache_dir: Path) -> Icd10Index:
    """The bundled release (FY2026, from simple-icd-10-cm), cached in ``cache_dir`` after the first build.
    Releases a user loads live in the database (see ``kettrack.core.icd10_releases``)."""
    cached = cache_dir / f"icd10cm-package-{_package_version()}.tsv.gz"
    index = _read_cache(cached)
    if index is None:
        index = build_from_package()
        try:
            _write_cache(cached, index)
        except OSError:
            pass  # a cache folder we cannot write only costs the next start-up a few seconds
    return index


# Before releases lived in the database, a loaded release replaced the bundled one in this file.
LEGACY_CUSTOM_FILE = "icd10cm-custom.tsv.gz"
