"""Validation shared by the window, the command line and the importer.

Each ``check_*`` function returns the record cleaned (trimmed, normalised) or raises ``InvalidInput``
listing every problem at once, so a form can mark all bad fields in one go.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, time
from decimal import Decimal, InvalidOperation

from kettrack.core.enums import PLACES_OF_SERVICE, ProviderKind, Relationship
from kettrack.core.icd10 import Icd10Index, normalize
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

NAME_MAX = 200
ID_MAX = 50
LINE_MAX = 200
NOTE_MAX = 20_000
FILE_NAME_MAX = 100
EARLIEST_DATE = date(1900, 1, 1)
# Business dates (service, coverage, claim events) may be planned ahead, but not by decades: a year of
# 9999 or 2206 is a typo, and a deadline computed from it would never come due.
YEARS_AHEAD = 2
MAX_DIAGNOSES = 12
MAX_DOSE_MG = Decimal("2000")
MAX_WEIGHT_KG = Decimal("500")

# Characters that reorder or hide text: a name with U+202E can display as something else entirely.
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
# Letters by Unicode's category that draw nothing (Hangul fillers): "\u3164" alone is no name.
_INVISIBLE_LETTERS = set("\u115f\u1160\u3164\uffa0")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = set("0123456789+-(). xX/")


def plain_text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What makes ``value`` unfit to store and show as plain text, or None: a NUL, a control character
    (tab and line feed allowed where ``multiline``), a lone surrogate, or an invisible text-direction
    character (U+202E can make a name or a file name display as something else entirely)."""
    for ch in value:
        if ch in _BIDI_CONTROLS:
            return f"contains an invisible text-direction character (U+{ord(ch):04X})"
        if ch == "\x00":
            return "contains a NUL character"
        if multiline and ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or category == "Cs":
            return f"contains a control character (U+{ord(ch):04X})"
    return None


def text_problem(value: str, *, max_len: int, multiline: bool = False) -> str | None:
    """What is wrong with a free-text value, or None."""
    if len(value) > max_len:
        return f"is too long ({len(value):,} characters; at most {max_len:,})"
    return plain_text_problem(value, multiline=multiline)


def has_visible_letter(value: str) -> bool:
    """Whether a name has at least one letter a reader can see (not only spaces, digits, zero-width
    or filler characters): a name of two U+200B would show as an empty line and match nobody."""
    return any(unicodedata.category(ch).startswith("L") and ch not in _INVISIBLE_LETTERS for ch in value)


def file_name_problem(name: str, *, max_len: int = FILE_NAME_MAX) -> str | None:
    """What stops ``name`` from being a plain file name (one name, no folder), or None.

    Records keep a document's file name only as the suggested name of a saved copy; it must never be
    able to name another folder (``../``, ``/etc/``, ``C:\\``) or hide its real extension."""
    if not name.strip():
        return "is empty"
    if len(name) > max_len:
        return f"is too long ({len(name):,} characters; at most {max_len:,})"
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        return f"{name!r} is not a plain file name (no folders, no '..', not starting with '.')"
    if problem := plain_text_problem(name):
        return problem
    if name != name.strip():
        return f"{name!r} starts or ends with a space"
    return None


def latest_plausible_date(today: date, years: int = YEARS_AHEAD) -> date:
    """``today`` moved ``years`` ahead (28 February for a 29 February that does not recur)."""
    try:
        return today.replace(year=today.year + years)
    except ValueError:
        return today.replace(year=today.year + years, day=28)


def plausible_date_problem(value: date, today: date, *, years_ahead: int = YEARS_AHEAD) -> str | None:
    """Whether a business date lies between 1900-01-01 and ``years_ahead`` years from today."""
    if value < EARLIEST_DATE:
        return f"{value.isoformat()} is before 1900"
    latest = latest_plausible_date(today, years_ahead)
    if value > latest:
        return f"{value.isoformat()} is more than {years_ahead} years ahead (after {latest.isoformat()})"
    return None


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


def parse_date(text: str, field: str = "date") -> date:
    """Strict ISO date ``YYYY-MM-DD``; a date that does not exist gets its own message."""
    raw = text.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw, re.ASCII)
    if not match:
        raise InvalidInput.single(field, f"{raw!r} is not a date: write it as YYYY-MM-DD")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput.single(field, f"{raw} is not a real date") from None


def parse_time(text: str, field: str = "time") -> time:
    raw = text.strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw, re.ASCII)
    if not match:
        raise InvalidInput.single(field, f"{raw!r} is not a time: write it as HH:MM (24-hour)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise InvalidInput.single(field, f"{raw} is not a real time of day")
    return time(hour, minute)


def parse_decimal(text: str, field: str, *, places: int, maximum: Decimal) -> Decimal:
    """A positive measurement (dose, weight) with at most ``places`` decimals."""
    raw = text.strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput.single(field, f"{raw!r} is not a number") from None
    return check_measure(field, value, places=places, maximum=maximum)


def check_measure(field: str, value: Decimal, *, places: int, maximum: Decimal) -> Decimal:
    if not value.is_finite():
        raise InvalidInput.single(field, "must be a finite number")
    if value <= 0:
        raise InvalidInput.single(field, "must be more than zero")
    if value > maximum:
        raise InvalidInput.single(field, f"is larger than {maximum}: check the units")
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum):
        raise InvalidInput.single(field, f"has more than {places} decimal places")
    return value.quantize(quantum)


def npi_problem(npi: str) -> str | None:
    """CMS NPI rule: 10 digits, first 1 or 2, Luhn check digit over ``80840`` + the first 9."""
    # isascii: str.isdigit() also accepts digits like "²" or Arabic-Indic digits.
    if not (npi.isascii() and npi.isdigit()) or len(npi) != 10:
        return "must be exactly 10 digits"
    if npi[0] not in "12":
        return "must start with 1 or 2"
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10 != 0:
        return "has a wrong check digit (last digit): re-check it against the provider's NPI record"
    return None


def normalize_ein(tin: str) -> str:
    digits = tin.replace("-", "").replace(" ", "")
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 and digits.isdigit() else tin.strip()


def ein_problem(tin: str) -> str | None:
    from stdnum.exceptions import ValidationError
    from stdnum.us import ein

    digits = tin.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 9:
        return "must be 9 digits, written like 12-3456789"
    try:
        ein.validate(digits)
    except ValidationError:
        return f"{normalize_ein(tin)} does not start with a prefix the IRS issues"
    return None


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
    icd: Icd10Index | None,
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
        if icd is not None and (problem := icd.problem_with(code)):
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
