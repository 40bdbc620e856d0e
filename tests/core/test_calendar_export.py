"""The .ics export parses back with icalendar and keeps its event ids across exports."""

from __future__ import annotations

from datetime import date

from icalendar import Calendar

from kettrack.core.calendar_export import CalendarItem, to_ics
from kettrack.core.deadlines import DEFAULT_RULES, appeal_deadline, filing_deadline
from kettrack.core.enums import PayerKind

RULES = DEFAULT_RULES[PayerKind.COMMERCIAL]


def _items(notice: date) -> list[CalendarItem]:
    return [
        CalendarItem(
            "claim-7/appeal/internal",
            appeal_deadline(RULES, RULES.level("internal"), notice),
            "File internal appeal: claim BR-1",
        ),
        CalendarItem("claim-8/file", filing_deadline(RULES, date(2026, 11, 1)), "File claim for 2026-11-01"),
    ]


def _events(data: bytes) -> dict[str, object]:
    return {str(e["uid"]): e for e in Calendar.from_ical(data).walk("VEVENT")}


def test_export_parses_back_with_alarms() -> None:
    events = _events(to_ics(_items(date(2026, 3, 1))))
    assert len(events) == 2
    event = next(e for e in events.values() if "appeal" in str(e["summary"]))  # type: ignore[index]
    assert event["dtstart"].dt == date(2026, 8, 28)  # type: ignore[index]
    assert len(event.walk("VALARM")) == 2  # type: ignore[attr-defined]
    assert "29 CFR 2560.503-1" in str(event["description"])  # type: ignore[index]


def test_a_second_export_keeps_the_event_ids_even_when_dates_move() -> None:
    first = _events(to_ics(_items(date(2026, 3, 1))))
    second = _events(to_ics(_items(date(2026, 3, 9))))
    assert set(first) == set(second)
