"""The shape every record repository shares: get, list, count, view (audited), add, update and
delete, each write validated first and audited in the same transaction, frozen records out. A
repository names its model and kind and fills in the hooks (``to_record``, ``columns_of``, ``_check``
and, where needed, ``_check_references``, ``_blockers``, ``_order``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kettrack.core.problems import InvalidInput, NotFound
from kettrack.store import audit
from kettrack.store.database import Database
from kettrack.store.models import Base

__all__ = ["M", "R", "Repository", "require"]

R = TypeVar("R")
M = TypeVar("M", bound=Base)


def require(session: Session, model: type[Base], record_id: int | None, field: str, kind: str) -> None:
    """Refuse a reference to a record that does not exist, with a message naming the field."""
    if record_id is not None and session.get(model, record_id) is None:
        raise InvalidInput.single(field, f"there is no {kind} with id {record_id}")


class Repository(Generic[R, M]):
    """The shared shape: get, list, add, update, delete with validation and frozen records out."""

    model: type[M]
    kind: str

    def __init__(self, db: Database, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # Hooks each repository fills in.
    def to_record(self, row: M) -> R:
        raise NotImplementedError

    def columns_of(self, record: R) -> dict[str, Any]:
        raise NotImplementedError

    def _check(self, record: R) -> R:
        raise NotImplementedError

    def _check_references(self, session: Session, record: R) -> None:
        """Refuse references to rows that do not exist."""

    def _blockers(self, session: Session, record_id: int) -> list[str]:
        """Why a record cannot be deleted (rows that still refer to it)."""
        return []

    def _order(self) -> Any:
        return self.model.id  # type: ignore[attr-defined]

    def get(self, record_id: int) -> R:
        with self.db.reader() as session:
            row = session.get(self.model, record_id)
            if row is None:
                raise NotFound(self.kind, record_id)
            return self.to_record(row)

    def list(self) -> list[R]:
        with self.db.reader() as session:
            order = self._order()
            ordering = order if isinstance(order, tuple) else (order,)
            return [self.to_record(row) for row in session.scalars(select(self.model).order_by(*ordering))]

    def count(self) -> int:
        with self.db.reader() as session:
            return int(session.scalar(select(func.count()).select_from(self.model)) or 0)

    def view(self, record_id: int) -> R:
        """The record, for showing it to a person: the viewing is written to the audit log."""
        with self.db.session() as session:
            row = session.get(self.model, record_id)
            if row is None:
                raise NotFound(self.kind, record_id)
            audit.record(session, "view", self.kind, record_id)
            return self.to_record(row)

    def add(self, record: R) -> R:
        record = self._check(record)
        with self.db.session() as session:
            self._check_references(session, record)
            row = self.model(**self.columns_of(record))
            session.add(row)
            session.flush()
            audit.record(session, "create", self.kind, row.id)  # type: ignore[attr-defined]
            return self.to_record(row)

    def update(self, record: R) -> R:
        record_id = getattr(record, "id", None)
        if record_id is None:
            raise InvalidInput.single("id", "an id is needed to update a record")
        record = self._check(record)
        with self.db.session() as session:
            row = session.get(self.model, record_id)
            if row is None:
                raise NotFound(self.kind, record_id)
            self._check_references(session, record)
            before = self.to_record(row)
            for column, value in self.columns_of(record).items():
                setattr(row, column, value)
            session.flush()
            after = self.to_record(row)
            audit.record(session, "update", self.kind, record_id, audit.changed_fields(before, after))
            return after

    def delete(self, record_id: int) -> None:
        with self.db.session() as session:
            row = session.get(self.model, record_id)
            if row is None:
                raise NotFound(self.kind, record_id)
            blockers = self._blockers(session, record_id)
            if blockers:
                raise InvalidInput.single(
                    "id",
                    f"this {self.kind} is still used by " + " and ".join(blockers) + "; remove those first",
                )
            session.delete(row)
            audit.record(session, "delete", self.kind, record_id)
