"""The Dashboard, first in the window: what to do now. Overdue first, then what is due within 7 and
30 days; each row says what to do and opens its claim; the money billed, reimbursed and outstanding.

It reads one query (claims keep their next deadline in an indexed column) on the database worker
(kettrack.ui.operations), and reloads whenever a claim, a payer or a patient changes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from kettrack.core.money import format_usd
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.operations import query

if TYPE_CHECKING:
    from kettrack.core.claims import Dashboard, DueItem
    from kettrack.services.workspace import Workspace

# Sessions and their lines too: an esketamine session owes a Spravato REMS form (kettrack.core.rems).
WATCHES = frozenset(
    {changes.CLAIM, changes.PAYER, changes.PATIENT, changes.SETTINGS, changes.INFUSION, changes.BILLING}
)
OVERDUE_COLOR = QColor("#b71c1c")
SOON_COLOR = QColor("#e65100")
HEADERS = ("When", "Due", "What to do", "Claim", "Patient", "Payer")


def when_text(item: DueItem, today: date) -> str:
    days = item.days_left(today)
    if days < 0:
        return tr("{0} days overdue").format(-days) if days < -1 else tr("1 day overdue")
    if days == 0:
        return tr("today")
    return tr("in {0} days").format(days) if days > 1 else tr("tomorrow")


class DueModel(QAbstractTableModel):
    """Dashboard rows: section titles ("Overdue", "Due within 7 days"...) and the items under them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, DueItem | None]] = []
        self.today = date.today()

    def set_dashboard(self, dashboard: Dashboard) -> None:
        self.beginResetModel()
        self.today = dashboard.today
        self.rows = []
        for title, items in (
            (tr("Overdue"), dashboard.overdue),
            (tr("Due within 7 days"), dashboard.within_7),
            (tr("Due within 30 days"), dashboard.within_30),
            (tr("Later"), dashboard.later),
        ):
            if items:
                self.rows.append((f"{title} ({len(items)})", None))
                self.rows += [("", item) for item in items]
        self.endResetModel()

    def item(self, row: int) -> DueItem | None:
        return self.rows[row][1] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(HEADERS[section])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        title, item = self.rows[index.row()]
        column = index.column()
        if item is None:
            if role == Qt.ItemDataRole.DisplayRole and column == 0:
                return title
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return when_text(item, self.today)
            if column == 1:
                return item.due.isoformat()
            if column == 2:
                mark = "" if item.confirmed else tr("  (default rule: confirm the plan's)")
                return item.action + mark
            if column == 3:
                if item.session_id is not None:
                    return tr("session {0}").format(item.session_id)
                return item.claim_number or tr("authorization")
            if column == 4:
                return item.patient_name
            return item.payer_name
        if role == Qt.ItemDataRole.ForegroundRole and column in (0, 1):
            days = item.days_left(self.today)
            if days < 0:
                return QBrush(OVERDUE_COLOR)
            if days <= 7:
                return QBrush(SOON_COLOR)
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.explanation or (
                None
                if item.confirmed
                else tr(
                    "This deadline follows a default rule for this kind of plan. Check the plan's own rule "
                    "and confirm it in the payer's rules."
                )
            )
        return None


class DashboardView(QWidget):
    """What to do now, and the money."""

    open_claim = Signal(int)

    def __init__(self, ws: Workspace, bus: ChangeBus, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.bus = bus
        self.setObjectName("dashboard_view")
        self.dashboard: Dashboard | None = None

        self.headline = QLabel()
        self.headline.setObjectName("dashboard_headline")
        headline_font = self.headline.font()
        headline_font.setPointSizeF(headline_font.pointSizeF() * 1.25)
        headline_font.setBold(True)
        self.headline.setFont(headline_font)
        self.totals = QLabel()
        self.totals.setObjectName("dashboard_totals")
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(tr("Open claim"))
        self.open_button.clicked.connect(self.open_current)

        self.model = DueModel(self)
        self.table = QTableView()
        self.table.setObjectName("dashboard_table")
        self.table.setAccessibleName(tr("What to do now"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        for column, width in enumerate((130, 95, 420, 95, 170)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda index: self._open_row(index.row()))

        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addWidget(self.table, 1)
        bus.changed.connect(self._on_changed)
        self.refresh()

    def refresh(self) -> None:
        # A dashboard that cannot be read says so in its headline (the log has the failure).
        from kettrack.services import rems  # the claims' dashboard with the REMS forms (not at start-up)

        ws = self.ws
        query(
            self,
            lambda: rems.dashboard(ws),
            self.show_dashboard,
            what="read dashboard",
            handle={Exception: self._failed},
        )

    def show_dashboard(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.model.set_dashboard(dashboard)
        # Section titles read across the whole row.
        self.table.clearSpans()
        for row, (_title, item) in enumerate(self.model.rows):
            if item is None:
                self.table.setSpan(row, 0, 1, len(HEADERS))
        overdue, soon = len(dashboard.overdue), len(dashboard.within_7)
        if overdue:
            self.headline.setText(tr("{0} overdue, {1} due this week").format(overdue, soon))
            self.headline.setStyleSheet(f"color: {OVERDUE_COLOR.name()};")
        elif soon or dashboard.within_30:
            self.headline.setText(tr("Nothing overdue; {0} due this week").format(soon))
            self.headline.setStyleSheet("")
        else:
            self.headline.setText(tr("Nothing to do in the next 30 days"))
            self.headline.setStyleSheet("")
        t = dashboard.totals
        self.totals.setText(
            tr("Billed {0}  ·  Reimbursed {1}  ·  Outstanding {2}  ·  {3} open claims").format(
                format_usd(t.billed), format_usd(t.reimbursed), format_usd(t.outstanding), t.open_claims
            )
        )
        self.open_button.setEnabled(bool(self.model.rows))

    def _failed(self, error: BaseException) -> None:
        self.headline.setText(tr("The dashboard could not be read: {0}").format(type(error).__name__))

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if kinds & WATCHES:
            self.refresh()

    def _open_row(self, row: int) -> None:
        item = self.model.item(row)
        if item is not None and item.claim_id is not None:
            self.open_claim.emit(item.claim_id)
        elif item is not None and item.session_id is not None:
            from kettrack.ui.rems_dialog import open_rems_form

            open_rems_form(self, self.ws, self.bus, item.session_id)

    def open_current(self) -> None:
        index = self.table.currentIndex()
        row = (
            index.row()
            if index.isValid()
            else next((r for r in range(self.model.rowCount()) if self.model.item(r) is not None), -1)
        )
        self._open_row(row)

    def actions(self) -> list[str]:
        """The "what to do" texts shown, top to bottom (tests read the dashboard through this)."""
        return [item.action for _title, item in self.model.rows if item is not None]

    # --- what the Edit menu asks of a view ---

    def new_item(self) -> None:
        pass

    def edit_item(self) -> None:
        self.open_current()

    def delete_item(self) -> None:
        pass

    def focus_find(self) -> None:
        self.table.setFocus()

    def save_state(self) -> None:
        pass
