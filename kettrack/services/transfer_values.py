"""Records to JSON values and back, for the export file: ``encode_record`` writes a frozen record's
fields in declaration order (Decimals as text, dates ISO, times ``HH:MM``, enums by value);
``RecordDecoder`` reads them back by the record's type hints, collecting every problem instead of
stopping at the first.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import PurePath
from typing import Any

from kettrack.core import validation
from kettrack.core.problems import InvalidInput, Problem
from kettrack.services.transfer_format import MAX_ID, shown_name

__all__ = ["RecordDecoder", "encode_record"]


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, StrEnum):  # before str: an enum member is a str too
        return value.value
    if isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "auto"
        return value.isoformat(timespec=spec)
    if isinstance(value, PurePath):
        return value.name  # a file's name (a backup's, say): where it lives is this machine's business
    if isinstance(value, tuple | list):
        return [_encode_value(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode_record(value)
    raise TypeError(f"cannot export a {type(value).__name__}")


def encode_record(record: Any) -> dict[str, Any]:
    """A record as JSON-ready values: id first, then its fields in declaration order.

    Decimals become strings like ``"450.00"``, dates ISO strings, times ``"HH:MM"``, enums their values.
    """
    names = [f.name for f in dataclasses.fields(record)]
    ordered = (["id"] if "id" in names else []) + [n for n in names if n != "id"]
    return {name: _encode_value(getattr(record, name)) for name in ordered}


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


class RecordDecoder:
    """Turns JSON values into records, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def record(self, cls: type[Any], raw: Any, path: str) -> Any:
        if not isinstance(raw, dict):
            self.add(path or "record", "must be an object of fields")
            return None
        hints = _hints(cls)
        for unknown in sorted(set(raw) - set(hints)):
            self.add(
                f"{path}{shown_name(unknown)}", "is not a field kettrack knows (refused rather than dropped)"
            )
        values: dict[str, Any] = {}
        ok = True
        for field in dataclasses.fields(cls):
            name = field.name
            required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
            if name not in raw:
                if required or name == "id":
                    self.add(f"{path}{name}", "is missing")
                    ok = False
                continue
            before = len(self.problems)
            values[name] = self.value(hints[name], raw[name], f"{path}{name}")
            ok = ok and len(self.problems) == before
        return cls(**values) if ok else None

    def value(self, hint: Any, raw: Any, field: str) -> Any:
        origin = typing.get_origin(hint)
        if origin is types.UnionType or origin is typing.Union:
            if raw is None:
                return None
            (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
            return self.value(inner, raw, field)
        if origin is tuple:
            inner = typing.get_args(hint)[0]
            if not isinstance(raw, list):
                self.add(field, "must be a list")
                return ()
            return tuple(self.value(inner, item, f"{field}[{n}]") for n, item in enumerate(raw, start=1))
        if isinstance(hint, type) and issubclass(hint, StrEnum):
            if not isinstance(raw, str) or raw not in {m.value for m in hint}:
                self.add(field, f"{raw!r} is not one of: {', '.join(m.value for m in hint)}")
                return None
            return hint(raw)
        if hint is bool:
            if not isinstance(raw, bool):
                self.add(field, "must be true or false")
            return raw
        if hint is str:
            if not isinstance(raw, str):
                self.add(field, "must be text")
            return raw
        if hint is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.add(field, "must be a whole number")
            elif not -MAX_ID - 1 <= raw <= MAX_ID:
                # Every whole number of a record goes into an integer column: refused here, not by
                # the database halfway through the import.
                self.add(field, f"is outside the range a whole number may have (at most {MAX_ID})")
            return raw
        if hint is Decimal:
            return self._decimal(raw, field)
        if hint is date:
            if not isinstance(raw, str):
                self.add(field, "must be a date written YYYY-MM-DD")
                return None
            try:
                return validation.parse_date(raw, field)
            except InvalidInput as exc:
                self.problems.extend(exc.problems)
                return None
        if hint is time:
            return self._time(raw, field)
        if dataclasses.is_dataclass(hint):
            return self.record(hint, raw, f"{field}.")  # type: ignore[arg-type]
        raise TypeError(f"no decoder for {hint!r}")  # a new record field type: teach the format first

    def _decimal(self, raw: Any, field: str) -> Decimal | None:
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            self.add(field, 'must be a number written as text, like "450.00"')
            return None
        try:
            value = raw if isinstance(raw, Decimal) else Decimal(raw.strip() if isinstance(raw, str) else raw)
        except InvalidOperation:
            self.add(field, f"{raw!r} is not a number")
            return None
        if not value.is_finite():
            self.add(field, "must be a finite number")
            return None
        return value

    def _time(self, raw: Any, field: str) -> time | None:
        if isinstance(raw, str) and len(raw) == 8 and raw[2] == ":" and raw[5] == ":":
            try:
                return time.fromisoformat(raw)
            except ValueError:
                pass
        if not isinstance(raw, str):
            self.add(field, "must be a time written HH:MM")
            return None
        try:
            return validation.parse_time(raw, field)
        except InvalidInput as exc:
            self.problems.extend(exc.problems)
            return None
