"""Opening the form of a people record (patient, provider or clinic, payer, coverage) that a problem
names: the superbill dialog's pre-flight list and the letter editor's gaps both send the person there."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kettrack.core.bill_problems import RecordKind
from kettrack.ui.changes import ChangeBus
from kettrack.ui.operations import query

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

PEOPLE_RECORDS = frozenset({RecordKind.PATIENT, RecordKind.PROVIDER, RecordKind.PAYER, RecordKind.COVERAGE})


def open_people_record(
    owner: QWidget,
    ws: Workspace,
    bus: ChangeBus,
    kind: RecordKind,
    record_id: int,
    show: Callable[[QWidget], None],
) -> None:
    """Read the record on the database worker, then hand its edit form to ``show``."""
    from kettrack.ui.people_sections import edit_record_dialog, sections

    section = next(s for s in sections(ws) if s.name == f"{kind.value}s")
    query(
        owner,
        lambda: section.repository.get(record_id),
        lambda record: show(edit_record_dialog(owner, section, bus, record)),
        what=f"open {kind.value}",
    )
