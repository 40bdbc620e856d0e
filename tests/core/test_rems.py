"""Spravato REMS rules as tables: which sessions are esketamine, the Patient Monitoring Form due 7 days
after each one (done once its sending is recorded), the enrolment warning, and the checks of the
enrolment fields and of a form's sent date. Source of every row: the billing reference, "Esketamine
(Spravato), 2026" (REMS: patient enrolled before treatment; a form after every session within 7 days)."""

from __future__ import annotations

from datetime import date

import pytest

from kettrack.core.deadlines import DeadlineKind
from kettrack.core.enums import Drug
from kettrack.core.problems import InvalidInput
from kettrack.core.records import PatientRecord
from kettrack.core.rems import (
    RemsSession,
    check_form_sent,
    check_patient,
    enrolment_warning,
    form_deadline,
    is_esketamine_session,
    open_forms,
)

TODAY = date(2026, 11, 23)

ESKETAMINE = [
    # drug, service-line codes, esketamine?
    (Drug.ESKETAMINE, (), True),
    (Drug.KETAMINE, (), False),
    (Drug.KETAMINE, ("96365", "J3490"), False),  # IV ketamine: no REMS
    (Drug.KETAMINE, ("G2082",), True),  # the observed visit, up to 56 mg
    (Drug.KETAMINE, ("99214", "G2083"), True),  # more than 56 mg
    (Drug.KETAMINE, ("J0013",), True),  # the drug line since 2026
    (Drug.KETAMINE, ("s0013",), True),  # the retired code, as a lagging payer still wants it
    (Drug.KETAMINE, (" j0013 ",), True),
    (Drug.ESKETAMINE, ("J0013",), True),
]


@pytest.mark.parametrize(("drug", "codes", "expected"), ESKETAMINE)
def test_which_sessions_are_esketamine(drug: Drug, codes: tuple[str, ...], expected: bool) -> None:
    assert is_esketamine_session(drug, codes) is expected


DUE = [
    # date of service, form due (7 days after)
    (date(2026, 11, 16), date(2026, 11, 23)),
    (date(2026, 11, 26), date(2026, 12, 3)),  # across a month
    (date(2026, 12, 28), date(2027, 1, 4)),  # across a year
    (date(2028, 2, 25), date(2028, 3, 3)),  # a leap February
    (date(2026, 2, 25), date(2026, 3, 4)),
    (date(2026, 11, 21), date(2026, 11, 28)),  # a Saturday stays a Saturday: never moved
]


@pytest.mark.parametrize(("service", "due"), DUE)
def test_the_form_is_due_seven_days_after_the_session(service: date, due: date) -> None:
    deadline = form_deadline(service)
    assert deadline.due == due
    assert deadline.kind is DeadlineKind.REMS_FORM
    assert deadline.trigger == service
    assert service.isoformat() in deadline.action
    assert "7 days" in deadline.rule and "REMS" in deadline.source


def _session(number: int, day: date, sent: date | None = None, **kwargs: object) -> RemsSession:
    return RemsSession(number, 1, "Ann Able", day, sent, **kwargs)  # type: ignore[arg-type]


OPEN = [
    # sessions (id, date of service, form sent on), the ids whose form is still owed (soonest first)
    ([], []),
    ([(1, date(2026, 11, 2), None)], [1]),
    ([(1, date(2026, 11, 2), date(2026, 11, 4))], []),
    (
        [
            (1, date(2026, 11, 2), date(2026, 11, 4)),
            (2, date(2026, 11, 9), None),
            (3, date(2026, 11, 16), date(2026, 11, 20)),
            (4, date(2026, 11, 23), None),
        ],
        [2, 4],
    ),
    # Out of order in, soonest due first out; two the same day by id.
    (
        [(7, date(2026, 11, 20), None), (5, date(2026, 10, 1), None), (6, date(2026, 11, 20), None)],
        [5, 6, 7],
    ),
    # A form sent late still counts as done.
    ([(1, date(2026, 9, 1), date(2026, 11, 1))], []),
]


@pytest.mark.parametrize(("rows", "owed"), OPEN)
def test_open_forms_are_the_unrecorded_ones(
    rows: list[tuple[int, date, date | None]], owed: list[int]
) -> None:
    sessions = [_session(number, day, sent) for number, day, sent in rows]
    found = open_forms(sessions)
    assert [s.session_id for s in found] == owed
    assert all(not s.form_done for s in found)
    # Each open form's deadline is its own session's.
    assert [s.deadline.due for s in found] == [form_deadline(s.service_date).due for s in found]


WARNINGS = [
    # enrolled, enrolled on, date of service, the warning's words (None: no warning)
    (False, None, date(2026, 11, 20), "not enrolled"),
    (True, None, date(2026, 11, 20), None),  # enrolled, date not on file: no reason to doubt it
    (True, date(2026, 1, 5), date(2026, 11, 20), None),
    (True, date(2026, 11, 20), date(2026, 11, 20), None),  # enrolled that morning, before the session
    (True, date(2026, 11, 21), date(2026, 11, 20), "after this session"),
]


@pytest.mark.parametrize(("enrolled", "enrolled_on", "service", "words"), WARNINGS)
def test_enrolment_warning(
    enrolled: bool, enrolled_on: date | None, service: date, words: str | None
) -> None:
    warning = enrolment_warning(enrolled, enrolled_on, service)
    if words is None:
        assert warning is None
    else:
        assert warning is not None and words in warning
        # The dashboard says it beside the action.
        session = _session(1, service, None, enrolled=enrolled, enrolled_on=enrolled_on)
        assert warning in session.action()


SENT = [
    # sent on, date of service, problem words (None: accepted)
    (date(2026, 11, 20), date(2026, 11, 20), None),  # the same day
    (date(2026, 11, 23), date(2026, 11, 16), None),  # on the due day, which is today
    (date(2026, 11, 22), date(2026, 10, 1), None),  # late, still recorded
    (date(2026, 11, 19), date(2026, 11, 20), "before the session"),
    (date(2026, 11, 24), date(2026, 11, 20), "in the future"),
    (None, date(2026, 11, 20), "required"),
]


@pytest.mark.parametrize(("sent", "service", "problem"), SENT)
def test_a_form_sent_date(sent: date | None, service: date, problem: str | None) -> None:
    if problem is None:
        assert check_form_sent(sent, service, TODAY) == sent
    else:
        with pytest.raises(InvalidInput) as caught:
            check_form_sent(sent, service, TODAY)
        assert [p.field for p in caught.value.problems] == ["rems_form_sent_on"]
        assert problem in str(caught.value)


ENROLMENT = [
    # enrolled, enrolled on, REMS ID, {field: words of its problem} ({}: accepted)
    (False, None, "", {}),
    (True, None, "", {}),
    (True, date(2026, 1, 5), "", {}),
    (True, date(2026, 1, 5), "AB-1234 56", {}),
    (True, None, "  ab12  ", {}),  # trimmed
    (True, date(2026, 11, 24), "", {"rems_enrolled_on": "in the future"}),
    (True, date(1899, 12, 31), "", {"rems_enrolled_on": "before 1900"}),
    (True, date(1979, 1, 1), "", {"rems_enrolled_on": "date of birth"}),  # born 1980-05-01
    (True, None, "AB/12", {"rems_id": "letters, digits"}),
    (True, None, "A" * 51, {"rems_id": "50"}),
    (True, None, "AB\x0012", {"rems_id": ""}),  # a control character
    (False, date(2026, 1, 5), "", {"rems_enrolled": "mark the patient as enrolled"}),
    (False, None, "AB12", {"rems_enrolled": "mark the patient as enrolled"}),
]


@pytest.mark.parametrize(("enrolled", "enrolled_on", "rems_id", "problems"), ENROLMENT)
def test_enrolment_fields(
    enrolled: bool, enrolled_on: date | None, rems_id: str, problems: dict[str, str]
) -> None:
    record = PatientRecord(
        "Ann Able",
        date_of_birth=date(1980, 5, 1),
        rems_enrolled=enrolled,
        rems_enrolled_on=enrolled_on,
        rems_id=rems_id,
    )
    if not problems:
        cleaned = check_patient(record, TODAY)
        assert cleaned.rems_id == rems_id.strip()
        assert (cleaned.rems_enrolled, cleaned.rems_enrolled_on) == (enrolled, enrolled_on)
        return
    with pytest.raises(InvalidInput) as caught:
        check_patient(record, TODAY)
    assert {p.field for p in caught.value.problems} == set(problems)
    for field, words in problems.items():
        assert any(words in message for message in caught.value.for_field(field))


def test_the_patient_checks_and_the_enrolment_report_together() -> None:
    record = PatientRecord("", email="nope", rems_enrolled_on=date(2027, 1, 1))
    with pytest.raises(InvalidInput) as caught:
        check_patient(record, TODAY)
    assert {p.field for p in caught.value.problems} == {
        "legal_name",
        "email",
        "rems_enrolled_on",
        "rems_enrolled",
    }
