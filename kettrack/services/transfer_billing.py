"""The billing part of the JSON export (format version 2 onward): the user's own procedure codes, fee
schedules, each session's service lines and every issued superbill, checked as strictly as the rest
before anything is written; and the ``documents`` section (format 4) that carries the bytes of every
issued document (superbills, appeal letters, claim attachments) once, keyed by SHA-256.

The rows that issue a document name it only by ``sha256``; their ``file_name`` is the suggested name
of a saved copy, never a path. Formats 1-3 carried the bytes beside the rows (a superbill's
``pdf_base64``, the claims' file sections keyed by file name); an import maps each such content to its
SHA-256 and treats it exactly like a format-4 document.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core import validation
from kettrack.core.attachments import MAX_ATTACHMENT_BYTES, sniff
from kettrack.core.billing_checks import check_procedure_code, check_service_line
from kettrack.core.codes import ProcedureCode, code_system
from kettrack.core.money import parse_amount
from kettrack.core.ndc import NdcError, normalize_ndc
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.service_lines import ServiceLine
from kettrack.store import documents
from kettrack.store.billing import code_of, line_row
from kettrack.store.models import (
    Document,
    FeeScheduleEntry,
    IssuedSuperbill,
    ProcedureCodeEntry,
    SuperbillLine,
)
from kettrack.store.models import ServiceLine as LineRow

BILLING_SECTIONS: tuple[str, ...] = ("procedure_codes", "fee_schedule", "service_lines", "superbills")
DOCUMENTS_SECTION = "documents"
PDF = documents.PDF
# A superbill covers many sessions, a claim many lines: their totals may exceed one amount's limit,
# never this (and it fits the integer cents the Money type stores many times over).
MAX_TOTAL = Decimal("99999999.99")
# Dates a person types for a code's validity (an end date "2099-12-31" means "never"): only the
# absurd is refused here, as the code form itself sets no upper bound.
_CODE_YEARS_AHEAD = 100
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SUPERBILL_NUMBER_MAX = 20


@dataclass(frozen=True)
class FeeEntry:
    provider_id: int
    code: str
    amount: Decimal
    ndc: str = ""


@dataclass(frozen=True)
class LineEntry:
    id: int
    infusion_id: int
    position: int
    service_date: date
    place_of_service: str
    code: str
    units: int
    charge: Decimal
    description: str = ""
    modifiers: tuple[str, ...] = ()
    pointers: str = ""
    ndc: str = ""
    ndc_unit: str = ""
    ndc_quantity: Decimal | None = None


@dataclass(frozen=True)
class SuperbillEntry:
    """An issued superbill as format 4 writes it: its PDF is in ``documents`` under ``sha256``."""

    id: int
    number: str
    version: int
    patient_id: int
    provider_id: int
    date_from: date
    date_to: date
    issued_at: str
    draft: bool
    file_name: str
    sha256: str
    total_charges: Decimal
    total_paid: Decimal
    clinic_id: int | None = None
    coverage_id: int | None = None
    superseded_by_id: int | None = None
    line_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LegacySuperbillEntry(SuperbillEntry):
    """A superbill of a format 2 or 3 file, which carried its PDF in the row."""

    pdf_base64: str | None = None


RECORD_TYPES: dict[str, type[Any]] = {
    "procedure_codes": ProcedureCode,
    "fee_schedule": FeeEntry,
    "service_lines": LineEntry,
    "superbills": SuperbillEntry,
}


def record_types(version: int) -> dict[str, type[Any]]:
    """The record type of each billing section in a file of format ``version``."""
    if version >= 4:
        return RECORD_TYPES
    return {**RECORD_TYPES, "superbills": LegacySuperbillEntry}


@dataclass(frozen=True)
class DocumentRef:
    """A record of the file that names a document: what the document must be for the record to hold."""

    label: str  # the record, as problems name it: "superbills[2] (id 2)"
    sha256: str
    media_type: str
    size: int | None = None  # an attachment records its size; superbills and letters do not
    # Formats 1-3 only: the base64 content the record carried (None: the file said it was missing)
    # and where in the file it was.
    legacy_content: str | None = None
    legacy_where: str = ""


@dataclass(frozen=True)
class CheckedDocument:
    media_type: str
    content: bytes


@dataclass
class CheckedBilling:
    """Cleaned billing records ready to insert, and the documents their superbills name."""

    records: dict[str, list[Any]] = field(default_factory=lambda: {s: [] for s in BILLING_SECTIONS})
    refs: list[DocumentRef] = field(default_factory=list)


def sha256_problem(value: str) -> str | None:
    return None if _SHA256.fullmatch(value) else "is not a SHA-256 (64 lowercase hexadecimal digits)"


# --- export ---------------------------------------------------------------------------------------


def export_billing(session: Session, encode: Any) -> dict[str, list[Any]]:
    """The billing sections, in a stable order; ``encode`` turns a record into JSON values."""
    codes = session.scalars(select(ProcedureCodeEntry).order_by(ProcedureCodeEntry.code))
    fees = session.scalars(
        select(FeeScheduleEntry).order_by(FeeScheduleEntry.provider_id, FeeScheduleEntry.code)
    )
    lines = session.scalars(select(LineRow).order_by(LineRow.id))
    superbills = list(session.scalars(select(IssuedSuperbill).order_by(IssuedSuperbill.id)))
    links: dict[int, list[int]] = {}
    for superbill_id, line_id in session.execute(
        select(SuperbillLine.superbill_id, SuperbillLine.service_line_id).order_by(
            SuperbillLine.service_line_id
        )
    ):
        links.setdefault(superbill_id, []).append(line_id)
    return {
        "procedure_codes": [encode(code_of(r)) for r in codes],
        "fee_schedule": [encode(FeeEntry(r.provider_id, r.code, r.amount, r.ndc)) for r in fees],
        "service_lines": [
            encode(
                LineEntry(
                    r.id,
                    r.infusion_id,
                    r.position,
                    r.service_date,
                    r.place_of_service,
                    r.code,
                    r.units,
                    r.charge,
                    r.description,
                    tuple(r.modifiers.split()),
                    r.pointers,
                    r.ndc,
                    r.ndc_unit,
                    r.ndc_quantity,
                )
            )
            for r in lines
        ],
        "superbills": [
            encode(
                SuperbillEntry(
                    r.id,
                    r.number,
                    r.version,
                    r.patient_id,
                    r.provider_id,
                    r.date_from,
                    r.date_to,
                    r.issued_at.astimezone(UTC).isoformat(),
                    r.draft,
                    r.file_name,
                    r.sha256,
                    r.total_charges,
                    r.total_paid,
                    r.clinic_id,
                    r.coverage_id,
                    r.superseded_by_id,
                    tuple(links.get(r.id, ())),
                )
            )
            for r in superbills
        ],
    }


def export_documents(session: Session, named: Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """The ``documents`` section: every document a record names, ``(what, sha256)``, read from the
    database and checked against its hash. Refuses (InvalidInput, listing each) when any is missing or
    altered: the file would name documents it does not hold, and no import would take it."""
    wanted: dict[str, str] = {}
    for what, sha in named:
        wanted.setdefault(sha, what)
    media_types: dict[str, str] = {
        sha: media_type for sha, media_type in session.execute(select(Document.sha256, Document.media_type))
    }
    section: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for sha in sorted(wanted):
        try:
            content = documents.content(session, sha, wanted[sha])
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        section[sha] = {
            "media_type": media_types[sha],
            "base64": base64.b64encode(content).decode("ascii"),
        }
    if problems:
        problems.append(
            Problem("export", "nothing was exported: run 'kettrack check' to see every damaged record")
        )
        raise InvalidInput(problems)
    return section


# --- import ---------------------------------------------------------------------------------------


def _as_line(entry: LineEntry) -> ServiceLine:
    return ServiceLine(
        entry.service_date,
        entry.place_of_service,
        entry.code,
        entry.description,
        entry.units,
        entry.charge,
        entry.modifiers,
        entry.pointers,
        entry.ndc,
        entry.ndc_unit,
        entry.ndc_quantity,
        entry.infusion_id,
    )


def clock_day(today: date) -> date:
    """The day recorded times (issued, recorded, audited at) are checked against: they come from the
    computer's clock, while business dates follow the workspace's "today", which may be set."""
    return max(today, datetime.now(UTC).date())


def _issued_at(raw: str, today: date) -> str | None:
    """What is wrong with a superbill's issue time, or None."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return "is not a date and time"
    if value.utcoffset() is None or value.utcoffset():
        return "must be a time in UTC (ending +00:00), as kettrack writes it"
    return validation.plausible_date_problem(value.date(), clock_day(today))


def check_billing(
    decoded: dict[str, list[tuple[str, Any]]],
    ids: dict[str, set[int]],
    diagnosis_counts: dict[int, int],
    today: date,
) -> tuple[CheckedBilling, list[Problem]]:
    """Check decoded billing records (label, record) against the ids the file holds elsewhere."""
    checked = CheckedBilling()
    problems: list[Problem] = []

    def fail(label: str, field_name: str, message: str) -> None:
        problems.append(Problem(f"{label}: {field_name}", message))

    seen_codes: set[str] = set()
    for label, code in decoded.get("procedure_codes", []):
        try:
            cleaned = check_procedure_code(code)
        except InvalidInput as exc:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
            continue
        bad_date = False
        for name in ("effective_from", "effective_to"):
            value = getattr(cleaned, name)
            if value and (
                problem := validation.plausible_date_problem(value, today, years_ahead=_CODE_YEARS_AHEAD)
            ):
                fail(label, name, problem)
                bad_date = True
        if cleaned.code in seen_codes:
            fail(label, "code", f"{cleaned.code} is in the file twice")
        elif not bad_date:
            seen_codes.add(cleaned.code)
            checked.records["procedure_codes"].append(cleaned)
    seen_fees: set[tuple[int, str]] = set()
    for label, fee in decoded.get("fee_schedule", []):
        code = fee.code.strip().upper()
        if fee.provider_id not in ids["providers"]:
            fail(label, "provider_id", f"there is no provider with id {fee.provider_id} in the file")
        if code_system(code) is None:
            fail(label, "code", f"{fee.code!r} is not a CPT or HCPCS code")
            continue
        if (fee.provider_id, code) in seen_fees:
            fail(label, "code", f"a second fee for {code}")
        seen_fees.add((fee.provider_id, code))
        try:
            amount = parse_amount(fee.amount, "amount")
            ndc = normalize_ndc(fee.ndc) if fee.ndc else ""
            checked.records["fee_schedule"].append(FeeEntry(fee.provider_id, code, amount, ndc))
        except InvalidInput as exc:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
        except NdcError as exc:
            fail(label, "ndc", str(exc))
    line_ids: set[int] = set()
    for label, entry in decoded.get("service_lines", []):
        if entry.infusion_id not in ids["infusions"]:
            fail(
                label, "infusion_id", f"there is no infusion session with id {entry.infusion_id} in the file"
            )
            continue
        if entry.id < 1:
            fail(label, "id", "must be 1 or more")
            continue
        if entry.id in line_ids:
            fail(label, "id", f"another service line has id {entry.id}")
            continue
        found: list[Problem] = []
        if entry.position < 0:
            found.append(Problem("position", "cannot be negative"))
        if problem := validation.plausible_date_problem(entry.service_date, today):
            found.append(Problem("service_date", problem))
        quantity = entry.ndc_quantity
        if quantity is not None and (
            not quantity.is_finite() or quantity != quantity.quantize(Decimal("0.001"))
        ):
            found.append(Problem("ndc_quantity", "has more than 3 decimal places"))
        else:
            try:
                line = check_service_line(_as_line(entry), diagnosis_counts.get(entry.infusion_id, 0))
            except InvalidInput as exc:
                found.extend(exc.problems)
        if found:
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in found)
            continue
        line_ids.add(entry.id)
        # The cleaned line, so what is stored is what the line form would have stored.
        checked.records["service_lines"].append((entry, line))
    superbill_ids = {entry.id for _, entry in decoded.get("superbills", [])}
    seen_superbills: set[int] = set()
    seen_numbers: set[tuple[str, int]] = set()
    for label, entry in decoded.get("superbills", []):
        before = len(problems)
        if entry.id < 1 or entry.id in seen_superbills:
            fail(label, "id", "must be 1 or more" if entry.id < 1 else f"another superbill has id {entry.id}")
        seen_superbills.add(entry.id)
        for name, value, pool, kind in (
            ("patient_id", entry.patient_id, ids["patients"], "patient"),
            ("provider_id", entry.provider_id, ids["providers"], "provider"),
            ("clinic_id", entry.clinic_id, ids["providers"], "clinic"),
            ("coverage_id", entry.coverage_id, ids["coverages"], "coverage"),
            ("superseded_by_id", entry.superseded_by_id, superbill_ids - {entry.id}, "other superbill"),
        ):
            if value is not None and value not in pool:
                fail(label, name, f"there is no {kind} with id {value} in the file")
        if not entry.number.strip():
            fail(label, "number", "is empty")
        elif problem := validation.text_problem(entry.number, max_len=_SUPERBILL_NUMBER_MAX):
            fail(label, "number", problem)
        if entry.version < 1:
            fail(label, "version", "must be 1 or more")
        elif (entry.number, entry.version) in seen_numbers:
            fail(label, "version", f"another superbill is {entry.number!r} version {entry.version}")
        seen_numbers.add((entry.number, entry.version))
        missing = [i for i in entry.line_ids if i not in line_ids]
        if missing:
            fail(label, "line_ids", f"service lines {missing[:5]} are not in the file")
        if len(set(entry.line_ids)) != len(entry.line_ids):
            fail(label, "line_ids", "names a service line twice")
        if problem := validation.file_name_problem(entry.file_name):
            fail(label, "file_name", problem)
        elif not entry.file_name.lower().endswith(".pdf"):
            fail(label, "file_name", "must end in .pdf")
        if problem := sha256_problem(entry.sha256):
            fail(label, "sha256", problem)
        if problem := _issued_at(entry.issued_at, today):
            fail(label, "issued_at", problem)
        for name in ("date_from", "date_to"):
            if problem := validation.plausible_date_problem(getattr(entry, name), today):
                fail(label, name, problem)
        if entry.date_to < entry.date_from:
            fail(label, "date_to", "is before date_from")
        for name in ("total_charges", "total_paid"):
            try:
                parse_amount(getattr(entry, name), name, maximum=MAX_TOTAL)
            except InvalidInput as exc:
                problems.extend(Problem(f"{label}: {p.field}", p.message) for p in exc.problems)
        if sha256_problem(entry.sha256) is None:
            # Named even when the row has other problems, so its document is not reported as stray.
            legacy = isinstance(entry, LegacySuperbillEntry)
            checked.refs.append(
                DocumentRef(
                    label,
                    entry.sha256,
                    PDF,
                    legacy_content=entry.pdf_base64 if legacy else None,
                    legacy_where="pdf_base64" if legacy else "",
                )
            )
        if len(problems) > before:
            continue
        checked.records["superbills"].append(entry)
    return checked, problems


def _decode_content(raw: Any) -> tuple[bytes | None, str | None]:
    """The bytes of base64 ``raw`` and what is wrong with them as a document (None: nothing)."""
    if not isinstance(raw, str):
        return None, "must be the document's content in base64 text"
    if len(raw) > (MAX_ATTACHMENT_BYTES * 4) // 3 + 4:
        return None, f"is larger than a document may be ({MAX_ATTACHMENT_BYTES // 1048576} MB)"
    try:
        content = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None, "is not base64"
    if not content:
        return None, "is empty"
    return content, None


def check_documents(
    raw: Any, refs: list[DocumentRef], *, legacy: bool
) -> tuple[dict[str, CheckedDocument], list[Problem]]:
    """The documents to store, each checked against its SHA-256, its leading bytes and every record
    that names it. ``raw`` is the format-4 ``documents`` section; ``legacy`` files carry the content in
    the records instead (``DocumentRef.legacy_content``)."""
    problems: list[Problem] = []
    found: dict[str, CheckedDocument] = {}
    offered: dict[str, tuple[Any, bytes]] = {}  # sha256 -> (media type, content) as the file gives them
    broken: set[str] = set()  # offered, but not usable: the problem is reported once, where it is

    if legacy:
        for ref in refs:
            if ref.legacy_content is None:
                continue
            content, problem = _decode_content(ref.legacy_content)
            if problem is None and content is not None and documents.digest(content) != ref.sha256:
                problem = "does not match the recorded SHA-256: the document was altered"
            if problem is not None or content is None:
                problems.append(Problem(f"{ref.label}: {ref.legacy_where}", problem or "is empty"))
                broken.add(ref.sha256)
                continue
            offered.setdefault(ref.sha256, (ref.media_type, content))
    elif not isinstance(raw, dict):
        problems.append(Problem(DOCUMENTS_SECTION, "must be an object of SHA-256 to document"))
    else:
        for number, (sha, item) in enumerate(raw.items(), start=1):
            if problem := sha256_problem(sha):
                problems.append(Problem(f"{DOCUMENTS_SECTION}[{number}]", f"{sha[:80]!r} {problem}"))
                continue
            where = f"{DOCUMENTS_SECTION}.{sha}"
            if not isinstance(item, dict) or set(item) != {"media_type", "base64"}:
                problems.append(Problem(where, 'must be an object with "media_type" and "base64" (only)'))
                broken.add(sha)
                continue
            content, problem = _decode_content(item["base64"])
            if problem is None and content is not None and documents.digest(content) != sha:
                problem = "does not match its SHA-256: the document was altered"
            if problem is not None or content is None:
                problems.append(Problem(f"{where}.base64", problem or "is empty"))
                broken.add(sha)
                continue
            offered[sha] = (item["media_type"], content)
    for sha, (media_type, content) in offered.items():
        where = f"{DOCUMENTS_SECTION}.{sha}"
        kind = sniff(content[:16])
        if kind is None:
            problems.append(Problem(where, "is not a PDF, PNG, JPEG or TIFF file"))
        elif media_type != kind[0]:
            shown = str(media_type)[:60]
            problems.append(Problem(f"{where}.media_type", f"{shown!r}, but the content is {kind[0]}"))
        else:
            found[sha] = CheckedDocument(kind[0], content)
    named: set[str] = set()
    for ref in refs:
        named.add(ref.sha256)
        document = found.get(ref.sha256)
        if document is None:
            if ref.sha256 not in offered and ref.sha256 not in broken:
                problems.append(Problem(f"{ref.label}: sha256", "its document is not in the file"))
            continue
        if document.media_type != ref.media_type:
            problems.append(
                Problem(f"{ref.label}: media_type", f"the document it names is {document.media_type}")
            )
        if ref.size is not None and ref.size != len(document.content):
            problems.append(
                Problem(f"{ref.label}: size", f"the document it names has {len(document.content):,} bytes")
            )
    for sha in sorted((set(offered) | broken) - named):
        problems.append(
            Problem(
                f"{DOCUMENTS_SECTION}.{sha}", "no record in the file names it (refused rather than dropped)"
            )
        )
    return found, problems


def import_documents(session: Session, checked: dict[str, CheckedDocument]) -> None:
    """Store the file's documents in the import's transaction (each once, by its SHA-256)."""
    for sha, document in sorted(checked.items()):
        stored = documents.put(session, document.content, document.media_type)
        assert stored == sha  # checked against the hash before; a difference would be a bug here


def import_billing(session: Session, checked: CheckedBilling) -> None:
    """Insert the billing records inside the import's transaction; their documents are stored by
    ``import_documents``, nothing is written outside the database."""
    for code in checked.records["procedure_codes"]:
        session.add(
            ProcedureCodeEntry(
                code=code.code,
                kind=code.kind,
                description=code.description,
                default_units=code.default_units,
                effective_from=code.effective_from,
                effective_to=code.effective_to,
                replaced_by=code.replaced_by,
                add_on=code.add_on,
            )
        )
    for fee in checked.records["fee_schedule"]:
        session.add(
            FeeScheduleEntry(provider_id=fee.provider_id, code=fee.code, amount=fee.amount, ndc=fee.ndc)
        )
    for entry, line in checked.records["service_lines"]:
        session.add(line_row(line, entry.infusion_id, entry.position, entry.id))
    session.flush()
    entries = checked.records["superbills"]
    for entry in entries:  # superseded_by refers to another superbill: rows first, links after
        session.add(
            IssuedSuperbill(
                id=entry.id,
                number=entry.number,
                version=entry.version,
                patient_id=entry.patient_id,
                provider_id=entry.provider_id,
                clinic_id=entry.clinic_id,
                coverage_id=entry.coverage_id,
                date_from=entry.date_from,
                date_to=entry.date_to,
                issued_at=datetime.fromisoformat(entry.issued_at).astimezone(UTC),
                draft=entry.draft,
                file_name=entry.file_name,
                sha256=entry.sha256,
                total_charges=entry.total_charges,
                total_paid=entry.total_paid,
            )
        )
    session.flush()
    for entry in entries:
        if entry.superseded_by_id is not None:
            row = session.get(IssuedSuperbill, entry.id)
            assert row is not None
            row.superseded_by_id = entry.superseded_by_id
        session.add_all(SuperbillLine(superbill_id=entry.id, service_line_id=i) for i in entry.line_ids)
