"""Fixtures for the window's tests: QSettings in a temp folder (never the real home), database work
run inline (the operation helper's SynchronousPool, Picard's FakeThreadPool), a change bus, and a
workspace seeded with a few people to pick from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QWidget

from kettrack.core.enums import Drug, PayerKind, ProviderKind, Route
from kettrack.core.records import InfusionRecord, PatientRecord, PayerRecord, PaymentRecord, ProviderRecord
from kettrack.services.workspace import Workspace
from kettrack.ui import operations
from kettrack.ui.changes import ChangeBus


@pytest.fixture(autouse=True)
def temp_qsettings(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "qsettings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def inline_database_work() -> Iterator[None]:
    """The database worker runs each operation at once on the test's thread: a click on Save has saved
    when the click returns. Tests of the real worker thread switch it back (tests/ui/test_operations.py)."""
    previous = operations.use_pool(operations.SynchronousPool())
    yield
    operations.use_pool(previous)


@pytest.fixture
def database_worker(qapp) -> Iterator[operations.Pool]:  # type: ignore[no-untyped-def]
    """The real database worker thread instead of the inline one (ask for it after ``workspace``: the
    work still running is waited for before the workspace closes)."""
    previous = operations.use_pool(None)
    pool = operations.database_pool()
    yield pool
    pool.waitForDone()
    QCoreApplication.processEvents()  # what is left to deliver, to widgets still open or not
    operations.use_pool(previous)


@pytest.fixture
def owner(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    """A widget that asks for database work (the operations' owner)."""
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def bus(qapp) -> ChangeBus:  # type: ignore[no-untyped-def]
    return ChangeBus()


@pytest.fixture
def people(workspace: Workspace) -> dict[str, int]:
    """Two patients, a clinician, a clinic and a payer."""
    ws = workspace
    ids = {
        "ada": ws.patients.add(PatientRecord(legal_name="Ada Quill", date_of_birth=date(1980, 5, 1))).id,
        "bo": ws.patients.add(PatientRecord(legal_name="Bo Marsh")).id,
        "clinic": ws.providers.add(ProviderRecord(name="Calm Clinic", kind=ProviderKind.ORGANIZATION)).id,
        "payer": ws.payers.add(PayerRecord(name="Blue Plan", kind=PayerKind.COMMERCIAL)).id,
    }
    ids["doc"] = ws.providers.add(
        ProviderRecord(name="Dana Reed", credentials="MD", clinic_id=ids["clinic"])
    ).id
    return ids  # type: ignore[return-value]


def make_sessions(ws: Workspace, patients: list[int], count: int, *, start: date = date(2026, 1, 1)) -> None:
    """``count`` sessions spread over patients and days, written without per-row validation."""
    records = [
        InfusionRecord(
            patient_id=patients[i % len(patients)],
            service_date=start + timedelta(days=i % 300),
            drug=Drug.KETAMINE if i % 3 else Drug.ESKETAMINE,
            route=Route.IV if i % 3 else Route.INTRANASAL,
            dose_mg=Decimal(30 + i % 50),
            diagnoses=("F33.2",),
            notes="marker" if i == 7 else "",
            payments=(PaymentRecord(paid_on=start, amount=Decimal(100 + i)),) if i % 2 else (),
        )
        for i in range(count)
    ]
    ws.infusions.add_many(records, validate=False)
