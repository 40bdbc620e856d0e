"""The claims window, driven as a person would: a claim from an issued superbill, submitted, denied,
appealed (the letter drafted and issued), overturned and paid, with the Dashboard saying the right
next thing to do at every step; the claim's documents (kept in the database) opened as owner-only
copies for the system's viewer; plus the Claims list's filters and the payer rules dialog."""

from __future__ import annotations

import os
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import DueItem, GroupCode
from kettrack.core.records import InfusionRecord
from kettrack.services.demo import fill_demo
from kettrack.services.superbills import PreflightFailed, SuperbillRequest
from kettrack.services.workspace import Workspace
from kettrack.ui import claim_detail, pdf_preview
from kettrack.ui.basics import qdate
from kettrack.ui.changes import ChangeBus
from kettrack.ui.claim_detail import AppealDialog, ClaimWindow
from kettrack.ui.claim_dialogs import EventDialog, NewClaimDialog
from kettrack.ui.main_window import CLAIMS, DASHBOARD, MainWindow
from kettrack.ui.rules_dialog import PayerRulesDialog
from tests.store.stored_documents import pdf_text, tamper


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, bus: ChangeBus) -> MainWindow:
    fill_demo(workspace)
    window = MainWindow(workspace, bus)
    qtbot.addWidget(window)
    window.show()
    return window


def _april_superbill(ws: Workspace) -> int:
    """An older session of the first demo patient, billed on its own superbill."""
    template = ws.infusions.list()[0]
    session = ws.infusions.add(
        InfusionRecord(
            patient_id=template.patient_id,
            service_date=date(2026, 4, 1),
            provider_id=template.provider_id,
            clinic_id=template.clinic_id,
            dose_mg=Decimal("35.00"),
            weight_kg=Decimal("70.00"),
            diagnoses=("F33.2",),
            phq9_before=21,
            phq9_after=15,
        )
    )
    assert session.id is not None
    request = SuperbillRequest(infusion_ids=(session.id,))
    try:
        return ws.superbills.issue(request).id
    except PreflightFailed:
        return ws.superbills.issue(request, draft=True).id


def _next_for(window: MainWindow, claim_id: int) -> DueItem | None:
    dashboard = window.dashboard
    items = [item for _title, item in dashboard.model.rows if item is not None and item.claim_id == claim_id]  # type: ignore[attr-defined]
    return items[0] if items else None


def _event(claim: ClaimWindow, kind: EventKind, on: date, **fields: object) -> EventDialog:
    dialog = claim.record(kind)
    assert isinstance(dialog, EventDialog)
    dialog.date.setDate(qdate(on))
    received = fields.pop("received", None)
    if isinstance(received, date):
        dialog.received_known.setChecked(True)
        dialog.received.setDate(qdate(received))
    for name, value in fields.items():
        dialog.amounts[name].setText(str(value))
    return dialog


def test_a_claim_from_submission_to_payment(qtbot: QtBot, window: MainWindow, workspace: Workspace) -> None:
    ws = workspace
    superbill = _april_superbill(ws)
    window.show_section(CLAIMS)
    new = NewClaimDialog(ws, window.bus, superbill_id=superbill, parent=window)
    new.save()
    assert new.claim_id is not None, new.form.top_errors.text()
    claim_id = new.claim_id
    claim = window.open_claim(claim_id)
    assert isinstance(claim, ClaimWindow)
    qtbot.addWidget(claim)
    window.show_section(DASHBOARD)
    billed = ws.claim_views.row(claim_id).billed
    # Not sent yet: the filing deadline (90 days for an unconfirmed commercial plan) has passed.
    item = _next_for(window, claim_id)
    assert item is not None and item.action == "File the claim" and item.due < date(2026, 11, 23)
    assert not claim.buttons[EventKind.DENIED].isEnabled()

    # Submitted in April, no answer since: the dashboard says to call.
    dialog = _event(claim, EventKind.SUBMITTED, date(2026, 4, 10))
    dialog.number.setText("BR26-0049912")  # type: ignore[union-attr]
    dialog.save()
    assert dialog.result() == EventDialog.DialogCode.Accepted
    item = _next_for(window, claim_id)
    assert item is not None and item.action.startswith("Call the plan: no answer for")
    assert claim.buttons[EventKind.DENIED].isEnabled()

    # A denial dated before the submission is refused next to the date; nothing is written.
    wrong = _event(claim, EventKind.DENIED, date(2026, 4, 5))
    wrong.adjustments.rows[0][1].setText("50")  # type: ignore[union-attr]
    wrong.adjustments.rows[0][3].setText(str(billed))  # type: ignore[union-attr]
    wrong.save()
    assert wrong.result() != EventDialog.DialogCode.Accepted
    assert "events go in order" in wrong.form.error_for("date").text()
    assert len(ws.claim_views.get(claim_id).events) == 1

    # Denied as not medically necessary; the letter arrived on May 29: 180 days to appeal from then.
    denial = _event(claim, EventKind.DENIED, date(2026, 5, 20), received=date(2026, 5, 29))
    denial.adjustments.rows[0][1].setText("50")  # type: ignore[union-attr]
    denial.adjustments.rows[0][2].setText("N130")  # type: ignore[union-attr]
    denial.adjustments.rows[0][3].setText(str(billed))  # type: ignore[union-attr]
    denial.save()
    assert denial.result() == EventDialog.DialogCode.Accepted, denial.form.top_errors.text()
    item = _next_for(window, claim_id)
    assert item is not None and item.action == "File an internal appeal with the plan"
    assert item.due == date(2026, 11, 25)
    assert "Denied" in claim.header.text()

    # The appeal: the letter is drafted from the record, issued, and the appeal filed with it.
    appeal = claim.record(EventKind.APPEAL_FILED)
    assert isinstance(appeal, AppealDialog)
    text = appeal.text.toPlainText()
    assert "BR26-0049912" in text and "F33.2" in text and "21" in text
    appeal.date.setDate(qdate(date(2026, 11, 23)))
    appeal.issue()
    assert appeal.letter is not None, appeal.form.top_errors.text()
    letter = ws.appeals.letter_pdf(appeal.letter.id)
    assert letter.startswith(b"%PDF") and "BR26-0049912" in pdf_text(letter)
    item = _next_for(window, claim_id)
    assert item is not None and item.action == "Call the payer if there is no decision on the internal appeal"
    assert claim.documents.count() == 1

    # Overturned: now the money should come; the dashboard says to chase it if it does not.
    decision = _event(claim, EventKind.APPEAL_OVERTURNED, date(2026, 11, 23))
    decision.save()
    assert decision.result() == EventDialog.DialogCode.Accepted, decision.form.top_errors.text()
    item = _next_for(window, claim_id)
    assert item is not None and "the appeal was won" in item.action

    # Paid in full: nothing left to do.
    paid = _event(claim, EventKind.PAID, date(2026, 11, 23), paid=billed, allowed=billed)
    paid.adjustments.rows[0][1].setText("")  # type: ignore[union-attr]
    paid.save()
    assert paid.result() == EventDialog.DialogCode.Accepted, paid.form.top_errors.text()
    assert _next_for(window, claim_id) is None
    row = ws.claim_views.row(claim_id)
    assert row.state is ClaimState.PAID and row.outstanding == 0 and row.paid == billed
    kinds = [e.kind for e in ws.claim_views.get(claim_id).events]
    assert kinds == [
        EventKind.SUBMITTED,
        EventKind.DENIED,
        EventKind.APPEAL_FILED,
        EventKind.APPEAL_OVERTURNED,
        EventKind.PAID,
    ]


def test_a_claims_documents_open_as_private_copies(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    claim_id = next(r.id for r in ws.claim_views.rows() if ws.claim_views.get(r.id).letters)
    (letter,) = ws.claim_views.get(claim_id).letters
    scan = tmp_path / "eob scan.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    attachment = ws.claims.attach(claim_id, scan, "EOB")
    scan.unlink()  # the claim keeps its own copy, in the database
    opened: list[Path] = []
    monkeypatch.setattr(pdf_preview, "open_in_viewer", lambda path: opened.append(path) or True)
    told: list[str] = []
    monkeypatch.setattr(claim_detail, "tell", lambda parent, title, text: told.append(f"{title}: {text}"))
    claim = window.open_claim(claim_id)
    assert isinstance(claim, ClaimWindow)
    qtbot.addWidget(claim)
    items = {
        claim.documents.item(i).data(Qt.ItemDataRole.UserRole): claim.documents.item(i)
        for i in range(claim.documents.count())
    }
    assert set(items) == {("attachment", attachment.id), ("letter", letter.id)}
    claim.documents.itemActivated.emit(items[("attachment", attachment.id)])
    claim.documents.itemActivated.emit(items[("letter", letter.id)])
    assert told == [] and len(opened) == 2
    root = Path(os.environ["KETTRACK_CACHE_DIR"]) / "viewer-copies"
    for path, name, content in (
        (opened[0], "eob scan.png", ws.claims.attachment_content(attachment.id)[1]),
        (opened[1], f"Appeal letter {letter.number}.pdf", ws.appeals.letter_pdf(letter.id)),
    ):
        assert path.parent.parent == root and path.name == name and path.read_bytes() == content
        assert (
            stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        )
    # A document altered in the database file is refused, said in words, and never handed to a viewer.
    database = ws.db.target.sqlite_path
    assert database is not None
    tamper(database, attachment.sha256, b"\x89PNG\r\n\x1a\nsomething else")
    claim.documents.itemActivated.emit(items[("attachment", attachment.id)])
    assert len(opened) == 2
    assert told and told[0].startswith("File not opened") and "no longer matches its SHA-256" in told[0]


def test_money_errors_show_next_to_the_field(qtbot: QtBot, window: MainWindow, workspace: Workspace) -> None:
    claim_id = next(r.id for r in workspace.claim_views.rows() if r.state is ClaimState.SUBMITTED)
    claim = window.open_claim(claim_id)
    qtbot.addWidget(claim)
    dialog = _event(claim, EventKind.PAID, date(2026, 11, 23), paid="12.345")  # type: ignore[arg-type]
    dialog.save()
    assert dialog.result() != EventDialog.DialogCode.Accepted
    assert "decimal" in dialog.form.error_for("paid").text().lower()
    dialog.amounts["paid"].setText("99999999")
    dialog.save()
    assert dialog.form.error_for("paid").text()
    assert len(workspace.claim_views.get(claim_id).events) == 1


def test_claims_list_filters_and_payer_rules(qtbot: QtBot, window: MainWindow, workspace: Workspace) -> None:
    window.show_section(CLAIMS)
    view = window.claims
    total = view.model.rowCount()  # type: ignore[attr-defined]
    assert total == workspace.claim_views.count() >= 6
    view.overdue.setChecked(True)  # type: ignore[attr-defined]
    overdue = view.model.records  # type: ignore[attr-defined]
    assert overdue and all(r.is_overdue(date(2026, 11, 23)) for r in overdue)
    view.overdue.setChecked(False)  # type: ignore[attr-defined]
    view.state.setCurrentIndex(view.state.findData(ClaimState.DENIED.value))  # type: ignore[attr-defined]
    assert {r.state for r in view.model.records} == {ClaimState.DENIED}  # type: ignore[attr-defined]
    denied = view.model.records[0]  # type: ignore[attr-defined]
    assert not denied.next_confirmed
    # Confirming the plan's rules (and giving it 365 days to file) removes the "default rule" mark.
    rules = PayerRulesDialog(workspace, window.bus, denied.payer_id, parent=window)
    rules.filing.setText("365 days")
    rules.confirmed.setChecked(True)
    rules.save()
    assert rules.result() == PayerRulesDialog.DialogCode.Accepted, rules.form.top_errors.text()
    assert workspace.claim_views.row(denied.id).next_confirmed
    bad = PayerRulesDialog(workspace, window.bus, denied.payer_id, parent=window)
    bad.filing.setText("a while")
    bad.save()
    assert "days or months" in bad.form.error_for("filing").text()


def _submitted_claim(qtbot: QtBot, window: MainWindow, ws: Workspace) -> tuple[ClaimWindow, int]:
    new = NewClaimDialog(ws, window.bus, superbill_id=_april_superbill(ws), parent=window)
    new.save()
    assert new.claim_id is not None, new.form.top_errors.text()
    claim = window.open_claim(new.claim_id)
    assert isinstance(claim, ClaimWindow)
    qtbot.addWidget(claim)
    _event(claim, EventKind.SUBMITTED, date(2026, 4, 10)).save()
    return claim, new.claim_id


def test_the_window_decides_an_eob_and_a_denial_as_the_command_line_does(
    qtbot: QtBot, window: MainWindow, workspace: Workspace
) -> None:
    """Paid in full is decided from the amounts (payment + CO write-off + patient's share) unless the
    person says; a denial records paid 0.00 even when no allowed amount was typed."""
    ws = workspace
    claim, claim_id = _submitted_claim(qtbot, window, ws)
    billed = ws.claim_views.row(claim_id).billed
    denial = _event(claim, EventKind.DENIED, date(2026, 5, 20))
    denial.adjustments.rows[0][1].setText("50")  # type: ignore[union-attr]
    denial.adjustments.rows[0][3].setText(str(billed))  # type: ignore[union-attr]
    denial.save()
    assert denial.result() == EventDialog.DialogCode.Accepted, denial.form.top_errors.text()
    recorded = ws.claim_views.get(claim_id).events[-1]
    assert recorded.kind is EventKind.DENIED and recorded.amounts.paid == Decimal("0.00")

    # Another claim: the plan pays the allowed amount less coinsurance; CO-45 and PR-2 cover the rest.
    claim, claim_id = _submitted_claim(qtbot, window, ws)
    billed = ws.claim_views.row(claim_id).billed
    share, write_off = Decimal("20.00"), Decimal("30.00")
    eob = _event(claim, EventKind.PAID, date(2026, 5, 20), paid=billed - share - write_off)
    assert eob.from_amounts is not None and eob.from_amounts.isChecked()
    adjustments = eob.adjustments
    assert adjustments is not None
    adjustments.rows[0][1].setText("45")
    adjustments.rows[0][3].setText(str(write_off))
    adjustments.add_row(GroupCode.PR, "2", str(share))
    eob.save()
    assert eob.result() == EventDialog.DialogCode.Accepted, eob.form.top_errors.text()
    assert ws.claim_views.get(claim_id).events[-1].kind is EventKind.PAID
