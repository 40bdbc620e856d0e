"""Checks and parsers for single values, shared by the record checks (``kettrack.core.validation``),
the repositories, the forms and the importer: plain text (no control or invisible text-direction
characters), names with a visible letter, plain file names, plausible business dates, strict
dates, times and measurements as people type them, and NPI and EIN numbers.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from decimal import Decimal, InvalidOperation

from kettrack.core.problems import InvalidInput

__all__ = [
    "EARLIEST_DATE",
    "FILE_NAME_MAX",
    "ID_MAX",
    "LINE_MAX",
    "NAME_MAX",
    "NOTE_MAX",
    "YEARS_AHEAD",
    "check_measure",
    "ein_problem",
    "file_name_problem",
    "has_visible_letter",
    "latest_plausible_date",
    "normalize_ein",
    "npi_problem",
    "parse_date",
    "parse_decimal",
    "parse_time",
    "plain_text_problem",
    "plausible_date_problem",
    "text_problem",
]

NAME_MAX = 200
ID_MAX = 50
LINE_MAX = 200
NOTE_MAX = 20_000
FILE_NAME_MAX = 100
EARLIEST_DATE = date(1900, 1, 1)
# Business dates (service, coverage, claim events) may be planned ahead, but not by decades: a year of
# 9999 or 2206 is a typo, and a deadline computed from it would never come due.
YEARS_AHEAD = 2

# Characters that reorder or hide text: a name with U+202E can display as something else entirely.
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
# Letters by Unicode's category that draw nothing (Hangul fillers): "\u3164" alone is no name.
_INVISIBLE_LETTERS = set("\u115f\u1160\u3164\uffa0")


def plain_text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What makes ``value`` unfit to store and show as plain text, or None: a NUL, a control character
    (tab and line feed allowed where ``multiline``), a lone surrogate, or an invisible text-direction
    character (U+202E can make a name or a file name display as something else entirely)."""
    for ch in value:
        if ch in _BIDI_CONTROLS:
            return f"contains an invisible text-direction character (U+{ord(ch):04X})"
        if ch == "\x00":
            return "contains a NUL character"
        if multiline and ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or category == "Cs":
            return f"contains a control character (U+{ord(ch):04X})"
    return None


def text_problem(value: str, *, max_len: int, multiline: bool = False) -> str | None:
    """What is wrong with a free-text value, or None."""
    if len(value) > max_len:
        return f"is too long ({len(value):,} characters; at most {max_len:,})"
    return plain_text_problem(value, multiline=multiline)


def has_visible_letter(value: str) -> bool:
    """Whether a name has at least one letter a reader can see (not only spaces, digits, zero-width
    or filler characters): a name of two U+200B would show as an empty line and match nobody."""
    return any(unicodedata.category(ch).startswith("L") and ch not in _INVISIBLE_LETTERS for ch in value)


def file_name_problem(name: str, *, max_len: int = FILE_NAME_MAX) -> str | None:
    """What stops ``name`` from being a plain file name (one name, no folder), or None.

    Records keep a document's file name only as the suggested name of a saved copy; it must never be
    able to name another folder (``../``, ``/etc/``, ``C:\\``) or hide its real extension."""
    if not name.strip():
        return "is empty"
    if len(name) > max_len:
        return f"is too long ({len(name):,} characters; at most {max_len:,})"
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        return f"{name!r} is not a plain file name (no folders, no '..', not starting with '.')"
    if problem := plain_text_problem(name):
        return problem
    if name != name.strip():
        return f"{name!r} starts or ends with a space"
    return None


def latest_plausible_date(today: date, years: int = YEARS_AHEAD) -> date:
    """``today`` moved ``years`` ahead (28 February for a 29 February that does not recur)."""
    try:
        return today.replace(year=today.year + years)
    except ValueError:
        return today.replace(year=today.year + years, day=28)


def plausible_date_problem(value: date, today: date, *, years_ahead: int = YEARS_AHEAD) -> str | None:
    """Whether a business date lies between 1900-01-01 and ``years_ahead`` years from today."""
    if value < EARLIEST_DATE:
        return f"{value.isoformat()} is before 1900"
    latest = latest_plausible_date(today, years_ahead)
    if value > latest:
        return f"{value.isoformat()} is more than {years_ahead} years ahead (after {latest.isoformat()})"
    return None


def parse_date(text: str, field: str = "date") -> date:
    """Strict ISO date ``YYYY-MM-DD``; a date that does not exist gets its own message."""
    raw = text.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw, re.ASCII)
    if not match:
        raise InvalidInput.single(field, f"{raw!r} is not a date: write it as YYYY-MM-DD")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput.single(field, f"{raw} is not a real date") from None


def parse_time(text: str, field: str = "time") -> time:
    raw = text.strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw, re.ASCII)
    if not match:
        raise InvalidInput.single(field, f"{raw!r} is not a time: write it as HH:MM (24-hour)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise InvalidInput.single(field, f"{raw} is not a real time of day")
    return time(hour, minute)


def parse_decimal(text: str, field: str, *, places: int, maximum: Decimal) -> Decimal:
    """A positive measurement (dose, weight) with at most ``places`` decimals."""
    raw = text.strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput.single(field, f"{raw!r} is not a number") from None
    return check_measure(field, value, places=places, maximum=maximum)


def check_measure(field: str, value: Decimal, *, places: int, maximum: Decimal) -> Decimal:
    if not value.is_finite():
        raise InvalidInput.single(field, "must be a finite number")
    if value <= 0:
        raise InvalidInput.single(field, "must be more than zero")
    if value > maximum:
        raise InvalidInput.single(field, f"is larger than {maximum}: check the units")
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum):
        raise InvalidInput.single(field, f"has more than {places} decimal places")
    return value.quantize(quantum)


def npi_problem(npi: str) -> str | None:
    """CMS NPI rule: 10 digits, first 1 or 2, Luhn check digit over ``80840`` + the first 9."""
    # isascii: str.isdigit() also accepts digits like "²" or Arabic-Indic digits.
    if not (npi.isascii() and npi.isdigit()) or len(npi) != 10:
        return "must be exactly 10 digits"
    if npi[0] not in "12":
        return "must start with 1 or 2"
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10 != 0:
        return "has a wrong check digit (last digit): re-check it against the provider's NPI record"
    return None


def normalize_ein(tin: str) -> str:
    digits = tin.replace("-", "").replace(" ", "")
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 and digits.isdigit() else tin.strip()


def ein_problem(tin: str) -> str | None:
    from stdnum.exceptions import ValidationError
    from stdnum.us import ein

    digits = tin.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 9:
        return "must be 9 digits, written like 12-3456789"
    try:
        ein.validate(digits)
    except ValidationError:
        return f"{normalize_ein(tin)} does not start with a prefix the IRS issues"
    return None
