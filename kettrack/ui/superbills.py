"""The Superbills section: every issued superbill (each version of it), filtered by patient, with
Open (the system's viewer), Preview (inside the app) and Re-issue (a new version from the current
records; the old one stays on file, marked superseded). The list, the files and re-issuing go through
the database worker (kettrack.ui.operations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.money import format_usd
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.ui import changes
from kettrack.ui.basics import confirm, fill_patient_filter, tell, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.operations import change, query
from kettrack.ui.pdf_preview import PdfPreview, open_in_viewer, viewer_copy
from kettrack.ui.tables import Column, RecordTable, RecordTableModel

if TYPE_CHECKING:
    from kettrack.services.superbills import IssuedSuperbillRecord
    from kettrack.services.workspace import Workspace

# The change kind announced after a superbill is issued (belongs beside the others in ui.changes).
SUPERBILL = changes.SUPERBILL  # kept importable from here
# Names of patients and providers appear in the list.
WATCHES = frozenset({SUPERBILL, changes.PATIENT, changes.PROVIDER})


def status_text(record: IssuedSuperbillRecord) -> str:
    if record.superseded:
        return tr("superseded")
    return tr("draft") if record.draft else tr("issued")


def _services(record: IssuedSuperbillRecord) -> str:
    if record.date_from == record.date_to:
        return record.date_from.isoformat()
    return f"{record.date_from.isoformat()} – {record.date_to.isoformat()}"


def columns() -> list[Column[IssuedSuperbillRecord]]:
    return [
        Column(tr("Number"), lambda r: r.number),
        Column(tr("Version"), lambda r: str(r.version), numeric=True),
        Column(tr("Patient"), lambda r: r.patient_name),
        Column(tr("Services"), _services),
        Column(tr("Charges"), lambda r: format_usd(r.total_charges), numeric=True),
        Column(tr("Paid"), lambda r: format_usd(r.total_paid), numeric=True),
        Column(tr("Status"), status_text),
        # Issued times are stored in UTC; the list shows the user's local time.
        Column(tr("Issued at"), lambda r: r.issued_at.astimezone().strftime("%Y-%m-%d %H:%M")),
    ]


class IssuedSuperbillModel(RecordTableModel["IssuedSuperbillRecord"]):
    """Issued superbills; superseded versions are greyed, as they are kept only for the record."""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and index.isValid()
            and self.records[index.row()].superseded
        ):
            return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return super().data(index, role)


class IssuedPreviewDialog(QDialog):
    """An issued superbill's file shown inside the app, with Print and Open."""

    def __init__(
        self,
        record: IssuedSuperbillRecord,
        load: Callable[[], bytes],
        *,
        parent: QWidget | None = None,
    ) -> None:
        """``load()`` reads the PDF from the database; it runs on the database worker."""
        super().__init__(parent)
        self.record = record
        self.setObjectName("issued_superbill_preview")
        self.setWindowTitle(tr("Superbill {0}, version {1}").format(record.number, record.version))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 900)
        self.preview = PdfPreview()
        self.print_button = QPushButton(tr("Print…"))
        self.open_button = QPushButton(tr("Open in viewer"))
        self.close_button = QPushButton(tr("Close"))
        self.print_button.clicked.connect(lambda: self.preview.print_pages(self))
        self.open_button.clicked.connect(self.open_copy)
        self.close_button.clicked.connect(self.close)
        self.print_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.pdf: bytes | None = None
        # The PDF comes from the database, off the GUI thread; a file that cannot be read (changed
        # since it was issued, say) is said in the preview.
        query(self, load, self._loaded, what="read issued superbill", handle={Exception: self._failed})

    def open_copy(self) -> bool:
        if self.pdf is None:
            return False
        return open_in_viewer(viewer_copy(self.pdf, self.record.file_name))

    def _loaded(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.preview.show_pdf(pdf)
        self.print_button.setEnabled(self.preview.page_count() > 0)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, InvalidInput):
            reason = "; ".join(p.message for p in error.problems)
        else:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        self.preview.show_message(tr("The file could not be read: {0}").format(reason))


class SuperbillsView(QWidget):
    """Issued superbills, newest first."""

    def __init__(self, ws: Workspace, bus: ChangeBus, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.bus = bus
        self.setObjectName("superbills_view")

        self.patient = QComboBox()
        self.patient.setAccessibleName(tr("Show superbills of patient"))
        self.patient.setMinimumContentsLength(24)
        self.patient.currentIndexChanged.connect(lambda _index: self.refresh())
        self.count = QLabel()
        self.open_button = QPushButton(tr("Open"))
        self.open_button.setToolTip(tr("Open the PDF in the system's viewer"))
        self.preview_button = QPushButton(tr("Preview…"))
        self.reissue_button = QPushButton(tr("Re-issue…"))
        self.reissue_button.setToolTip(tr("Issue a new version from the current records"))
        self.claim_button = QPushButton(tr("Create claim…"))
        self.claim_button.setToolTip(tr("Send this superbill's lines to the patient's insurance plan"))
        self.claim_button.clicked.connect(lambda: self.create_claim())
        self.open_button.clicked.connect(lambda: self.open_item())
        self.preview_button.clicked.connect(lambda: self.preview_item())
        self.reissue_button.clicked.connect(lambda: self.reissue_item())

        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Patient:")))
        top.addWidget(self.patient)
        top.addSpacing(8)
        for button in (self.open_button, self.preview_button, self.reissue_button, self.claim_button):
            top.addWidget(button)
        top.addStretch(1)
        top.addWidget(self.count)

        self.model = IssuedSuperbillModel(columns(), self)
        self.table = RecordTable("superbills")
        self.table.setAccessibleName(tr("Issued superbills"))
        self.table.setModel(self.model)
        self.table.activated.connect(lambda _index: self.preview_item())
        self.table.restore_header((120, 60, 170, 190, 95, 95, 90))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)
        bus.changed.connect(self._on_changed)
        self._load_patients()
        self.refresh()

    def _load_patients(self) -> None:
        query(
            self,
            self.ws.patients.choices,
            lambda choices: fill_patient_filter(self.patient, choices),
            what="list patients",
        )

    def refresh(self) -> None:
        superbills, patient_id = self.ws.superbills, self.patient.currentData()
        query(self, lambda: superbills.list(patient_id=patient_id), self._show, what="list superbills")

    def _show(self, records: list[IssuedSuperbillRecord]) -> None:
        selected = self.table.current_id()
        self.model.set_records(records)
        if selected is not None and (row := self.model.row_of(selected)) >= 0:
            self.table.selectRow(row)
        self.count.setText(tr("{0:,} superbills").format(self.model.rowCount()))
        self._update_buttons()

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if changes.PATIENT in kinds:
            self._load_patients()
        if kinds & WATCHES:
            self.refresh()

    def _update_buttons(self) -> None:
        record = self.current_record()
        for button in (self.open_button, self.preview_button):
            button.setEnabled(record is not None)
        self.reissue_button.setEnabled(record is not None and not record.superseded)
        self.claim_button.setEnabled(record is not None and not record.superseded)

    def current_record(self) -> IssuedSuperbillRecord | None:
        record_id = self.table.current_id()
        if record_id is None:
            return None
        row = self.model.row_of(record_id)
        return self.model.records[row] if row >= 0 else None

    # --- actions ---

    def open_item(self) -> bool:
        """Hand an owner-only copy to the system's viewer; True once it is handed (at once when the
        database work runs inline)."""
        record = self.current_record()
        if record is None:
            return False
        superbills = self.ws.superbills
        opened = query(
            self,
            lambda: viewer_copy(superbills.pdf(record.id), record.file_name),
            open_in_viewer,
            what="open issued superbill",
            handle={InvalidInput: lambda exc: tell(self, tr("Document not found"), str(exc))},
        )
        return bool(opened.returned)

    def preview_item(self) -> IssuedPreviewDialog | None:
        record = self.current_record()
        if record is None:
            return None
        superbills = self.ws.superbills
        dialog = IssuedPreviewDialog(record, lambda: superbills.pdf(record.id), parent=self)
        dialog.show()
        return dialog

    def reissue_item(self) -> IssuedSuperbillRecord | None:
        """Issue a new version after asking; returns it once issued (at once when the database work
        runs inline)."""
        record = self.current_record()
        if record is None or record.superseded:
            return None
        question = tr(
            "Issue version {0} of {1} from the current records? Version {2} stays on file, marked superseded."
        ).format(record.version + 1, record.number, record.version)
        if not confirm(self, tr("Re-issue superbill"), question):
            return None
        return self._reissue(record, draft=False)

    def _reissue(self, record: IssuedSuperbillRecord, *, draft: bool) -> IssuedSuperbillRecord | None:
        from kettrack.services.superbills import PreflightFailed

        superbills = self.ws.superbills
        handle: dict[Any, Callable[[Any], object]] = {
            (InvalidInput, NotFound): lambda problem: tell(self, tr("Superbill not re-issued"), str(problem))
        }
        if not draft:
            # Before InvalidInput, of which it is a kind: incomplete records may go out as a draft.
            handle = {PreflightFailed: lambda failed: self._offer_draft(record, failed), **handle}
        reissued = change(
            self,
            lambda: superbills.reissue(record.id, draft=draft),
            self._reissued,
            what="reissue superbill",
            bus=self.bus,
            changes=(SUPERBILL,),
            handle=handle,
        )
        return reissued.returned  # type: ignore[no-any-return]

    def _offer_draft(self, record: IssuedSuperbillRecord, failed: Any) -> None:
        problems = "\n".join(f"• {message}" for message in failed.messages)
        if confirm(
            self,
            tr("Superbill not complete"),
            tr("The records are not complete:\n{0}\n\nIssue the new version as a draft?").format(problems),
        ):
            self._reissue(record, draft=True)

    def _reissued(self, new: IssuedSuperbillRecord) -> IssuedSuperbillRecord:
        if (row := self.model.row_of(new.id)) >= 0:
            self.table.selectRow(row)
        return new

    def create_claim(self) -> QDialog | None:
        record = self.current_record()
        if record is None or record.superseded:
            return None
        from kettrack.ui.claim_dialogs import NewClaimDialog

        dialog = NewClaimDialog(self.ws, self.bus, superbill_id=record.id, parent=self)
        dialog.open()
        return dialog

    # --- what the Edit menu asks of a view ---

    def new_item(self) -> None:
        pass  # superbills are created from sessions, in Infusions

    def edit_item(self) -> None:
        self.preview_item()

    def delete_item(self) -> None:
        pass  # an issued superbill is a record of what was sent: it is never deleted

    def focus_find(self) -> None:
        self.patient.setFocus()

    def save_state(self) -> None:
        self.table.save_header()
