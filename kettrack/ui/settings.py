"""Every QSettings key the window uses, declared once with its type and default, split into user
preferences and window state (Picard's ``options.py``). No patient or billing data is ever stored here."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView

T = TypeVar("T")

ORGANIZATION = "kettrack"
APPLICATION = "kettrack"


class Key(NamedTuple, Generic[T]):
    """One QSettings key with its type and default."""

    # Not a frozen dataclass: defining one costs about 1 ms, and this is defined before the first paint.
    name: str
    type: type[T]
    default: T


class Preferences:
    """What the user chose."""

    FILTER_DELAY_MS = Key("preferences/filter_delay_ms", int, 250)
    INFUSION_PAGE_SIZE = Key("preferences/infusion_page_size", int, 200)


class WindowState:
    """How the user left the window; restored at the next start."""

    MAIN_GEOMETRY = Key("window/main_geometry", QByteArray, QByteArray())
    MAIN_STATE = Key("window/main_state", QByteArray, QByteArray())

    @staticmethod
    def header(table: str) -> Key[QByteArray]:
        return Key(f"window/header/{table}", QByteArray, QByteArray())


def store() -> QSettings:
    # INI everywhere (not the registry / plists): one format to read, and tests redirect it with
    # QSettings.setPath(IniFormat, UserScope, tmp).
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def load(key: Key[T]) -> T:
    value = store().value(key.name, key.default)
    if value is None:
        return key.default
    if key.type is QByteArray:
        return value if isinstance(value, QByteArray) else key.default  # type: ignore[return-value]
    try:
        return key.type(value)  # type: ignore[call-arg]
    except (TypeError, ValueError):
        return key.default


def save(key: Key[T], value: T) -> None:
    store().setValue(key.name, value)


def restore_header(header: QHeaderView, table: str) -> None:
    state = load(WindowState.header(table))
    if not state.isEmpty():
        header.restoreState(state)


def save_header(header: QHeaderView, table: str) -> None:
    save(WindowState.header(table), header.saveState())
