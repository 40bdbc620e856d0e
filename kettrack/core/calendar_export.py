"""Deadlines as an iCalendar file (RFC 5545) with alarms, so they reach a phone's calendar.

Event ids are stable (derived from what the deadline is about, never from its date), so exporting
again updates the same events instead of adding duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kettrack.core.deadlines import Deadline

ALARM_DAYS = (7, 1)


@dataclass(frozen=True)
class CalendarItem:
    """One deadline to export; ``key`` names what it is about (e.g. "claim-12/appeal/internal")."""

    key: str
    deadline: Deadline
    summary: str
    description: str = ""


def event_uid(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@kettrack"


def to_ics(items: Iterable[CalendarItem], *, now: datetime | None = None) -> bytes:
    stamp = now or datetime.now(UTC)
    # icalendar costs ~40 ms to import: only the export pays it, not the dashboard that shares this module.
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//kettrack//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "kettrack deadlines")
    for item in items:
        event = Event()
        event.add("uid", event_uid(item.key))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.deadline.due)
        event.add("dtend", item.deadline.due + timedelta(days=1))
        event.add("summary", item.summary)
        text = f"{item.deadline.action}. {item.deadline.explain()}."
        event.add("description", f"{text}\n{item.description}".strip())
        event.add("transp", "TRANSPARENT")
        for days in ALARM_DAYS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{item.summary} ({days} day{'s' if days > 1 else ''} left)")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
