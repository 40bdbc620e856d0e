"""The infusions table model without a window: row count, cell text, sort order, lazy paging."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from kettrack.core.rows import InfusionFilter
from kettrack.services.workspace import Workspace
from kettrack.ui.infusions import DATE, DOSE, PAID, PATIENT, InfusionTableModel
from kettrack.ui.tables import ID_ROLE
from tests.ui.conftest import make_sessions


def test_rows_sorting_and_lazy_pages(workspace: Workspace, people: dict[str, int], qapp) -> None:  # type: ignore[no-untyped-def]
    make_sessions(workspace, [people["ada"], people["bo"]], 300)
    model = InfusionTableModel(workspace, page_size=50)
    model.reload()
    assert model.rowCount() == 300
    assert model.columnCount() == 9
    assert model.cache == {}  # nothing fetched until a cell is asked for

    first = model.index(0, DATE)
    assert model.data(first) == "2026-10-27"  # newest first by default (day 299 of 300)
    assert len(model.cache) == 50  # one page, not the whole table
    assert model.data(model.index(0, DOSE), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    model.data(model.index(120, PATIENT))
    assert len(model.cache) == 100
    assert isinstance(model.data(first, ID_ROLE), int)

    model.sort(PATIENT, Qt.SortOrder.AscendingOrder)
    names = [model.data(model.index(r, PATIENT)) for r in range(model.rowCount())]
    assert names == sorted(names)
    assert names[0] == "Ada Quill" and names[-1] == "Bo Marsh"

    model.sort(PAID, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, PAID)) == "$399.00"
    assert model.data(model.index(299, PAID)) == "$0.00"

    model.set_filter(
        InfusionFilter(patient_id=people["bo"], date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    )
    assert model.rowCount() == 15  # Jan 2, 4, ..., 30 (odd session numbers)
    assert {model.data(model.index(r, PATIENT)) for r in range(model.rowCount())} == {"Bo Marsh"}
