"""Spravato REMS use cases: each esketamine session's Patient Monitoring Form as a deadline beside the
claims' (the dashboard, ``kettrack due``, the calendar export), recording that a form was sent, and
the enrolment warning a session shows when its patient is not enrolled.

Both faces call these; the rules are ``kettrack.core.rems``, the queries ``kettrack.store.rems``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kettrack.core.calendar_export import CalendarItem
from kettrack.core.claims import Dashboard, DueItem
from kettrack.core.enums import Drug
from kettrack.core.problems import NotFound
from kettrack.core.rems import RemsSession, enrolment_warning, is_esketamine_session
from kettrack.store.rems import RemsForms

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

__all__ = [
    "RemsSession",
    "calendar_items",
    "dashboard",
    "due",
    "form_items",
    "forms",
    "patient_warning",
    "record_form_sent",
    "session_warning",
]

DASHBOARD_DAYS = 30  # as the claims' dashboard: overdue, within 7 days, within 30


def forms(ws: Workspace) -> RemsForms:
    return RemsForms(ws.db, today=ws.today)


def _item(rems: RemsSession) -> DueItem:
    deadline = rems.deadline
    return DueItem(
        deadline.due,
        rems.action(),
        deadline.explain(),
        None,
        "",
        rems.patient_name,
        "",
        deadline.kind,
        session_id=rems.session_id,
    )


def form_items(ws: Workspace, within_days: int) -> list[DueItem]:
    """The open REMS forms due by ``today + within_days`` (overdue ones included), soonest first."""
    due_by = ws.today() + timedelta(days=within_days)
    return [_item(s) for s in forms(ws).open_forms(due_by)]


def due(ws: Workspace, within_days: int) -> list[DueItem]:
    """What ``kettrack due`` lists: the claims' and authorizations' steps and the REMS forms."""
    items = ws.claim_views.due(within_days) + form_items(ws, within_days)
    return sorted(items, key=lambda i: (i.due, i.claim_id or 0, i.session_id or 0))


def dashboard(ws: Workspace) -> Dashboard:
    """The claims' dashboard with the open REMS forms in their sections (overdue, 7 days, 30 days)."""
    board = ws.claim_views.dashboard()
    extra = form_items(ws, DASHBOARD_DAYS)
    if not extra:
        return board
    today = board.today

    def merged(items: tuple[DueItem, ...], more: list[DueItem]) -> tuple[DueItem, ...]:
        return tuple(sorted((*items, *more), key=lambda i: (i.due, i.claim_id or 0, i.session_id or 0)))

    week = today + timedelta(days=7)
    return replace(
        board,
        overdue=merged(board.overdue, [i for i in extra if i.due < today]),
        within_7=merged(board.within_7, [i for i in extra if today <= i.due <= week]),
        within_30=merged(board.within_30, [i for i in extra if week < i.due]),
    )


def calendar_items(ws: Workspace) -> list[CalendarItem]:
    """Every open deadline for the .ics export: the claims' and authorizations', then the REMS forms.
    A form's key names its session, so exporting again updates the same event."""
    items = ws.claim_views.calendar_items()
    for rems in forms(ws).open_forms():
        deadline = rems.deadline
        items.append(
            CalendarItem(
                key=f"session-{rems.session_id}/rems-form",
                deadline=deadline,
                # The patient's name only in the description, as the claims' events have it.
                summary=f"Spravato REMS form (session {rems.session_id} of {rems.service_date.isoformat()})",
                description=f"Patient Monitoring Form for {rems.patient_name}'s esketamine session.",
            )
        )
    return items


def record_form_sent(ws: Workspace, infusion_id: int, sent_on: date | None) -> RemsSession:
    """Record the day a session's Patient Monitoring Form was sent; the deadline is then done."""
    return forms(ws).record_sent(infusion_id, sent_on)


def session_warning(ws: Workspace, infusion_id: int) -> str | None:
    """The enrolment warning of a session on file (None when it gave no esketamine or all is well)."""
    rems = forms(ws).session(infusion_id)
    return None if rems is None else rems.warning


def patient_warning(
    ws: Workspace, patient_id: int | None, drug: Drug, service_date: date | None
) -> str | None:
    """The enrolment warning for a session being entered: esketamine for ``patient_id`` on
    ``service_date`` (today when not given yet)."""
    if patient_id is None or not is_esketamine_session(drug):
        return None
    try:
        patient = ws.patients.get(patient_id)
    except NotFound:
        return None  # a patient deleted meanwhile: saving the session will say so
    return enrolment_warning(patient.rems_enrolled, patient.rems_enrolled_on, service_date or ws.today())
