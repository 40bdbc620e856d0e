"""National Drug Codes: validation and normalisation to the 11-digit 5-4-2 form claims require.

A 10-digit NDC comes in three hyphenated shapes (4-4-2, 5-3-2, 5-4-1); each is padded with a
leading zero in the short segment. Without hyphens a 10-digit NDC is ambiguous, so it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SHAPES: dict[tuple[int, ...], Callable[[str, str, str], str]] = {
    (4, 4, 2): lambda a, b, c: f"0{a}-{b}-{c}",
    (5, 3, 2): lambda a, b, c: f"{a}-0{b}-{c}",
    (5, 4, 1): lambda a, b, c: f"{a}-{b}-0{c}",
    (5, 4, 2): lambda a, b, c: f"{a}-{b}-{c}",
}


class NdcError(ValueError):
    """The text is not a usable NDC; the message says why."""


def normalize_ndc(text: str) -> str:
    """Return the NDC as ``LLLLL-PPPP-KK``; raise NdcError with a plain reason otherwise."""
    raw = text.strip()
    if not raw:
        raise NdcError("the NDC is empty")
    if re.fullmatch(r"\d{11}", raw):
        return f"{raw[:5]}-{raw[5:9]}-{raw[9:]}"
    if re.fullmatch(r"\d{10}", raw):
        raise NdcError(
            f"{raw} has 10 digits but no hyphens: write it as printed on the vial (e.g. 1234-5678-90)"
        )
    parts = raw.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise NdcError(f"{raw!r} is not an NDC: three groups of digits separated by hyphens")
    shape = tuple(len(p) for p in parts)
    build = _SHAPES.get(shape)
    if build is None:
        raise NdcError(
            f"{raw} has a {'-'.join(map(str, shape))} shape; an NDC is 4-4-2, 5-3-2, 5-4-1 or 5-4-2"
        )
    return build(*parts)


def ndc_for_claim(text: str) -> str:
    """The 11 digits without hyphens, as the claim's drug identification field carries them."""
    return normalize_ndc(text).replace("-", "")
