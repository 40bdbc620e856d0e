"""The Spravato REMS paperwork on file: which sessions gave esketamine (their drug, or a service line
billing it), whether each one's Patient Monitoring Form was recorded as sent, and the patient's
enrolment beside it; and recording that a form was sent (audited, in the same transaction).
The rules (what counts, when a form is due, what a sent date may be) are ``kettrack.core.rems``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from kettrack.core.enums import Drug
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.rems import ESKETAMINE_CODES, FORM_DUE_DAYS, FORM_SENT_FIELD, RemsSession, check_form_sent
from kettrack.store import audit
from kettrack.store.database import Database
from kettrack.store.models import AppSetting, Infusion, Patient, ServiceLine

__all__ = ["TRACKED_FROM", "RemsForms"]

# The first date of service whose form is tracked, on a database upgraded with sessions on file.
TRACKED_FROM = "rems_forms_from"


def _gave_esketamine() -> ColumnElement[bool]:
    """A session gave esketamine: its drug says so, or one of its service lines bills it."""
    billed = select(ServiceLine.infusion_id).where(ServiceLine.code.in_(sorted(ESKETAMINE_CODES)))
    return or_(Infusion.drug == Drug.ESKETAMINE, Infusion.id.in_(billed))


class RemsForms:
    """Esketamine sessions with their form and the patient's enrolment; recording a form as sent."""

    def __init__(self, db: Database, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    def _read(self, session: Session, *conditions: Any) -> list[RemsSession]:
        query = (
            select(
                Infusion.id,
                Infusion.patient_id,
                Patient.legal_name,
                Infusion.service_date,
                Infusion.rems_form_sent_on,
                Patient.rems_enrolled,
                Patient.rems_enrolled_on,
            )
            .join(Patient, Patient.id == Infusion.patient_id)
            .where(_gave_esketamine(), *conditions)
            .order_by(Infusion.service_date, Infusion.id)
        )
        return [RemsSession(*row) for row in session.execute(query)]

    def open_forms(self, due_by: date | None = None) -> list[RemsSession]:
        """Esketamine sessions whose form is not recorded as sent (and, given ``due_by``, due by then),
        oldest first."""
        conditions: list[Any] = [Infusion.rems_form_sent_on.is_(None)]
        if due_by is not None:
            conditions.append(Infusion.service_date <= due_by - timedelta(days=FORM_DUE_DAYS))
        with self.db.reader() as session:
            # Set by the upgrade that brought REMS tracking to a database already holding sessions:
            # older sessions' forms were due before kettrack tracked them (see migration 0008).
            start = session.get(AppSetting, TRACKED_FROM)
            if start is not None:
                conditions.append(Infusion.service_date >= date.fromisoformat(start.value))
            return self._read(session, *conditions)

    def sessions(self, patient_id: int | None = None) -> list[RemsSession]:
        """Every esketamine session (of one patient, given ``patient_id``), oldest first."""
        conditions = [] if patient_id is None else [Infusion.patient_id == patient_id]
        with self.db.reader() as session:
            return self._read(session, *conditions)

    def session(self, infusion_id: int) -> RemsSession | None:
        """The session's REMS state, or None when it gave no esketamine (it owes no form)."""
        with self.db.reader() as session:
            if session.get(Infusion, infusion_id) is None:
                raise NotFound("infusion session", infusion_id)
            found = self._read(session, Infusion.id == infusion_id)
            return found[0] if found else None

    def record_sent(self, infusion_id: int, sent_on: date | None) -> RemsSession:
        """Record the day the session's Patient Monitoring Form was sent (a later call corrects it)."""
        with self.db.session() as session:
            row = session.get(Infusion, infusion_id)
            if row is None:
                raise NotFound("infusion session", infusion_id)
            if not self._read(session, Infusion.id == infusion_id):
                raise InvalidInput.single(
                    FORM_SENT_FIELD,
                    f"session {infusion_id} gave no esketamine (its drug is {row.drug.value} and no line "
                    "bills G2082, G2083, J0013 or S0013): it owes no REMS form",
                )
            sent = check_form_sent(sent_on, row.service_date, self.today())
            before = row.rems_form_sent_on
            row.rems_form_sent_on = sent
            session.flush()
            change = f"REMS form sent on {sent.isoformat()}"
            if before is not None and before != sent:
                change += f" (was {before.isoformat()})"
            audit.record(session, "update", "infusion", infusion_id, "changed: rems_form_sent_on; " + change)
            return self._read(session, Infusion.id == infusion_id)[0]
