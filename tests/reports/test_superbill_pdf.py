"""The superbill PDF, read back with a PDF text extractor and rendered with pdftoppm."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from kettrack.core.codes import CodeCatalog
from kettrack.core.enums import PaymentMethod, ProviderKind, Relationship, Sex
from kettrack.core.records import (
    Address,
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
)
from kettrack.core.service_lines import propose_lines
from kettrack.core.superbill import Diagnosis, Superbill, preflight
from kettrack.reports.superbill import render_superbill

CATALOG = CodeCatalog()
FEES = {"96365": Decimal("250.00"), "96366": Decimal("90.10"), "J3490": Decimal("35.03")}
PROVIDER = ProviderRecord(
    "Dana <b>& Reyes",
    credentials="MD",
    npi="1234567893",
    taxonomy="2084P0800X",
    license_number="MD-55120",
    license_state="CO",
    address=Address("100 Main St", "Suite 2", "Denver", "CO", "80202"),
    phone="303-555-0100",
)
CLINIC = ProviderRecord(
    "Front Range Ketamine Clinic",
    kind=ProviderKind.ORGANIZATION,
    npi="1245319599",
    tin="12-3456789",
    address=Address("100 Main St", "Suite 2", "Denver", "CO", "80202"),
    phone="303-555-0100",
)
PATIENT = PatientRecord(
    "Zoë Ñúñez",
    date(1985, 4, 12),
    Sex.FEMALE,
    Address("12 Elm Rd", "", "Boulder", "CO", "80301"),
    "303-555-0199",
)
PAYER = PayerRecord("Blue Ridge Health Plan")
COVERAGE = CoverageRecord(
    1,
    1,
    "XKM123456789",
    group_number="G-7781",
    relationship=Relationship.SPOUSE,
    policyholder_name="Luis Ñúñez",
    policyholder_dob=date(1983, 1, 2),
)
DIAGNOSES = (
    Diagnosis("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
    Diagnosis("F41.1", "Generalized anxiety disorder"),
)


def _bill(sessions: int) -> Superbill:
    lines, payments = [], []
    for k in range(sessions):
        day = date(2026, 1, 5) + timedelta(days=k)
        session = InfusionRecord(
            1,
            day,
            start_time=time(9, 0),
            end_time=time(10, 35),
            dose_mg=Decimal("38.5"),
            diagnoses=("F33.2", "F41.1"),
        )
        lines += propose_lines(session, FEES, CATALOG, ndcs={"J3490": "42023-0113-10"}).lines
        payments.append(PaymentRecord(day, Decimal("100.01"), PaymentMethod.CARD, f"AUTH{k:04d}"))
    return Superbill(
        "SB-2026-000042",
        date(2026, 11, 23),
        PROVIDER,
        PATIENT,
        tuple(lines),
        DIAGNOSES,
        tuple(payments),
        CLINIC,
        COVERAGE,
        PAYER,
    )


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_every_required_field_line_and_total_is_in_the_pdf() -> None:
    bill = _bill(2)
    assert preflight(bill, None, CATALOG) == []
    pages, text = _text(render_superbill(bill))
    assert pages == 1
    for expected in [
        "Superbill",
        "SB-2026-000042",
        "Issued 2026-11-23",
        "Dana <b>& Reyes, MD",
        "1234567893",
        "1245319599",
        "12-3456789",
        "2084P0800X",
        "MD-55120 CO",
        "100 Main St",
        "303-555-0100",
        "Zoë Ñúñez",
        "1985-04-12",
        "12 Elm Rd",
        "Blue Ridge Health Plan",
        "XKM123456789",
        "G-7781",
        "Luis Ñúñez",
        "Spouse",
        "1983-01-02",
        "F33.2",
        "F41.1",
        "Generalized anxiety disorder",
        "42023-0113-10",
        "Provider signature",
    ]:
        assert expected in text, expected
    for code in ("96365", "96366", "J3490"):
        assert text.count(code) == 2, code
    assert "2026-01-05" in text and "2026-01-06" in text
    # 2 x (250.00 + 90.10 + 35.03) = 750.26 charged; 2 x 100.01 paid.
    assert "$750.26" in text and "$200.02" in text and "$550.24" in text
    assert "AUTH0000" in text and "AUTH0001" in text
    assert "Page 1 of 1" in text
    assert "DRAFT" not in text


def test_a_three_page_superbill_numbers_every_page_and_repeats_headers() -> None:
    bill = _bill(14)
    pdf = render_superbill(bill)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert f"Page {number} of 3" in page_text
        assert "SB-2026-000042" in page_text
    assert "Description" in reader.pages[1].extract_text()  # the services header repeats
    total = sum(line.charge for line in bill.lines)
    assert f"${total:,.2f}" in "".join(p.extract_text() for p in reader.pages)


def test_draft_watermark() -> None:
    _, text = _text(render_superbill(_bill(1), draft=True))
    assert "DRAFT" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdftoppm_renders_every_page(tmp_path: Path) -> None:
    pdf = tmp_path / "bill.pdf"
    pdf.write_bytes(render_superbill(_bill(14)))
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) == 3
