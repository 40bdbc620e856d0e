"""A superbill as plain data, and the pre-flight check that lists what a payer would reject.

The document (kettrack.reports.superbill) draws exactly this data; the store assembles it from the
database. Pre-flight messages are written for a patient, not a billing expert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kettrack.core.bill_problems import BillProblem, RecordKind, chained, edit_fix, line_fix
from kettrack.core.codes import CodeCatalog, CodeKind
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.line_rules import (
    ESKETAMINE_SESSION_CODES,
    BillingContext,
    SessionFacts,
    check_lines,
    is_part_b,
)
from kettrack.core.records import (
    Address,
    CoverageRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
)
from kettrack.core.service_lines import POINTER_LETTERS, ServiceLine, context_for
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
    # The prior authorizations in force for the sessions (their numbers are ``prior_authorization``).
    prior_auth_ids: tuple[int, ...] = ()
    # Additional claim information for the payer (CMS-1500 item 19 / NTE), e.g. the REMS site.
    claim_notes: tuple[str, ...] = ()
    # Not printed: what the line rules check against (who is billed; each session's facts by id).
    billing: BillingContext = field(default_factory=BillingContext)
    sessions: Mapping[int, SessionFacts] = field(default_factory=dict)

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


def rems_site_note(site: ProviderRecord) -> str:
    """The note Medicare wants with G2082/G2083: the REMS-certified site and its ZIP (item 19 / NTE)."""
    return f"SPRAVATO REMS-certified site: {site.name}, ZIP {site.address.postal_code}"


def _address_options(address: Address) -> tuple[str, ...]:
    """The options of an ``edit`` command that fill in what an incomplete address lacks."""
    missing = (("--address-line1", "STREET", address.line1), ("--city", "CITY", address.city))
    return tuple(word for option, value, held in missing if not held for word in (option, value))


def _provider_problems(provider: ProviderRecord, who: str) -> list[BillProblem]:
    def problem(message: str, field_name: str, *options: str) -> BillProblem:
        fix = edit_fix(RecordKind.PROVIDER, provider.id, *options)
        return BillProblem(message, RecordKind.PROVIDER, provider.id, field_name, fix)

    problems = []
    if not provider.npi:
        problems.append(problem(f"{who} NPI is missing", "npi", "--npi", "NPI"))
    elif reason := npi_problem(provider.npi):
        problems.append(problem(f"{who} NPI {provider.npi} {reason}", "npi", "--npi", "NPI"))
    if not provider.address.line1 or not provider.address.city:
        problems.append(
            problem(f"{who} address is incomplete", "address", *_address_options(provider.address))
        )
    if not provider.phone:
        problems.append(problem(f"{who} phone number is missing", "phone", "--phone", "PHONE"))
    return problems


def diagnosis_problems(bill: Superbill, icd: Icd10Releases | None) -> list[str]:
    """Each diagnosis checked against the ICD-10-CM release in force on the dates of service of the
    lines that point to it (all the superbill's dates when none points to it)."""
    if icd is None:
        return []
    problems: list[str] = []
    for number, diagnosis in enumerate(bill.diagnoses):
        letter = POINTER_LETTERS[number] if number < len(POINTER_LETTERS) else ""
        pointed = sorted({ln.service_date for ln in bill.lines if letter and letter in ln.pointers})
        dates: list[date | None] = [*(pointed or sorted({ln.service_date for ln in bill.lines}))]
        for problem in dict.fromkeys(icd.problem_with(diagnosis.code, on) for on in dates or [None]):
            if problem:
                problems.append(problem)
    return problems


def coverage_warnings(bill: Superbill, icd: Icd10Releases | None, how: str | None = None) -> list[str]:
    """Said once per superbill when a date of service lies past the newest ICD-10-CM release loaded (or
    before the oldest): its diagnoses were checked against a release that may not be the one in force.
    ``how`` replaces the command line's way of loading a release (the window names its button)."""
    if icd is None:
        return []
    days = sorted({ln.service_date for ln in bill.lines})
    found = (icd.coverage_warning(day, how) for day in days)
    return list(dict.fromkeys(w for w in found if w))


def _sessions_of(bill: Superbill, letter: str = "") -> list[int]:
    """The ids of the superbill's sessions (those with a line pointing to diagnosis ``letter``), in the
    order of their lines."""
    found = (ln.infusion_id for ln in bill.lines if not letter or letter in ln.pointers)
    return list(dict.fromkeys(i for i in found if i is not None))


def _diagnosis_record(bill: Superbill, message: str) -> BillProblem:
    """A diagnosis problem (kettrack's ICD-10-CM check words it) tied to the first session that
    points to the diagnosis it names; the fix replaces the code in every session pointing to it (the
    others keep their diagnoses and their order)."""
    # The check's words start with the code they are about (others may follow: "choose F41.0, F41.1").
    first_word = message.split(maxsplit=1)[0].strip("'\"") if message.strip() else ""
    codes = [d.code for d in bill.diagnoses[: len(POINTER_LETTERS)]]
    named = first_word if first_word in codes else next((c for c in codes if c in message), "")
    holders = _sessions_of(bill, POINTER_LETTERS[codes.index(named)]) if named else []
    if holders:
        fix = chained(*(edit_fix(RecordKind.SESSION, s, "--replace-dx", named, "ICD10") for s in holders))
        return BillProblem(message, RecordKind.SESSION, holders[0], "diagnoses", fix)
    # No line points to it: which session holds it is not on the superbill, only the window can say.
    first = next(iter(_sessions_of(bill)), None)
    return BillProblem(message, RecordKind.SESSION, first, "diagnoses")


def _fee_owner(bill: Superbill) -> int | None:
    return bill.clinic.id if bill.clinic is not None else bill.provider.id


def _line_problems(bill: Superbill, catalog: CodeCatalog) -> list[BillProblem]:
    problems: list[BillProblem] = []
    context = context_for(catalog, bill.billing)
    pointer_letters = POINTER_LETTERS[: len(bill.diagnoses)]

    def where(line: ServiceLine, number: int) -> str:
        return f"Line {number} ({line.code}, {line.service_date.isoformat()})"

    def lines_cmd(line: ServiceLine, *words: str) -> str:
        if line.infusion_id is None:
            return ""
        return line_fix_words(line.infusion_id, line.code, *words)

    for number, line in enumerate(bill.lines, start=1):
        here, session = where(line, number), line.infusion_id

        def add(message: str, field_name: str, fix: str = "") -> None:
            problems.append(BillProblem(f"{here}: {message}", RecordKind.LINE, session, field_name, fix))  # noqa: B023

        # A payer whose systems still take the retired code (its documented override) is not refused it.
        if (problem := catalog.date_problem(line.code, line.service_date)) and not context.overridden(
            line.code
        ):
            entry = catalog.get(line.code)
            instead = entry.replaced_by if entry is not None else ""
            fix = (
                lines_cmd(line, "remove") + " && " + line_fix_words(session, instead, "set")
                if instead and session is not None
                else ""
            )
            add(problem, "code", fix)
        if not line.pointers:
            add("no diagnosis is linked to it", "pointers", lines_cmd(line, "set", "--pointers", "A"))
        elif any(letter not in pointer_letters for letter in line.pointers):
            add(
                "points to a diagnosis letter that is not on the superbill",
                "pointers",
                lines_cmd(line, "set", "--pointers", "A"),
            )
        if line.charge <= 0:
            add("the charge is missing", "charge", lines_cmd(line, "set", "--charge", "AMOUNT"))
        if line.units < 1:
            add("units must be at least 1", "units", lines_cmd(line, "set", "--units", "1"))
        if len(line.modifiers) > 4:
            kept = [word for modifier in line.modifiers[:4] for word in ("--modifier", modifier)]
            add("at most 4 modifiers fit on a line", "modifiers", lines_cmd(line, "set", *kept))
        entry = catalog.get(line.code)
        if entry is not None and entry.kind is CodeKind.DRUG and not line.ndc:
            add("a drug line needs the drug's NDC", "ndc", lines_cmd(line, "set", "--ndc", "NDC"))
    for found in check_lines(bill.lines, bill.sessions, context):
        line = bill.lines[found.index]
        owner = context.ndc_owners.get(line.ndc, _fee_owner(bill))
        fix = line_fix(found, line.infusion_id, line.code, owner, line.ndc)
        if found.action == "container":
            record, record_id = RecordKind.FEE, owner
        else:
            record, record_id = RecordKind.LINE, line.infusion_id
        message = f"{where(line, found.index + 1)}: {found.message}"
        problems.append(BillProblem(message, record, record_id, found.field, fix))
    return problems


def line_fix_words(session_id: int | None, code: str, action: str, *words: str) -> str:
    """``kettrack lines ACTION --session ID --code CODE WORDS...`` ("" without a session)."""
    if session_id is None or not code:
        return ""
    return " ".join(["kettrack", "lines", action, "--session", str(session_id), "--code", code, *words])


def preflight(bill: Superbill, icd: Icd10Releases | None, catalog: CodeCatalog) -> list[BillProblem]:
    """Every missing or invalid field, in plain words, with the record that holds it and how to fix
    it; an empty list means the superbill is complete (``str(problem)`` is the message)."""
    problems: list[BillProblem] = []
    provider, clinic = bill.provider, bill.clinic
    problems += _provider_problems(provider, "Provider")
    tin_holder = clinic if clinic and clinic.tin else provider
    billing_tin = tin_holder.tin
    if not billing_tin:
        holder_id = (clinic or provider).id
        fix = edit_fix(RecordKind.PROVIDER, holder_id, "--tin", "TIN")
        problems.append(
            BillProblem("Provider TIN/EIN (tax ID) is missing", RecordKind.PROVIDER, holder_id, "tin", fix)
        )
    elif reason := ein_problem(billing_tin):
        fix = edit_fix(RecordKind.PROVIDER, tin_holder.id, "--tin", "TIN")
        problems.append(
            BillProblem(f"Provider TIN/EIN {reason}", RecordKind.PROVIDER, tin_holder.id, "tin", fix)
        )
    if not provider.credentials:
        problems.append(
            BillProblem(
                "Provider credentials (MD, DO, NP...) are missing",
                RecordKind.PROVIDER,
                provider.id,
                "credentials",
                edit_fix(RecordKind.PROVIDER, provider.id, "--credentials", "CREDENTIALS"),
            )
        )
    if clinic is not None:
        problems += _provider_problems(clinic, "Clinic")
    patient = bill.patient

    def on_patient(message: str, field_name: str, *options: str) -> BillProblem:
        fix = edit_fix(RecordKind.PATIENT, patient.id, *options)
        return BillProblem(message, RecordKind.PATIENT, patient.id, field_name, fix)

    if patient.date_of_birth is None:
        missing = on_patient("Patient date of birth is missing", "date_of_birth", "--dob", "YYYY-MM-DD")
        problems.append(missing)
    if not patient.address.line1 or not patient.address.city:
        problems.append(
            on_patient("Patient address is incomplete", "address", *_address_options(patient.address))
        )
    if bill.coverage is None or bill.payer is None:
        problems.append(
            BillProblem(
                "Insurance is missing: add the patient's plan and member ID",
                RecordKind.PATIENT,
                patient.id,
                "coverage",
                f"kettrack coverages add --patient {patient.id} --payer PAYER_ID --member-id MEMBER_ID",
            )
        )
    elif not bill.coverage.member_id:
        coverage_id = bill.coverage.id
        fix = edit_fix(RecordKind.COVERAGE, coverage_id, "--member-id", "MEMBER_ID")
        problems.append(
            BillProblem("Insurance member ID is missing", RecordKind.COVERAGE, coverage_id, "member_id", fix)
        )
    sessions = _sessions_of(bill)
    if not bill.diagnoses:
        # None of the sessions has one: each needs its own.
        fix = chained(*(edit_fix(RecordKind.SESSION, held, "--dx", "ICD10") for held in sessions))
        problems.append(
            BillProblem(
                "No diagnosis: add the ICD-10-CM code the treatment was for",
                RecordKind.SESSION,
                next(iter(sessions), None),
                "diagnoses",
                fix,
            )
        )
    if len(bill.diagnoses) > MAX_DIAGNOSES:
        problems.append(
            BillProblem(
                f"A superbill holds at most {MAX_DIAGNOSES} diagnoses (A to L)",
                RecordKind.SUPERBILL,
                None,
                "sessions",
            )
        )
    problems += [_diagnosis_record(bill, message) for message in diagnosis_problems(bill, icd)]
    if not bill.lines:
        problems.append(BillProblem("There are no services to bill", RecordKind.SUPERBILL, None, "sessions"))
    problems += _line_problems(bill, catalog)
    if is_part_b(bill.billing.payer_kind) and any(ln.code in ESKETAMINE_SESSION_CODES for ln in bill.lines):
        site = clinic or provider
        if not site.address.postal_code:
            problems.append(
                BillProblem(
                    f"{'Clinic' if clinic else 'Provider'} ZIP code is missing: Medicare wants the "
                    "REMS-certified site and its ZIP with G2082/G2083",
                    RecordKind.PROVIDER,
                    site.id,
                    "address.postal_code",
                    edit_fix(RecordKind.PROVIDER, site.id, "--postal-code", "ZIP"),
                )
            )
    return problems


__all__ = [
    "MAX_DIAGNOSES",
    "BillProblem",
    "Diagnosis",
    "RecordKind",
    "Superbill",
    "coverage_warnings",
    "diagnosis_problems",
    "preflight",
    "rems_site_note",
]
