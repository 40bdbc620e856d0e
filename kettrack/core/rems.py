"""Spravato (esketamine) REMS: the patient's enrolment and the Patient Monitoring Form each esketamine
session owes. Pure rules, no database.

The REMS (billing reference, "Esketamine (Spravato), 2026") asks for a certified setting, a patient
enrolled before treatment, at least two hours of monitoring, and a Patient Monitoring Form after every
session, due within 7 days of it. A session is an esketamine session when its drug is esketamine or a
service line bills esketamine (G2082/G2083 with the drug included, J0013, or the retired S0013). The
form is done once the date it was sent is recorded; until then it is a deadline on the dashboard, in
``kettrack due`` and in the calendar export.

Enrolment is kept on the patient's record (``PatientRecord.rems_*``) and checked here, on top of the
patient checks of ``kettrack.core.validation``: ``check_patient`` gives every problem of both at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from kettrack.core import validation
from kettrack.core.deadlines import Deadline, DeadlineKind
from kettrack.core.enums import Drug
from kettrack.core.field_checks import EARLIEST_DATE, ID_MAX, text_problem
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import PatientRecord

__all__ = [
    "ESKETAMINE_CODES",
    "FORM_DUE_DAYS",
    "FORM_SENT_FIELD",
    "RemsSession",
    "check_form_sent",
    "check_patient",
    "enrolment_problems",
    "enrolment_warning",
    "form_deadline",
    "is_esketamine_session",
    "open_forms",
]

# G2082/G2083: the observed self-administration visit (drug included for Medicare); J0013: the drug,
# 1 mg, since 2026-01-01; S0013: its predecessor, still sent to payers whose systems lag.
ESKETAMINE_CODES = frozenset({"G2082", "G2083", "J0013", "S0013"})
FORM_DUE_DAYS = 7
FORM_RULE = f"Spravato REMS: a Patient Monitoring Form within {FORM_DUE_DAYS} days after each session"
FORM_SOURCE = "Spravato REMS requirements (billing reference, Esketamine 2026)"
FORM_SENT_FIELD = "rems_form_sent_on"
_REMS_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z -]*")


def is_esketamine_session(drug: Drug, codes: Iterable[str] = ()) -> bool:
    """Whether a session gave esketamine: its drug, or any of its service lines' codes."""
    return drug is Drug.ESKETAMINE or any(code.strip().upper() in ESKETAMINE_CODES for code in codes)


def form_deadline(service_date: date) -> Deadline:
    """The Patient Monitoring Form of a session on ``service_date``: due 7 days after it."""
    return Deadline(
        DeadlineKind.REMS_FORM,
        service_date + timedelta(days=FORM_DUE_DAYS),
        f"Send the Spravato REMS Patient Monitoring Form for the session of {service_date.isoformat()}",
        FORM_RULE,
        FORM_SOURCE,
        service_date,
    )


def enrolment_warning(enrolled: bool, enrolled_on: date | None, service_date: date) -> str | None:
    """What is wrong with giving esketamine on ``service_date`` to a patient with this enrolment, in
    words for the person (never for a payer), or None when nothing is."""
    if not enrolled:
        return "the patient is not enrolled in the Spravato REMS, which must come before treatment"
    if enrolled_on is not None and enrolled_on > service_date:
        return (
            f"the patient was enrolled in the Spravato REMS on {enrolled_on.isoformat()}, after this "
            "session: enrolment must come before treatment"
        )
    return None


@dataclass(frozen=True)
class RemsSession:
    """An esketamine session and where its REMS paperwork stands."""

    session_id: int
    patient_id: int
    patient_name: str
    service_date: date
    form_sent_on: date | None = None
    enrolled: bool = False
    enrolled_on: date | None = None

    @property
    def form_done(self) -> bool:
        return self.form_sent_on is not None

    @property
    def deadline(self) -> Deadline:
        return form_deadline(self.service_date)

    @property
    def warning(self) -> str | None:
        return enrolment_warning(self.enrolled, self.enrolled_on, self.service_date)

    def action(self) -> str:
        """What the dashboard says to do; a missing enrolment is said beside it."""
        warning = self.warning
        return self.deadline.action + (f" ({warning})" if warning else "")


def open_forms(sessions: Iterable[RemsSession]) -> list[RemsSession]:
    """The sessions whose form is not recorded as sent, soonest due first."""
    return sorted((s for s in sessions if not s.form_done), key=lambda s: (s.service_date, s.session_id))


def check_form_sent(sent_on: date | None, service_date: date, today: date) -> date:
    """The day a session's form was sent, refused when it is missing, before the session or ahead."""
    if sent_on is None:
        raise InvalidInput.single(FORM_SENT_FIELD, "the date the form was sent is required")
    if sent_on < service_date:
        raise InvalidInput.single(
            FORM_SENT_FIELD,
            f"{sent_on.isoformat()} is before the session ({service_date.isoformat()}): "
            "the form reports on the session, so it is sent after it",
        )
    if sent_on > today:
        raise InvalidInput.single(FORM_SENT_FIELD, f"{sent_on.isoformat()} is in the future")
    return sent_on


def enrolment_problems(record: PatientRecord, today: date) -> tuple[PatientRecord, list[Problem]]:
    """The REMS fields of ``record`` cleaned, and what is wrong with them."""
    problems: list[Problem] = []
    rems_id = record.rems_id.strip()
    if rems_id:
        if problem := text_problem(rems_id, max_len=ID_MAX):
            problems.append(Problem("rems_id", problem))
        elif not _REMS_ID.fullmatch(rems_id):
            problems.append(Problem("rems_id", "a REMS ID holds only letters, digits, spaces and hyphens"))
    enrolled_on = record.rems_enrolled_on
    if enrolled_on is not None:
        if enrolled_on < EARLIEST_DATE:
            problems.append(Problem("rems_enrolled_on", f"{enrolled_on.isoformat()} is before 1900"))
        elif enrolled_on > today:
            problems.append(Problem("rems_enrolled_on", f"{enrolled_on.isoformat()} is in the future"))
        elif record.date_of_birth is not None and enrolled_on < record.date_of_birth:
            problems.append(Problem("rems_enrolled_on", "is before the patient's date of birth"))
    if not record.rems_enrolled and (enrolled_on is not None or rems_id):
        # A date or an ID with "not enrolled" contradicts itself; which one is true only the person knows.
        problems.append(
            Problem(
                "rems_enrolled",
                "a REMS enrolment date or ID is given: mark the patient as enrolled, or clear them",
            )
        )
    return replace(record, rems_id=rems_id), problems


def check_patient(record: PatientRecord, today: date) -> PatientRecord:
    """``kettrack.core.validation.check_patient`` plus the REMS enrolment, every problem at once."""
    try:
        cleaned = validation.check_patient(record, today)
        problems: list[Problem] = []
    except InvalidInput as exc:
        cleaned, problems = record, list(exc.problems)
    cleaned, rems_problems = enrolment_problems(cleaned, today)
    problems += rems_problems
    if problems:
        raise InvalidInput(problems)
    return cleaned
