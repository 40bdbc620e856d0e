"""The "Create superbill" dialog: what the superbill will say, what a payer would reject, and the PDF
itself, then issuing it (complete, or as a draft) and saving, printing or opening the issued copy.
Assembling, checking and issuing run on the database worker (kettrack.ui.operations); the preview
renders on the global pool, in parallel.

The dialog is not modal: the user may go to People to fix a provider while it stays open, and the
change bus tells it that the records changed so "Check again" can assemble the superbill anew.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kettrack.core.bill_problems import BillProblem, RecordKind
from kettrack.core.money import format_usd
from kettrack.core.problems import InvalidInput
from kettrack.core.superbill import Superbill
from kettrack.services.previews import superbill_preview
from kettrack.services.saving import write_private
from kettrack.services.superbills import (
    IssuedSuperbillRecord,
    PreflightFailed,
    RecordsChanged,
    SuperbillRequest,
)
from kettrack.ui import changes
from kettrack.ui.basics import tell, tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.code_set_notice import WINDOW_HOW
from kettrack.ui.operations import change, query
from kettrack.ui.pdf_preview import PdfPreview, open_in_viewer, viewer_copy
from kettrack.ui.superbills import SUPERBILL
from kettrack.ui.workers import Workers, shared_workers

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

# Kinds whose change can alter what the superbill says.
WATCHES = frozenset(
    {changes.PATIENT, changes.PROVIDER, changes.PAYER, changes.COVERAGE, changes.INFUSION, changes.SETTINGS}
)
ERROR_COLOR = "#c62828"
OK_COLOR = "#2e7d32"
DRAFT_COLOR = "#b26a00"


def where_to_fix(problem: BillProblem) -> str:
    """The place in the app where a pre-flight problem is fixed, in the words of the navigation."""
    return tr(problem.where)


def problems_html(problems: list[BillProblem], hint_color: str) -> str:
    """The heading over the problem list: in red, with how to open a problem's record."""
    heading = html.escape(tr("Not complete: a payer would reject it"))
    how = html.escape(tr("Double-click a problem (or select it and press Open to fix) to open its record."))
    hint = f"<span style='color:{hint_color}'>{how}</span>"
    return f"<p style='color:{ERROR_COLOR}'><b>{heading}</b><br>{hint}</p>"


# The item data role holding a problem's index in ``SuperbillDialog.problems``.
PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1


class SuperbillDialog(QDialog):
    """Assemble, check, preview and issue one superbill."""

    def __init__(
        self,
        ws: Workspace,
        bus: ChangeBus,
        request: SuperbillRequest,
        *,
        workers: Workers | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.bus = bus
        self.request = request
        self.workers = workers or shared_workers()
        self.bill: Superbill | None = None
        self.problems: list[BillProblem] = []
        self.fix_dialog: QWidget | None = None  # the record dialog opened last from a problem
        self.issued: IssuedSuperbillRecord | None = None
        self.issued_pdf = b""
        # Renders finish in any order; only the newest one may reach the preview.
        self._render_generation = 0
        self.setObjectName("superbill_dialog")
        self.setWindowTitle(tr("Create superbill"))
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1100, 760)

        self.patient = QLabel()
        self.provider = QLabel()
        self.dates = QLabel()
        self.line_count = QLabel()
        self.charges = QLabel()
        self.paid = QLabel()
        self.balance = QLabel()
        summary = QFormLayout()
        summary.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for title, label in (
            (tr("Patient:"), self.patient),
            (tr("Provider:"), self.provider),
            (tr("Dates of service:"), self.dates),
            (tr("Lines:"), self.line_count),
            (tr("Total charges:"), self.charges),
            (tr("Paid:"), self.paid),
            (tr("Balance:"), self.balance),
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            summary.addRow(title, label)
        for label in (self.line_count, self.charges, self.paid, self.balance):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

        self.preflight = QLabel()
        self.preflight.setObjectName("preflight_result")
        self.preflight.setWordWrap(True)
        self.preflight.setTextFormat(Qt.TextFormat.RichText)
        self.preflight.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preflight.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_list = QListWidget()
        self.problem_list.setObjectName("preflight_problems")
        self.problem_list.setAccessibleName(tr("Pre-flight problems"))
        self.problem_list.setWordWrap(True)
        self.problem_list.setStyleSheet(f"color: {ERROR_COLOR};")
        self.problem_list.itemDoubleClicked.connect(lambda item: self.open_problem(item.data(PROBLEM_ROLE)))
        self.problem_list.currentRowChanged.connect(lambda _row: self._update_fix_button())
        self.problem_list.hide()
        self.fix_button = QPushButton(tr("Open to fix"))
        self.fix_button.setObjectName("open_to_fix")
        self.fix_button.setToolTip(tr("Open the record that holds the selected problem"))
        self.fix_button.clicked.connect(lambda: self.open_problem(self.problem_list.currentRow()))
        self.fix_button.hide()
        self.skipped_note = QLabel()
        self.skipped_note.setObjectName("skipped_note")
        self.skipped_note.setWordWrap(True)
        self.skipped_note.hide()
        self.code_set_note = QLabel()
        self.code_set_note.setObjectName("code_set_note")
        self.code_set_note.setWordWrap(True)
        self.code_set_note.setStyleSheet("color: #9a5b00;")
        self.code_set_note.hide()
        self.changed_note = QLabel(tr("The records changed since this check."))
        self.changed_note.setWordWrap(True)
        self.changed_note.hide()
        self.check_button = QPushButton(tr("Check again"))
        self.check_button.setToolTip(tr("Assemble the superbill again from the current records"))
        self.check_button.clicked.connect(self.check_again)

        self.issue_button = QPushButton(tr("Issue superbill"))
        self.draft_button = QPushButton(tr("Issue as draft"))
        self.draft_button.setToolTip(tr("Issue it with a DRAFT watermark; it is not ready to send"))
        self.save_button = QPushButton(tr("Save a copy…"))
        self.print_button = QPushButton(tr("Print…"))
        self.open_button = QPushButton(tr("Open in viewer"))
        self.close_button = QPushButton(tr("Close"))
        self.issue_button.clicked.connect(lambda: self.issue(draft=False))
        self.draft_button.clicked.connect(lambda: self.issue(draft=True))
        # Lambdas: clicked(bool) must not land in the slots' optional parameters.
        self.save_button.clicked.connect(lambda: self.save_copy())
        self.print_button.clicked.connect(lambda: self.print_copy())
        self.open_button.clicked.connect(lambda: self.open_copy())
        self.close_button.clicked.connect(self.close)
        self.issued_note = QLabel()
        self.issued_note.setObjectName("issued_note")
        self.issued_note.setWordWrap(True)
        self.issued_note.hide()

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 6, 0)
        side_layout.addLayout(summary)
        side_layout.addWidget(self.skipped_note)
        side_layout.addWidget(self.code_set_note)
        side_layout.addSpacing(6)
        side_layout.addWidget(self.preflight)
        side_layout.addWidget(self.problem_list, 1)
        side_layout.addWidget(self.changed_note)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.fix_button)
        check_row.addStretch(1)
        side_layout.addLayout(check_row)
        side_layout.addStretch(1)
        side_layout.addWidget(self.issued_note)
        for button in (self.issue_button, self.draft_button):
            side_layout.addWidget(button)
        after = QHBoxLayout()
        for button in (self.save_button, self.print_button, self.open_button):
            after.addWidget(button)
        side_layout.addLayout(after)

        self.preview = PdfPreview()
        self.preview.setMinimumWidth(420)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 720])

        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        bus.changed.connect(self._on_changed)
        self.check_again()

    # --- checking ---

    def check_again(self) -> None:
        """Assemble the superbill from the current records, check it, and render the preview."""
        self.changed_note.hide()
        superbills, request = self.ws.superbills, self.request

        def assemble() -> tuple[Superbill, list[BillProblem], int, list[str]]:
            bill, problems = superbills.assemble_checked(request)
            warnings = superbills.code_set_warnings(bill, WINDOW_HOW)
            return bill, problems, superbills.skipped(request), warnings

        self.check_button.setEnabled(False)
        query(
            self,
            assemble,
            self._checked,
            what="check superbill",
            # e.g. sessions of two patients: nothing can be issued
            handle={InvalidInput: self._not_assembled},
            after=self._update_buttons,
        )

    def _not_assembled(self, problem: InvalidInput) -> None:
        self.bill, self.problems = None, []
        self._show_problems()
        self._show_summary(None)
        self.preflight.setText(f"<p style='color:{ERROR_COLOR}'>{html.escape(str(problem))}</p>")
        self.preview.show_message(tr("There is no superbill to preview."))
        self._update_buttons()

    def _checked(self, checked: tuple[Superbill, list[BillProblem], int, list[str]]) -> None:
        bill, self.problems, skipped, warnings = checked
        # Dates past the newest ICD-10-CM release loaded: said, never blocking.
        self.code_set_note.setText("\n".join(warnings))
        self.code_set_note.setVisible(bool(warnings))
        # A session is billed once: the range's sessions already on a superbill are left out.
        self.skipped_note.setText(
            tr("{0} session(s) in these dates are already on a superbill and were left out.").format(skipped)
        )
        self.skipped_note.setVisible(skipped > 0)
        self.bill = bill
        self._show_summary(bill)
        self._show_problems()
        if self.problems:
            hint = self.palette().color(QPalette.ColorRole.WindowText).name()  # follows dark mode
            self.preflight.setText(problems_html(self.problems, hint))
        else:
            complete = html.escape(tr("Complete: ready to send"))
            self.preflight.setText(f"<p style='color:{OK_COLOR}'><b>✔ {complete}</b></p>")
        self._update_buttons()
        self._render(bill, draft=bool(self.problems))

    def _show_problems(self) -> None:
        self.problem_list.clear()
        for index, problem in enumerate(self.problems):
            item = QListWidgetItem(f"{problem.message} — {where_to_fix(problem)}")
            item.setData(PROBLEM_ROLE, index)
            item.setToolTip(tr("Double-click to open {0}").format(where_to_fix(problem)))
            self.problem_list.addItem(item)
        self.problem_list.setVisible(bool(self.problems))
        self.fix_button.setVisible(bool(self.problems))
        if self.problems:
            self.problem_list.setCurrentRow(0)
        self._update_fix_button()

    def _update_fix_button(self) -> None:
        row = self.problem_list.currentRow()
        problem = self.problems[row] if 0 <= row < len(self.problems) else None
        self.fix_button.setEnabled(problem is not None and _openable(problem))

    def problem_texts(self) -> list[str]:
        """The problem list as shown (for tests and screen readers)."""
        return [self.problem_list.item(i).text() for i in range(self.problem_list.count())]

    def open_problem(self, index: int) -> QWidget | None:
        """Open the form of the record that holds problem ``index`` (once read on the database worker);
        returns it when it opened at once, which it does when the work runs inline."""
        if not 0 <= index < len(self.problems):
            return None
        problem = self.problems[index]
        if not _openable(problem):
            return None
        record_id = problem.record_id
        assert record_id is not None
        ws, bus = self.ws, self.bus
        self.fix_dialog = None
        if problem.record is RecordKind.LINE:
            from kettrack.ui.service_lines_dialog import ServiceLinesDialog

            self._show_fix(ServiceLinesDialog(ws, bus, record_id, parent=self))
        elif problem.record is RecordKind.SESSION:
            from kettrack.ui.infusion_dialog import InfusionDialog

            query(
                self,
                lambda: ws.infusions.get(record_id),
                lambda record: self._show_fix(InfusionDialog(ws, bus, record, parent=self)),
                what="open session",
            )
        elif problem.record is RecordKind.FEE:
            from kettrack.ui.fee_schedules import FeeDialog, FeeRow

            line_code = _fee_code(problem)

            def read_fee() -> FeeRow | None:
                fees = ws.fees.for_provider(record_id)
                if line_code not in fees:
                    return None
                amount, ndc = fees[line_code]
                kind = ws.fees.containers([record_id]).get(ndc)
                return (
                    FeeRow(line_code, "", amount, ndc, kind[0])
                    if kind
                    else FeeRow(line_code, "", amount, ndc)
                )

            query(
                self,
                read_fee,
                lambda fee: self._show_fix(FeeDialog(ws, bus, record_id, fee, parent=self)),
                what="open fee",
            )
        else:
            from kettrack.ui.record_forms import open_people_record

            open_people_record(self, ws, bus, problem.record, record_id, self._show_fix)
        return self.fix_dialog

    def _show_fix(self, dialog: QWidget) -> None:
        self.fix_dialog = dialog
        dialog.show()

    def _show_summary(self, bill: Superbill | None) -> None:
        if bill is None:
            for label in (
                self.patient,
                self.provider,
                self.dates,
                self.line_count,
                self.charges,
                self.paid,
                self.balance,
            ):
                label.setText("—")
            return
        self.patient.setText(bill.patient.legal_name)
        provider = bill.provider.display_name
        if bill.clinic is not None and bill.clinic.id != bill.provider.id:
            provider = tr("{0} at {1}").format(provider, bill.clinic.name)
        self.provider.setText(provider)
        period = bill.period
        if period is None:
            self.dates.setText("—")
        elif period[0] == period[1]:
            self.dates.setText(period[0].isoformat())
        else:
            self.dates.setText(tr("{0} to {1}").format(period[0].isoformat(), period[1].isoformat()))
        self.line_count.setText(str(len(bill.lines)))
        self.charges.setText(format_usd(bill.total_charges))
        self.paid.setText(format_usd(bill.total_paid))
        self.balance.setText(format_usd(bill.balance))

    def _update_buttons(self) -> None:
        issued = self.issued is not None
        ready = self.bill is not None and not issued
        self.issue_button.setEnabled(ready and not self.problems)
        self.draft_button.setEnabled(ready and bool(self.problems))
        self.issue_button.setVisible(not issued)
        self.draft_button.setVisible(not issued)
        self.check_button.setEnabled(not issued)
        for button in (self.save_button, self.print_button, self.open_button):
            button.setEnabled(issued)
        default = self.issue_button if self.issue_button.isEnabled() else self.close_button
        default.setDefault(True)

    def _render(self, bill: Superbill, *, draft: bool) -> None:
        self._render_generation += 1
        generation = self._render_generation
        self.preview.show_message(tr("Preparing the preview…"))
        self.workers.run(
            lambda: superbill_preview(bill, draft=draft),
            lambda pdf: self._rendered(generation, pdf),
            lambda error: self._render_failed(generation, error),
        )

    def _rendered(self, generation: int, pdf: bytes) -> None:
        if generation == self._render_generation:
            self.preview.show_pdf(pdf)

    def _render_failed(self, generation: int, error: BaseException) -> None:
        if generation == self._render_generation:
            self.preview.show_message(tr("The preview could not be made: {0}").format(type(error).__name__))

    def _on_changed(self, kinds: frozenset[str]) -> None:
        if self.issued is None and kinds & WATCHES:
            self.changed_note.setText(tr("The records changed since this check: press Check again."))
            self.changed_note.show()
            self.check_button.setDefault(True)

    # --- issuing and after ---

    def issue(self, *, draft: bool) -> IssuedSuperbillRecord | None:
        """Issue it on the database worker (rendering and storing the numbered PDF take a moment; the
        window goes on meanwhile); returns the record once issued (at once when the work runs inline)."""
        superbills, request, expected = self.ws.superbills, self.request, self.bill

        def issue() -> tuple[IssuedSuperbillRecord, bytes]:
            record = superbills.issue(request, draft=draft, expected=expected)
            # Show what was issued, byte for byte; it carries the real statement number.
            return record, superbills.pdf(record.id)

        for button in (self.issue_button, self.draft_button, self.check_button):
            button.setEnabled(False)
        issued = change(
            self,
            issue,
            self._issued,
            what="issue superbill",
            bus=self.bus,
            changes=(SUPERBILL,),
            handle={
                # The records changed under us since the last check: show what is wrong now.
                (PreflightFailed, RecordsChanged): lambda _changed: self.check_again(),
                InvalidInput: lambda problem: tell(self, tr("Superbill not issued"), str(problem)),
            },
            after=self._update_buttons,
        )
        return issued.returned  # type: ignore[no-any-return]

    def _issued(self, issued: tuple[IssuedSuperbillRecord, bytes]) -> IssuedSuperbillRecord:
        record, self.issued_pdf = issued
        self.issued = record
        self.setWindowTitle(tr("Superbill {0}").format(record.number))
        what = tr("Issued as a draft") if record.draft else tr("Issued")
        color = DRAFT_COLOR if record.draft else OK_COLOR
        version = html.escape(tr("version {0}").format(record.version))
        self.issued_note.setText(
            f"<span style='color:{color}'><b>{html.escape(what)}: {html.escape(record.number)}</b>, "
            f"{version}</span>"
        )
        self.issued_note.show()
        self._update_buttons()
        self._render_generation += 1  # a render still running shows the unnumbered preview: drop it
        self.preview.show_pdf(self.issued_pdf)
        return record

    def save_copy(self, path: Path | None = None) -> bool:
        if self.issued is None:
            return False
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self, tr("Save a copy"), self.issued.file_name, tr("PDF documents (*.pdf)")
            )
            if not chosen:
                return False
            path = Path(chosen)
        try:
            # The file dialog has already asked whether to replace an existing file.
            write_private(path, self.issued_pdf, overwrite=True)
        except OSError as error:
            tell(self, tr("Copy not saved"), error.strerror or str(error))
            return False
        except InvalidInput as error:
            tell(self, tr("Copy not saved"), str(error))
            return False
        return True

    def print_copy(self) -> bool:
        return self.issued is not None and self.preview.print_pages(self)

    def open_copy(self) -> bool:
        return self.issued is not None and open_in_viewer(viewer_copy(self.issued_pdf, self.issued.file_name))


def _openable(problem: BillProblem) -> bool:
    """Whether the window has a form for the problem's record."""
    return problem.record_id is not None and problem.record is not RecordKind.SUPERBILL


def _fee_code(problem: BillProblem) -> str:
    """The drug code of the line a fee-schedule problem is about ("Line N (CODE, ...): ...")."""
    text = problem.message
    if text.startswith("Line ") and "(" in text:
        return text.split("(", 1)[1].split(",", 1)[0]
    return ""
