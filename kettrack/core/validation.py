"""Validation shared by the window, the command line and the importer.

Each ``check_*`` function returns the record cleaned (trimmed, normalised) or raises ``InvalidInput``
listing every problem at once, so a form can mark all bad fields in one go. The checks and parsers of
single values they are built from (plain text, file names, dates, times, measurements, NPI and EIN)
are in ``kettrack.core.field_checks``; every one stays importable from here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

from kettrack.core.enums import PLACES_OF_SERVICE, ProviderKind, Relationship
from kettrack.core.field_checks import (
    EARLIEST_DATE,
    FILE_NAME_MAX,
    ID_MAX,
    LINE_MAX,
    NAME_MAX,
    NOTE_MAX,
    YEARS_AHEAD,
    check_measure,
    ein_problem,
    file_name_problem,
    has_visible_letter,
    latest_plausible_date,
    normalize_ein,
    npi_problem,
    parse_date,
    parse_decimal,
    parse_time,
    plain_text_problem,
    plausible_date_problem,
    text_problem,
)
from kettrack.core.icd10 import normalize
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.money import parse_amount
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import (
    Address,
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
    TreatmentRecord,
)

__all__ = [
    "EARLIEST_DATE",
    "FILE_NAME_MAX",
    "ID_MAX",
    "LINE_MAX",
    "MAX_DIAGNOSES",
    "MAX_DOSE_MG",
    "MAX_WEIGHT_KG",
    "NAME_MAX",
    "NOTE_MAX",
    "YEARS_AHEAD",
    "check_coverage",
    "check_infusion",
    "check_measure",
    "check_patient",
    "check_payer",
    "check_provider",
    "check_treatment",
    "ein_problem",
    "file_name_problem",
    "has_visible_letter",
    "latest_plausible_date",
    "normalize_ein",
    "npi_problem",
    "parse_date",
    "parse_decimal",
    "parse_time",
    "plain_text_problem",
    "plausible_date_problem",
    "text_problem",
]

MAX_DIAGNOSES = 12
MAX_DOSE_MG = Decimal("2000")
MAX_WEIGHT_KG = Decimal("500")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = set("0123456789+-(). xX/")


class _Checker:
    """Collects problems while cleaning fields one by one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def text(
        self,
        field: str,
        value: str,
        *,
        max_len: int = LINE_MAX,
        required: bool = False,
        multiline: bool = False,
        label: str | None = None,
    ) -> str:
        # Text pasted from Windows carries CR LF line ends; keep the line breaks, drop the CRs.
        cleaned = value.strip() if not multiline else value.replace("\r\n", "\n").strip("\n\r ")
        if required and not cleaned:
            self.add(field, f"{label or 'This field'} is required")
            return cleaned
        problem = text_problem(cleaned, max_len=max_len, multiline=multiline)
        if problem:
            self.add(field, problem)
        return cleaned

    def name(self, field: str, value: str, *, required: bool = True, label: str = "Name") -> str:
        """A person's or an organisation's name: text as above, with at least one visible letter."""
        cleaned = self.text(field, value, max_len=NAME_MAX, required=required, label=label)
        if cleaned and not has_visible_letter(cleaned) and not any(p.field == field for p in self.problems):
            self.add(field, f"{label} has no visible letter")
        return cleaned

    def plausible_date(self, field: str, value: date | None, today: date, *, label: str) -> None:
        if value is not None and (problem := plausible_date_problem(value, today)):
            self.add(field, f"{label} {problem}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)


def _date_in_range(ck: _Checker, field: str, value: date | None, today: date, *, label: str) -> None:
    if value is None:
        return
    if value < EARLIEST_DATE:
        ck.add(field, f"{label} {value.isoformat()} is before 1900")
    elif value > today:
        ck.add(field, f"{label} {value.isoformat()} is in the future")


def _address(ck: _Checker, prefix: str, address: Address) -> Address:
    state = ck.text(f"{prefix}state", address.state, max_len=2 if len(address.state.strip()) <= 2 else 40)
    return Address(
        line1=ck.text(f"{prefix}line1", address.line1),
        line2=ck.text(f"{prefix}line2", address.line2),
        city=ck.text(f"{prefix}city", address.city, max_len=100),
        state=state.upper() if len(state) == 2 else state,
        postal_code=ck.text(f"{prefix}postal_code", address.postal_code, max_len=10),
    )


def _phone(ck: _Checker, field: str, value: str) -> str:
    phone = ck.text(field, value, max_len=30)
    if phone and not set(phone) <= _PHONE_CHARS:
        ck.add(field, "may hold only digits, spaces and + - ( ) .")
    elif phone and sum(ch.isdigit() for ch in phone) < 7:
        ck.add(field, "has too few digits to be a phone number")
    return phone


def check_patient(record: PatientRecord, today: date) -> PatientRecord:
    ck = _Checker()
    name = ck.name("legal_name", record.legal_name, label="Legal name")
    _date_in_range(ck, "date_of_birth", record.date_of_birth, today, label="Date of birth")
    email = ck.text("email", record.email, max_len=254)
    if email and not _EMAIL.match(email):
        ck.add("email", f"{email!r} is not an e-mail address")
    cleaned = replace(
        record,
        legal_name=name,
        address=_address(ck, "address.", record.address),
        phone=_phone(ck, "phone", record.phone),
        email=email,
    )
    ck.raise_if_any()
    return cleaned


def check_provider(record: ProviderRecord) -> ProviderRecord:
    ck = _Checker()
    name = ck.name("name", record.name, label="Name")
    npi = ck.text("npi", record.npi, max_len=ID_MAX).replace(" ", "")
    if npi and (problem := npi_problem(npi)):
        ck.add("npi", f"NPI {problem}")
    tin = ck.text("tin", record.tin, max_len=ID_MAX)
    if tin and (problem := ein_problem(tin)):
        ck.add("tin", f"TIN/EIN {problem}")
    taxonomy = ck.text("taxonomy", record.taxonomy, max_len=ID_MAX).upper()
    if taxonomy and not re.fullmatch(r"[0-9A-Z]{9}X", taxonomy):
        ck.add("taxonomy", "a taxonomy code is 10 characters ending in X, like 2084P0800X")
    if record.kind is ProviderKind.ORGANIZATION and record.clinic_id is not None:
        ck.add("clinic_id", "a clinic cannot belong to another clinic")
    cleaned = replace(
        record,
        name=name,
        npi=npi,
        tin=normalize_ein(tin) if tin else "",
        taxonomy=taxonomy,
        credentials=ck.text("credentials", record.credentials, max_len=ID_MAX),
        license_number=ck.text("license_number", record.license_number, max_len=ID_MAX),
        license_state=ck.text("license_state", record.license_state, max_len=2).upper(),
        address=_address(ck, "address.", record.address),
        phone=_phone(ck, "phone", record.phone),
    )
    ck.raise_if_any()
    return cleaned


def check_payer(record: PayerRecord) -> PayerRecord:
    ck = _Checker()
    cleaned = replace(
        record,
        name=ck.name("name", record.name, label="Payer name"),
        payer_code=ck.text("payer_code", record.payer_code, max_len=ID_MAX),
        phone=_phone(ck, "phone", record.phone),
        claims_address=ck.text("claims_address", record.claims_address, max_len=1000, multiline=True),
        appeals_address=ck.text("appeals_address", record.appeals_address, max_len=1000, multiline=True),
    )
    ck.raise_if_any()
    return cleaned


def check_coverage(record: CoverageRecord, today: date) -> CoverageRecord:
    ck = _Checker()
    member_id = ck.text("member_id", record.member_id, max_len=ID_MAX, required=True, label="Member ID")
    holder = ck.name("policyholder_name", record.policyholder_name, required=False, label="Policyholder name")
    if record.relationship is not Relationship.SELF and not holder:
        ck.add("policyholder_name", "Policyholder name is required when the patient is not the policyholder")
    _date_in_range(ck, "policyholder_dob", record.policyholder_dob, today, label="Policyholder's birth date")
    ck.plausible_date("effective_from", record.effective_from, today, label="Coverage start")
    ck.plausible_date("effective_to", record.effective_to, today, label="Coverage end")
    if record.effective_from and record.effective_to and record.effective_to < record.effective_from:
        ck.add("effective_to", "Coverage cannot end before it starts")
    cleaned = replace(
        record,
        member_id=member_id,
        policyholder_name=holder,
        group_number=ck.text("group_number", record.group_number, max_len=ID_MAX),
    )
    ck.raise_if_any()
    return cleaned


def check_treatment(record: TreatmentRecord, today: date) -> TreatmentRecord:
    ck = _Checker()
    name = ck.text("name", record.name, max_len=NAME_MAX, required=True, label="Treatment name")
    _date_in_range(ck, "started_on", record.started_on, today, label="Start date")
    _date_in_range(ck, "ended_on", record.ended_on, today, label="End date")
    if record.started_on and record.ended_on and record.ended_on < record.started_on:
        ck.add("ended_on", "The treatment cannot end before it started")
    cleaned = replace(
        record,
        name=name,
        details=ck.text("details", record.details, max_len=1000, multiline=True),
        notes=ck.text("notes", record.notes, max_len=NOTE_MAX, multiline=True),
    )
    ck.raise_if_any()
    return cleaned


_SCORE_RANGES = {
    "phq9_before": ("PHQ-9", 27),
    "phq9_after": ("PHQ-9", 27),
    "gad7_before": ("GAD-7", 21),
    "gad7_after": ("GAD-7", 21),
    "pain_before": ("Pain", 10),
    "pain_after": ("Pain", 10),
}


def check_infusion(
    record: InfusionRecord,
    *,
    today: date,
    icd: Icd10Releases | None,
    date_of_birth: date | None = None,
) -> InfusionRecord:
    """Validate a session. ``icd`` may be None only where codes were validated already."""
    ck = _Checker()
    dos = record.service_date
    if dos > today:
        ck.add("service_date", f"Date of service {dos.isoformat()} is in the future")
    elif dos < EARLIEST_DATE:
        ck.add("service_date", f"Date of service {dos.isoformat()} is before 1900")
    elif date_of_birth and dos < date_of_birth:
        ck.add("service_date", f"Date of service {dos.isoformat()} is before the patient's birth")
    if (record.start_time is None) != (record.end_time is None):
        ck.add("end_time", "Give both the start and the end time, or neither")
    elif record.start_time and record.end_time and record.end_time <= record.start_time:
        ck.add("end_time", "The session must end after it starts")
    pos = record.place_of_service.strip()
    if not re.fullmatch(r"\d{2}", pos):
        ck.add("place_of_service", "Place of service is a 2-digit CMS code, like 11 (office)")
    elif pos not in PLACES_OF_SERVICE and not 1 <= int(pos) <= 99:
        ck.add("place_of_service", f"{pos} is not a place-of-service code")
    measures: dict[str, Decimal | None] = {"dose_mg": record.dose_mg, "weight_kg": record.weight_kg}
    for field_name, value in list(measures.items()):
        if value is not None:
            try:
                maximum = MAX_DOSE_MG if field_name == "dose_mg" else MAX_WEIGHT_KG
                measures[field_name] = check_measure(field_name, value, places=2, maximum=maximum)
            except InvalidInput as exc:
                ck.problems.extend(exc.problems)
    codes: list[str] = []
    if len(record.diagnoses) > MAX_DIAGNOSES:
        ck.add("diagnoses", f"At most {MAX_DIAGNOSES} diagnoses fit on a claim (pointers A-L)")
    for code in record.diagnoses:
        norm = normalize(code)
        if norm in codes:
            ck.add("diagnoses", f"{norm} is listed twice")
            continue
        if icd is not None and (problem := icd.problem_with(code, dos)):
            ck.add("diagnoses", problem)
        codes.append(norm)
    for field_name, (label, top) in _SCORE_RANGES.items():
        value = getattr(record, field_name)
        if value is not None and not 0 <= value <= top:
            ck.add(field_name, f"{label} scores run from 0 to {top}")
    payments: list[PaymentRecord] = []
    for number, payment in enumerate(record.payments, start=1):
        field_name = f"payments[{number}]"
        try:
            amount = parse_amount(payment.amount, f"{field_name}.amount")
        except InvalidInput as exc:
            ck.problems.extend(exc.problems)
            amount = payment.amount
        else:
            # Only a parsed amount is compared: comparing a signalling NaN raises.
            if amount == 0:
                ck.add(f"{field_name}.amount", "A payment must be more than zero")
        if payment.paid_on > today:
            ck.add(f"{field_name}.paid_on", f"Payment date {payment.paid_on.isoformat()} is in the future")
        elif payment.paid_on < EARLIEST_DATE:
            ck.add(f"{field_name}.paid_on", "Payment date is before 1900")
        payments.append(
            replace(
                payment,
                amount=amount,
                reference=ck.text(f"{field_name}.reference", payment.reference, max_len=ID_MAX),
            )
        )
    cleaned = replace(
        record,
        place_of_service=pos,
        diagnoses=tuple(codes),
        payments=tuple(payments),
        dose_mg=measures["dose_mg"],
        weight_kg=measures["weight_kg"],
        side_effects=ck.text("side_effects", record.side_effects, max_len=NOTE_MAX, multiline=True),
        notes=ck.text("notes", record.notes, max_len=NOTE_MAX, multiline=True),
    )
    ck.raise_if_any()
    return cleaned
