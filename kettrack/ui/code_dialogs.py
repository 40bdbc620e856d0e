"""The code list's dialogs: add or edit a CPT or HCPCS code (in kettrack's own words: CPT descriptors
are copyrighted), retire one, and the completer that offers the listed codes as one is typed. Saves go
through the store's code repository on the database worker (kettrack.ui.operations)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QWidget

from kettrack.core.codes import CodeCatalog, CodeKind, ProcedureCode
from kettrack.services.workspace import Workspace
from kettrack.ui import changes
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import (
    CheckField,
    EnumField,
    ErrorForm,
    FieldSpec,
    IntField,
    OptionalDateField,
    RecordDialog,
    RecordEditor,
    TextField,
    tr,
)
from kettrack.ui.operations import query


def code_completer(catalog: CodeCatalog, parent: QWidget) -> QCompleter:
    """Completes a code as it is typed, from the codes in the list (case does not matter)."""
    completer = QCompleter([c.code for c in catalog], parent)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return completer


def code_specs(ws: Workspace) -> list[FieldSpec]:
    return [
        FieldSpec("code", tr("Code:"), lambda: TextField("96365, J3490")),
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(CodeKind)),
        FieldSpec("description", tr("Description:"), lambda: TextField(tr("in your own plain words"))),
        FieldSpec("default_units", tr("Default units:"), lambda: IntField(1, 999)),
        FieldSpec("effective_from", tr("Valid from:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("effective_to", tr("Valid to:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("replaced_by", tr("Replaced by:"), TextField),
        FieldSpec("add_on", tr("Add-on:"), lambda: CheckField(tr("billed only with a primary code"))),
    ]


def code_dialog(
    ws: Workspace, bus: ChangeBus, entry: ProcedureCode | None, parent: QWidget | None = None
) -> RecordDialog:
    """Add a code, or change one's description, units or dates (the code itself stays)."""
    editor = RecordEditor(code_specs(ws))
    base = entry or ProcedureCode("", CodeKind.ADMINISTRATION, "")
    editor.load(base)
    if entry is not None:
        editor.fields["code"].widget.setEnabled(False)
    copyright_note = QLabel(
        tr(
            "CPT descriptors are copyrighted by the AMA, so kettrack describes every code in its own "
            "words: write what the code is for, not the official text."
        )
    )
    copyright_note.setWordWrap(True)
    copyright_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    editor.outer.insertWidget(0, copyright_note)

    title = tr("Edit code {0}").format(entry.code) if entry else tr("Add code")
    dialog = RecordDialog(
        title,
        editor,
        editor,
        lambda: editor.read(base),
        ws.codes.save,
        parent,
        bus=bus,
        changes=(changes.BILLING,),
        what="save code",
    )
    dialog.resize(540, 390)
    return dialog


class RetireDialog(RecordDialog):
    """Retire a code: its last valid day of service and the code that replaces it."""

    def __init__(
        self, ws: Workspace, bus: ChangeBus, entry: ProcedureCode, parent: QWidget | None = None
    ) -> None:
        self.ws, self.bus, self.entry = ws, bus, entry
        self.form = ErrorForm()
        intro = QLabel(
            tr("{0} will not be proposed for sessions after its last valid day.").format(entry.code)
        )
        intro.setWordWrap(True)
        self.form.outer.insertWidget(0, intro)
        self.last_day = OptionalDateField(ws.today, required=True)
        self.last_day.set(entry.effective_to or ws.today())
        self.last_day.edit.setObjectName("retire_last_day")
        self.replacement = QLineEdit(entry.replaced_by)
        self.replacement.setObjectName("retire_replaced_by")
        query(
            self.replacement,
            ws.codes.catalog,
            lambda catalog: self.replacement.setCompleter(code_completer(catalog, self.replacement)),
            what="read code list",
        )
        self.replacement.setPlaceholderText(tr("optional"))
        self.form.add_row("effective_to", tr("Last valid day:"), self.last_day.widget, "code")
        self.last_day.edit.setAccessibleName(tr("Last valid day"))
        self.form.add_row("replaced_by", tr("Replaced by:"), self.replacement)
        title = tr("Retire {0}").format(entry.code)
        codes, code = ws.codes, entry.code  # the save runs on the database worker: no widget in it
        super().__init__(
            title,
            self.form,
            self.form,
            self._read,
            lambda retirement: codes.retire(code, *retirement),
            parent,
            bus=bus,
            changes=(changes.BILLING,),
            what="retire code",
        )
        self.buttons.button(self.buttons.StandardButton.Save).setText(tr("Retire"))
        self.resize(420, 220)

    def _read(self) -> tuple[date, str]:
        last_day = self.last_day.get()
        assert last_day is not None  # the field is required
        return last_day, self.replacement.text().strip()
