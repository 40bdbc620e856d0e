"""The demo set: it fills an empty database through the repositories, every record passes the same
validation as typed-in data, the numbers look like a real ketamine practice's, and it is deterministic."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kettrack.core import validation
from kettrack.core.enums import Drug, PayerKind, ProviderKind, Route
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.services.demo import fill_demo
from kettrack.services.transfer import DatabaseNotEmpty, export_data
from kettrack.services.workspace import Workspace

TODAY = date(2026, 11, 23)  # the same fixed day as tests/conftest.py


@pytest.fixture
def demo(workspace):  # type: ignore[no-untyped-def]
    return workspace, fill_demo(workspace)


def test_demo_fills_the_expected_records(demo) -> None:  # type: ignore[no-untyped-def]
    ws, summary = demo
    assert ws.patients.count() == len(summary.patient_ids) == 2
    assert ws.providers.count() == len(summary.provider_ids) == 3
    assert ws.payers.count() == len(summary.payer_ids) == 2
    assert ws.coverages.count() == summary.coverages == 2
    assert ws.treatments.count() == summary.treatments == 9
    assert ws.infusions.count() == summary.infusions == 26
    assert summary.describe().startswith("3 providers (1 clinic), 2 payers, 2 patients")
    clinics = ws.providers.list_kind(ProviderKind.ORGANIZATION)
    assert [c.id for c in clinics] == [summary.clinic_id]
    assert clinics[0].taxonomy == "261QM0801X" and clinics[0].tin == "12-3456789"
    assert {p.kind for p in ws.payers.list()} == {PayerKind.COMMERCIAL, PayerKind.ORIGINAL_MEDICARE}
    assert ws.settings.first_run_done()


def test_demo_documents_are_in_the_database(demo, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The demo's superbills and appeal letters are issued like real ones: inside the database."""
    from tests.store.stored_documents import assert_no_document_files, pdf_text, sha256

    ws, _ = demo
    bills = ws.superbills.list()
    letters = [x for r in ws.claim_views.rows() for x in ws.claim_views.get(r.id).letters]
    assert bills and letters
    names = {p.id: p.legal_name for p in ws.patients.list()}
    for bill in bills:
        pdf = ws.superbills.pdf(bill.id)
        assert pdf.startswith(b"%PDF") and sha256(pdf) == bill.sha256
        assert names[bill.patient_id] in pdf_text(pdf)
    for letter in letters:
        pdf = ws.appeals.letter_pdf(letter.id)
        assert pdf.startswith(b"%PDF") and sha256(pdf) == letter.sha256
    assert_no_document_files(db_path.parent)


def test_every_demo_record_passes_validation(demo, icd10) -> None:  # type: ignore[no-untyped-def]
    ws, _ = demo
    for patient in ws.patients.list():
        assert validation.check_patient(patient, TODAY) == patient
    births = {p.id: p.date_of_birth for p in ws.patients.list()}
    for provider in ws.providers.list():
        assert validation.check_provider(provider) == provider
        assert validation.npi_problem(provider.npi) is None
        if provider.kind is ProviderKind.INDIVIDUAL:
            assert provider.clinic_id is not None
    for payer in ws.payers.list():
        assert validation.check_payer(payer) == payer
    for coverage in ws.coverages.list():
        assert validation.check_coverage(coverage, TODAY) == coverage
    for treatment in ws.treatments.list():
        assert validation.check_treatment(treatment, TODAY) == treatment
    for session in ws.infusions.list():
        checked = validation.check_infusion(
            session, today=TODAY, icd=Icd10Releases([icd10]), date_of_birth=births[session.patient_id]
        )
        assert checked == session
        assert session.service_date < TODAY


def test_sessions_look_like_a_ketamine_practice(demo) -> None:  # type: ignore[no-untyped-def]
    ws, summary = demo
    avery, harold = summary.patient_ids
    iv = ws.infusions.list(flt=_for(avery))
    assert all(s.drug is Drug.KETAMINE and s.route is Route.IV for s in iv)
    assert len(iv) >= 6
    induction = iv[:6]
    assert (induction[-1].service_date - induction[0].service_date).days <= 21
    gaps = [(b.service_date - a.service_date).days for a, b in zip(iv[5:], iv[6:], strict=False)]
    assert gaps and all(21 <= g <= 35 for g in gaps)
    for s in iv:
        assert s.dose_mg_per_kg is not None and abs(s.dose_mg_per_kg - Decimal("0.5")) < Decimal("0.01")
        assert s.duration_minutes is not None and 40 <= s.duration_minutes <= 55
        assert s.amount_paid == Decimal("450.00")
        assert "F33.2" in s.diagnoses
    assert iv[0].phq9_before is not None and iv[0].phq9_before >= 19
    assert iv[-1].phq9_before is not None and iv[-1].phq9_before <= 9
    nasal = ws.infusions.list(flt=_for(harold))
    assert nasal and all(s.drug is Drug.ESKETAMINE and s.route is Route.INTRANASAL for s in nasal)
    assert {s.dose_mg for s in nasal} == {Decimal("56.00"), Decimal("84.00")}
    assert all(s.place_of_service == "11" and s.diagnoses == ("F33.2",) for s in nasal)
    assert max(s.service_date for s in iv + nasal) < TODAY


def _for(patient_id: int):  # type: ignore[no-untyped-def]
    from kettrack.core.rows import InfusionFilter

    return InfusionFilter(patient_id=patient_id)


def test_demo_is_deterministic(demo, template_db: Path, tmp_path: Path, icd10) -> None:  # type: ignore[no-untyped-def]
    ws, _ = demo
    other_path = tmp_path / "other.sqlite3"
    shutil.copyfile(template_db, other_path)
    other = Workspace.open(other_path, today=lambda: TODAY)
    other._icd = Icd10Releases([icd10])
    try:
        fill_demo(other)
        first, second = export_data(ws), export_data(other)
        assert _without_clock(first) == _without_clock(second)
    finally:
        other.close()


# What the clock sets (when a record was written or a document issued, and the documents' bytes, which
# carry that moment): the demo's content is the same every time, its time stamps are not.
_CLOCK = {
    *("exported_at", "issued_at", "recorded_at", "added_at", "created_at", "updated_at", "at"),
    *("pdf_base64", "sha256", "hash", "previous_hash"),
    # The audit head's seal and the database id are each installation's own.
    *("mac", "database_id"),
}


def _without_clock(data: object) -> object:
    if isinstance(data, dict):
        return {k: _without_clock(v) for k, v in data.items() if k not in _CLOCK and not k.endswith("_files")}
    if isinstance(data, list):
        return [_without_clock(v) for v in data]
    return data


def test_demo_refuses_a_database_with_records(demo) -> None:  # type: ignore[no-untyped-def]
    ws, _ = demo
    with pytest.raises(DatabaseNotEmpty, match="2 patients"):
        fill_demo(ws)
    assert ws.patients.count() == 2
