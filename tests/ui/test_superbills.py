"""Superbills in the window: pick two sessions in Infusions, see the pre-flight problem and a draft
preview, fix the provider and check again, issue, find it in the Superbills list, preview it there,
and re-issue it as version 2 (version 1 then shows superseded). The PDFs live in the database: the
system's viewer gets an owner-only copy in the cache folder."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from kettrack.core.validation import npi_problem
from kettrack.services.demo import DemoSummary, fill_demo
from kettrack.services.workspace import Workspace
from kettrack.ui import changes, infusions, superbill_dialog, superbills
from kettrack.ui.changes import ChangeBus
from kettrack.ui.main_window import PEOPLE, SUPERBILLS, MainWindow
from kettrack.ui.superbill_dialog import SuperbillDialog
from kettrack.ui.superbills import SuperbillsView
from kettrack.ui.workers import Workers
from tests.store.stored_documents import assert_no_document_files, tamper


@pytest.fixture(autouse=True)
def inline_work(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Render and read on the test's thread, and keep the system's PDF viewer closed."""
    monkeypatch.setattr(superbill_dialog, "shared_workers", lambda: Workers(synchronous=True))
    opened: list[Path] = []
    monkeypatch.setattr(superbill_dialog, "open_in_viewer", lambda path: opened.append(path) or True)
    monkeypatch.setattr(superbills, "open_in_viewer", lambda path: opened.append(path) or True)
    return opened


@pytest.fixture
def demo(workspace: Workspace) -> DemoSummary:
    return fill_demo(workspace, claims=False)


@pytest.fixture
def no_npi_sessions(workspace: Workspace, demo: DemoSummary) -> tuple[int, tuple[int, int]]:
    """A clinician without an NPI, and two sessions of the first demo patient with them."""
    ws = workspace
    model = next(p for p in map(ws.providers.get, demo.provider_ids) if p.credentials)  # a clinician
    provider = ws.providers.add(replace(model, id=None, name="Noel Park", npi=""))
    assert provider.id is not None
    patient = demo.patient_ids[0]
    template = next(s for s in ws.infusions.list() if s.patient_id == patient)
    ids = tuple(
        ws.infusions.add(replace(template, id=None, provider_id=provider.id, service_date=day)).id
        for day in (date(2026, 11, 9), date(2026, 11, 11))
    )
    return provider.id, ids  # type: ignore[return-value]


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> MainWindow:
    win = MainWindow(workspace, bus)
    qtbot.addWidget(win)
    win.show()
    return win


def _select(view: infusions.InfusionsView, ids: tuple[int, ...]) -> None:
    view.bus.announce(changes.INFUSION)  # the window was built before the sessions were added
    view.table.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for record_id in ids:
        view.table.selectionModel().select(view.model.index(view.model.row_of(record_id), 0), flags)


def _valid_npi() -> str:
    return next(npi for npi in (f"123456789{d}" for d in range(10)) if npi_problem(npi) is None)


def _viewer_copy(opened: Path, content: bytes, name: str) -> None:
    """What the system's viewer was handed: an owner-only copy of ``content`` named ``name``, in an
    owner-only folder of the cache's viewer-copies."""
    root = Path(os.environ["KETTRACK_CACHE_DIR"]) / "viewer-copies"
    assert opened.parent.parent == root and opened.name == name
    assert opened.read_bytes() == content
    assert stat.S_IMODE(opened.stat().st_mode) == 0o600
    assert stat.S_IMODE(opened.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def _column(view: SuperbillsView, column: int) -> list[str]:
    return [view.model.data(view.model.index(r, column)) for r in range(view.model.rowCount())]


def test_create_check_fix_issue_and_reissue(
    qtbot: QtBot,
    window: MainWindow,
    workspace: Workspace,
    no_npi_sessions: tuple[int, tuple[int, int]],
    inline_work: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider_id, session_ids = no_npi_sessions
    view = window.infusions
    _select(view, session_ids)
    assert sorted(view.selected_ids()) == sorted(session_ids)
    qtbot.mouseClick(view.superbill_button, Qt.MouseButton.LeftButton)
    dialog = next(d for d in view.findChildren(SuperbillDialog) if d.isVisible())
    qtbot.addWidget(dialog)

    # The summary and the pre-flight problem, in red with where to fix it; only a draft can be issued.
    assert (
        dialog.patient.text()
        == workspace.patients.get(workspace.infusions.get(session_ids[0]).patient_id).legal_name
    )
    assert dialog.dates.text() == "2026-11-09 to 2026-11-11"
    assert dialog.line_count.text() == str(len(dialog.bill.lines)) and len(dialog.bill.lines) >= 2  # type: ignore[union-attr]
    assert any("Provider NPI is missing" in text for text in dialog.problem_texts())
    assert (
        any("People › Providers" in text for text in dialog.problem_texts())
        and superbill_dialog.ERROR_COLOR in dialog.preflight.text()
    )
    assert not dialog.issue_button.isEnabled() and dialog.draft_button.isEnabled()
    assert dialog.preview.page_count() >= 1  # the draft preview
    assert not dialog.save_button.isEnabled()

    # Fix the provider in People › Providers & clinics, as a person would; the superbill dialog hears of
    # it, and Check again assembles anew.
    window.show_section(PEOPLE)
    people = window.people
    people.tabs.setCurrentWidget(people.pages["providers"])  # type: ignore[attr-defined]
    editor_dialog = people.current.open_dialog(workspace.providers.get(provider_id))  # type: ignore[attr-defined]
    npi_field = editor_dialog.errors.fields["npi"].widget
    npi_field.clear()
    qtbot.keyClicks(npi_field, _valid_npi())
    save = editor_dialog.buttons.button(editor_dialog.buttons.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert workspace.providers.get(provider_id).npi == _valid_npi()
    assert dialog.changed_note.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert "Complete: ready to send" in dialog.preflight.text() and "NPI" not in dialog.preflight.text()
    assert dialog.issue_button.isEnabled() and not dialog.draft_button.isEnabled()
    assert not dialog.changed_note.isVisibleTo(dialog)

    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    issued = dialog.issued
    assert (
        issued is not None and issued.number == "SB-2026-000001" and issued.version == 1 and not issued.draft
    )
    assert "SB-2026-000001" in dialog.issued_note.text()
    assert dialog.preview.page_count() >= 1
    assert dialog.save_button.isEnabled() and not dialog.issue_button.isVisibleTo(dialog)
    pdf = workspace.superbills.pdf(issued.id)
    assert pdf.startswith(b"%PDF")
    copy = tmp_path / "copy.pdf"
    assert dialog.save_copy(copy)
    assert copy.read_bytes() == pdf
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert len(inline_work) == 1
    _viewer_copy(inline_work[0], pdf, "SB-2026-000001-v1.pdf")
    dialog.close()
    # The one copy the person asked for is the only PDF beside the database: no documents folder.
    database = workspace.db.target.sqlite_path
    assert database is not None
    assert_no_document_files(database.parent, except_for=(copy,))

    # The Superbills section lists it.
    window.show_section(SUPERBILLS)
    section = window.superbills
    assert isinstance(section, SuperbillsView) and window.stack.currentWidget() is section
    assert _column(section, 0) == ["SB-2026-000001"]
    assert _column(section, 6) == ["issued"]
    section.table.selectRow(0)
    preview = section.preview_item()
    assert preview is not None and preview.preview.page_count() >= 1
    qtbot.addWidget(preview)
    assert preview.pdf == pdf and preview.print_button.isEnabled()
    qtbot.mouseClick(preview.open_button, Qt.MouseButton.LeftButton)
    _viewer_copy(inline_work[-1], pdf, "SB-2026-000001-v1.pdf")
    preview.close()
    qtbot.mouseClick(section.open_button, Qt.MouseButton.LeftButton)
    assert len(inline_work) == 3 and len(set(inline_work)) == 3  # a fresh copy each time
    _viewer_copy(inline_work[-1], pdf, "SB-2026-000001-v1.pdf")

    # Re-issue after confirming: version 2, and version 1 is superseded.
    asked: list[str] = []
    monkeypatch.setattr(superbills, "confirm", lambda parent, title, text: asked.append(text) or True)
    qtbot.mouseClick(section.reissue_button, Qt.MouseButton.LeftButton)
    assert asked and "version 2" in asked[0]
    rows = {
        (n, v): s
        for n, v, s in zip(_column(section, 0), _column(section, 1), _column(section, 6), strict=True)
    }
    assert rows == {("SB-2026-000001", "2"): "issued", ("SB-2026-000001", "1"): "superseded"}
    assert section.current_record() is not None and section.current_record().version == 2  # type: ignore[union-attr]

    # The patient filter narrows the list; the other demo patient has none.
    other = next(
        i
        for i in range(section.patient.count())
        if section.patient.itemData(i) not in (None, issued.patient_id)
    )
    section.patient.setCurrentIndex(other)
    assert section.model.rowCount() == 0 and not section.open_button.isEnabled()


def test_a_changed_document_is_not_opened_or_shown(
    qtbot: QtBot,
    window: MainWindow,
    workspace: Workspace,
    demo: DemoSummary,
    inline_work: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kettrack.services.superbills import SuperbillRequest

    issued = workspace.superbills.issue(SuperbillRequest(infusion_ids=(workspace.infusions.ids()[0],)))
    database = workspace.db.target.sqlite_path
    assert database is not None
    tamper(database, issued.sha256, b"%PDF-1.4 not what was issued")
    told: list[str] = []
    monkeypatch.setattr(superbills, "tell", lambda parent, title, text: told.append(f"{title}: {text}"))
    window.show_section(SUPERBILLS)
    section = window.superbills
    assert isinstance(section, SuperbillsView)
    section.table.selectRow(0)
    assert section.current_record() is not None and section.current_record().id == issued.id  # type: ignore[union-attr]
    assert not section.open_item()
    assert told and told[0].startswith("Document not found") and "no longer matches its SHA-256" in told[0]
    preview = section.preview_item()
    assert preview is not None
    qtbot.addWidget(preview)
    # The altered bytes are never shown, printed or handed to a viewer.
    assert preview.pdf is None and preview.preview.page_count() == 0
    assert "could not be read" in preview.preview.message.text()
    assert not preview.print_button.isEnabled() and not preview.open_copy()
    assert inline_work == []
    preview.close()


def test_sessions_of_two_patients_are_refused(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, demo: DemoSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[str] = []
    monkeypatch.setattr(infusions, "tell", lambda parent, title, text: told.append(text))
    view = window.infusions
    window.bus.announce(changes.INFUSION)
    first: dict[int, int] = {}
    for row in range(view.model.rowCount()):
        shown = view.model.row(row)
        assert shown is not None
        first.setdefault(shown.patient_id, shown.id)
    _select(view, tuple(first.values()))
    assert view.create_superbill() is None
    assert told and "one patient" in told[0]
    view.table.clearSelection()
    assert view.create_superbill() is None and "Select the sessions" in told[1]


def test_demo_session_is_complete_and_issues(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, demo: DemoSummary
) -> None:
    view = window.infusions
    window.bus.announce(changes.INFUSION)
    view.table.selectRow(0)
    dialog = view.create_superbill()
    assert isinstance(dialog, SuperbillDialog)
    qtbot.addWidget(dialog)
    assert "Complete: ready to send" in dialog.preflight.text()
    assert dialog.issue_button.isEnabled() and dialog.preview.page_count() >= 1
    # The newest demo session is from November: no ICD-10-CM release loaded covers it (said, not blocking).
    assert dialog.code_set_note.isVisibleTo(dialog)
    assert dialog.code_set_note.text().startswith(
        "Sessions after 2026-09-30 are checked against FY2026 codes"
    )
    with qtbot.waitSignal(window.bus.changed) as announced:
        record = dialog.issue(draft=False)
    assert record is not None and announced.args == [frozenset({superbills.SUPERBILL})]


def test_superbills_waits_for_the_database(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> None:
    win = MainWindow(None, bus)
    qtbot.addWidget(win)
    win.nav.setCurrentRow(SUPERBILLS)  # picked while the database opens: nothing opens yet
    assert win.stack.currentWidget() is win.infusions and win.ws is None
    win.attach(workspace)
    assert isinstance(win.stack.currentWidget(), SuperbillsView)  # then the picked section shows
    assert win.superbills.count.text() == "0 superbills"  # type: ignore[attr-defined]


def test_preview_renders_on_a_worker_thread(
    qtbot: QtBot, workspace: Workspace, bus: ChangeBus, demo: DemoSummary
) -> None:
    from PySide6.QtCore import QThreadPool

    from kettrack.services.superbills import SuperbillRequest

    pool = QThreadPool()
    dialog = SuperbillDialog(
        workspace, bus, SuperbillRequest(infusion_ids=(workspace.infusions.ids()[0],)), workers=Workers(pool)
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview.page_count() >= 1, timeout=10_000)
    assert dialog.preview.view.isVisibleTo(dialog.preview)
    pool.waitForDone()
