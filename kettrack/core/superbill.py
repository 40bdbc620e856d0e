"""A superbill as plain data, and the pre-flight check that lists what a payer would reject.

The document (kettrack.reports.superbill) draws exactly this data; the store assembles it from the
database. Pre-flight messages are written for a patient, not a billing expert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kettrack.core.codes import CodeCatalog
from kettrack.core.icd10 import Icd10Index
from kettrack.core.records import (
    CoverageRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
)
from kettrack.core.service_lines import POINTER_LETTERS, ServiceLine
from kettrack.core.validation import ein_problem, npi_problem

MAX_DIAGNOSES = 12


@dataclass(frozen=True)
class Diagnosis:
    """An ICD-10-CM code on the superbill; its pointer letter is its position (A is first)."""

    code: str
    description: str


@dataclass(frozen=True)
class Superbill:
    """Everything one superbill shows."""

    statement_number: str
    issued_on: date
    provider: ProviderRecord
    patient: PatientRecord
    lines: tuple[ServiceLine, ...]
    diagnoses: tuple[Diagnosis, ...]
    payments: tuple[PaymentRecord, ...] = ()
    clinic: ProviderRecord | None = None
    coverage: CoverageRecord | None = None
    payer: PayerRecord | None = None
    referring_name: str = ""
    referring_npi: str = ""
    prior_authorization: str = ""
    version: int = 1

    @property
    def total_charges(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))

    @property
    def total_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return self.total_charges - self.total_paid

    @property
    def period(self) -> tuple[date, date] | None:
        if not self.lines:
            return None
        days = [line.service_date for line in self.lines]
        return min(days), max(days)

    def pointer_of(self, code: str) -> str:
        for index, diagnosis in enumerate(self.diagnoses):
            if diagnosis.code == code:
                return POINTER_LETTERS[index]
        return ""


def _provider_problems(provider: ProviderRecord, who: str) -> list[str]:
    problems = []
    if not provider.npi:
        problems.append(f"{who} NPI is missing")
    elif problem := npi_problem(provider.npi):
        problems.append(f"{who} NPI {provider.npi} {problem}")
    if not provider.address.line1 or not provider.address.city:
        problems.append(f"{who} address is incomplete")
    if not provider.phone:
        problems.append(f"{who} phone number is missing")
    return problems


def diagnosis_problems(bill: Superbill, icd: Icd10Index | None) -> list[str]:
    """Each diagnosis checked against the ICD-10-CM release in force on the dates of service of the
    lines that point to it (all the superbill's dates when none points to it)."""
    if icd is None:
        return []
    problems: list[str] = []
    for number, diagnosis in enumerate(bill.diagnoses):
        letter = POINTER_LETTERS[number] if number < len(POINTER_LETTERS) else ""
        dates = sorted({ln.service_date for ln in bill.lines if letter and letter in ln.pointers})
        dates = dates or sorted({ln.service_date for ln in bill.lines})
        for problem in dict.fromkeys(icd.problem_with(diagnosis.code) for _ in dates or [None]):
            if problem:
                problems.append(problem)
    return problems


def preflight(bill: Superbill, icd: Icd10Index | None, catalog: CodeCatalog) -> list[str]:
    """Every missing or invalid field, in plain words; an empty list means the superbill is complete."""
    problems: list[str] = []
    problems += _provider_problems(bill.provider, "Provider")
    billing_tin = bill.clinic.tin if bill.clinic and bill.clinic.tin else bill.provider.tin
    if not billing_tin:
        problems.append("Provider TIN/EIN (tax ID) is missing")
    elif problem := ein_problem(billing_tin):
        problems.append(f"Provider TIN/EIN {problem}")
    if not bill.provider.credentials:
        problems.append("Provider credentials (MD, DO, NP...) are missing")
    if bill.clinic is not None:
        problems += _provider_problems(bill.clinic, "Clinic")
    patient = bill.patient
    if patient.date_of_birth is None:
        problems.append("Patient date of birth is missing")
    if not patient.address.line1 or not patient.address.city:
        problems.append("Patient address is incomplete")
    if bill.coverage is None or bill.payer is None:
        problems.append("Insurance is missing: add the patient's plan and member ID")
    elif not bill.coverage.member_id:
        problems.append("Insurance member ID is missing")
    if not bill.diagnoses:
        problems.append("No diagnosis: add the ICD-10-CM code the treatment was for")
    if len(bill.diagnoses) > MAX_DIAGNOSES:
        problems.append(f"A superbill holds at most {MAX_DIAGNOSES} diagnoses (A to L)")
    problems += diagnosis_problems(bill, icd)
    if not bill.lines:
        problems.append("There are no services to bill")
    pointer_letters = POINTER_LETTERS[: len(bill.diagnoses)]
    for number, line in enumerate(bill.lines, start=1):
        where = f"Line {number} ({line.code}, {line.service_date.isoformat()})"
        if problem := catalog.date_problem(line.code, line.service_date):
            problems.append(f"{where}: {problem}")
        if not line.pointers:
            problems.append(f"{where}: no diagnosis is linked to it")
        elif any(letter not in pointer_letters for letter in line.pointers):
            problems.append(f"{where}: points to a diagnosis letter that is not on the superbill")
        if line.charge <= 0:
            problems.append(f"{where}: the charge is missing")
        if line.units < 1:
            problems.append(f"{where}: units must be at least 1")
        if len(line.modifiers) > 4:
            problems.append(f"{where}: at most 4 modifiers fit on a line")
        entry = catalog.get(line.code)
        if entry is not None and entry.kind.value == "drug" and not line.ndc:
            problems.append(f"{where}: a drug line needs the drug's NDC")
    return problems
