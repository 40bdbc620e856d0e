"""Checking a whole export file before anything is written: its header and sections, its settings,
its own audit head, every record of every section decoded and put through the same
``kettrack.core.validation`` checks the window and the command line use, every reference, and then
the billing, claims and documents sections through their own checks. Every problem is listed with its
record, like ``infusions[12] (id 57): diagnoses: F43.1 is not a billable code ...`` (records counted
from 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kettrack.core import rems, validation
from kettrack.core.audit import AuditHead
from kettrack.core.enums import ProviderKind
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.problems import InvalidInput, Problem
from kettrack.core.records import (
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    ProviderRecord,
    TreatmentRecord,
)
from kettrack.services import transfer_claims
from kettrack.services.transfer_billing import (
    BILLING_SECTIONS,
    DOCUMENTS_SECTION,
    CheckedBilling,
    CheckedDocument,
    check_billing,
    check_documents,
    record_types,
)
from kettrack.services.transfer_claims import LEGACY_FILE_SECTIONS, CheckedClaims
from kettrack.services.transfer_code_sets import RELEASES_SECTION, CheckedRelease, check_releases
from kettrack.services.transfer_format import (
    AUDIT_HEAD,
    HEADER_KEYS,
    INSTALLATION_SETTINGS,
    MAX_ID,
    PORTABLE_SETTINGS,
    SECTIONS,
    ImportRefused,
    check_header,
    setting_problem,
    shown_name,
)
from kettrack.services.transfer_values import RecordDecoder
from kettrack.services.workspace import Workspace
from kettrack.store.rems import TRACKED_FROM

__all__ = ["CheckedFile", "validate"]

_RECORD_TYPES: dict[str, type[Any]] = {
    "patients": PatientRecord,
    "providers": ProviderRecord,
    "payers": PayerRecord,
    "coverages": CoverageRecord,
    "treatments": TreatmentRecord,
    "infusions": InfusionRecord,
}


@dataclass
class CheckedFile:
    """The checked, cleaned records of a file, ready to insert."""

    settings: dict[str, str]
    records: dict[str, list[Any]]
    billing: CheckedBilling
    claims: CheckedClaims
    documents: dict[str, CheckedDocument]
    releases: list[CheckedRelease]


def _label(section: str, number: int, raw: Any) -> str:
    record_id = raw.get("id") if isinstance(raw, dict) else None
    shown = f" (id {record_id})" if isinstance(record_id, int) and not isinstance(record_id, bool) else ""
    return f"{section}[{number}]{shown}"


def _sections(version: int) -> set[str]:
    """The top-level keys a file of format ``version`` may have."""
    known = {*HEADER_KEYS, "settings", *SECTIONS}
    if version >= 2:
        known |= set(BILLING_SECTIONS)
    if version >= 3:
        known |= {t for t in transfer_claims.TABLES if version >= transfer_claims.SINCE.get(t, 3)}
    if version == 3:
        known |= set(LEGACY_FILE_SECTIONS)
    if version >= 4:
        known |= {DOCUMENTS_SECTION, AUDIT_HEAD}
    if version >= 5:
        known.add(RELEASES_SECTION)
    return known


def _check_head(data: dict[str, Any]) -> list[Problem]:
    """The file's own anchor: its audit log must end at the head recorded when it was exported (a log
    cut short in the file, its hashes recomputed, still ends elsewhere)."""
    raw = data.get(AUDIT_HEAD)
    if raw is None:
        return []
    try:
        head = AuditHead.from_dict(raw)
    except ValueError as exc:
        return [Problem(AUDIT_HEAD, f"is not a readable audit head ({exc})")]
    rows = data.get("audit_log")
    last = max(
        (r for r in rows if isinstance(r, dict) and isinstance(r.get("sequence"), int))
        if isinstance(rows, list)
        else (),
        key=lambda r: r["sequence"],
        default=None,
    )
    if last is None or (last["sequence"], last.get("hash")) != (head.sequence, head.hash):
        return [
            Problem(
                "audit_log",
                f"does not end at the entry the file records as its last ({head.sequence}): "
                "entries were removed or rewritten after the export",
            )
        ]
    return []


def _check_settings(raw_settings: Any, version: int, today: date, problems: list[Problem]) -> dict[str, str]:
    settings: dict[str, str] = {}
    if not isinstance(raw_settings, dict):
        problems.append(Problem("settings", "must be an object of names and values"))
        return settings
    for key, value in raw_settings.items():
        field = f"settings.{shown_name(key)}"
        if key not in PORTABLE_SETTINGS:
            if version < 4 and key in INSTALLATION_SETTINGS:
                continue  # exported by kettrack before format 4; set again on this installation
            why = (
                "belongs to the installation that wrote the file (the lock PIN, the idle time, the "
                "backup retention, the audit seals' id): it is not imported"
                if key in INSTALLATION_SETTINGS
                else "is not a setting an export carries (refused rather than dropped)"
            )
            problems.append(Problem(field, why))
        elif problem := setting_problem(key, value, today):
            problems.append(Problem(field, problem))
        else:
            settings[key] = value
    return settings


def _releases_in_force(
    ws: Workspace, releases: list[CheckedRelease], problems: list[Problem]
) -> Icd10Releases:
    """The releases the file's sessions are checked against: this database's and the file's."""
    held = ws.icd10()
    if not releases:
        return held
    try:
        return Icd10Releases([*held.releases, *(r.index() for r in releases)])
    except ValueError:
        problems.append(
            Problem(
                RELEASES_SECTION, "a release of the file takes effect on the day one of the database does"
            )
        )
        return held


def validate(ws: Workspace, data: Any) -> CheckedFile:
    """Check a parsed file completely; raise ``ImportRefused`` listing every problem found."""
    version = check_header(data)
    problems: list[Problem] = []
    for key in sorted(set(data) - _sections(version), key=str):
        problems.append(
            Problem(shown_name(key), "is not a section kettrack knows (refused rather than dropped)")
        )
    for key in ("exported_at", "kettrack_version"):
        if key in data and (
            not isinstance(data[key], str) or validation.text_problem(data[key], max_len=100)
        ):
            problems.append(Problem(key, "must be a short line of text"))
    today = ws.today()
    settings = _check_settings(data.get("settings", {}), version, today, problems)
    problems += _check_head(data)

    decoded: dict[str, list[tuple[str, Any, Any]]] = {}
    for section in SECTIONS:
        items = data.get(section, [])
        decoded[section] = []
        if not isinstance(items, list):
            problems.append(Problem(section, "must be a list of records"))
            continue
        seen: set[int] = set()
        for number, raw in enumerate(items, start=1):
            label = _label(section, number, raw)
            decoder = RecordDecoder()
            record = decoder.record(_RECORD_TYPES[section], raw, "")
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in decoder.problems)
            if record is None:
                continue
            if record.id is None or not 1 <= record.id <= MAX_ID:
                problems.append(Problem(f"{label}: id", f"must be between 1 and {MAX_ID}"))
                continue
            if record.id in seen:
                kind = section.removesuffix("s")
                problems.append(Problem(f"{label}: id", f"another {kind} has id {record.id}"))
                continue
            seen.add(record.id)
            decoded[section].append((label, raw, record))

    # The file's own ICD-10-CM releases first: its sessions are checked against them.
    releases, release_problems = check_releases(data.get(RELEASES_SECTION, []) if version >= 5 else [], today)
    problems += release_problems
    # Every decoded record through the same checks the repositories apply on each write.
    icd = _releases_in_force(ws, releases, problems) if decoded["infusions"] else None
    checks: dict[str, Callable[[Any], Any]] = {
        "patients": lambda r: rems.check_patient(r, today),  # core.validation's and the REMS enrolment
        "providers": validation.check_provider,
        "payers": validation.check_payer,
        "coverages": lambda r: validation.check_coverage(r, today),
        "treatments": lambda r: validation.check_treatment(r, today),
    }
    cleaned: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    ids = {section: {rec.id for _, _, rec in decoded[section]} for section in SECTIONS}
    births = {rec.id: rec.date_of_birth for _, _, rec in decoded["patients"]}
    clinics = {rec.id for _, _, rec in decoded["providers"] if rec.kind is ProviderKind.ORGANIZATION}

    def refer(found: list[Problem], field: str, value: int | None, pool: set[int], kind: str) -> None:
        if value is not None and value not in pool:
            found.append(Problem(field, f"there is no {kind} with id {value} in the file"))

    for section in SECTIONS:
        for label, _raw, record in decoded[section]:
            found: list[Problem] = []
            if section == "providers":
                if record.kind is ProviderKind.INDIVIDUAL:
                    refer(found, "clinic_id", record.clinic_id, clinics, "clinic")
            elif section in ("coverages", "treatments", "infusions"):
                refer(found, "patient_id", record.patient_id, ids["patients"], "patient")
            if section == "coverages":
                refer(found, "payer_id", record.payer_id, ids["payers"], "payer")
            if section == "infusions":
                refer(found, "provider_id", record.provider_id, ids["providers"], "provider")
                refer(found, "clinic_id", record.clinic_id, clinics, "clinic")
            if section == "infusions" and record.rems_form_sent_on is not None:
                try:
                    rems.check_form_sent(record.rems_form_sent_on, record.service_date, today)
                except InvalidInput as exc:
                    found.extend(exc.problems)
            try:
                if section == "infusions":
                    checked = validation.check_infusion(
                        record, today=today, icd=icd, date_of_birth=births.get(record.patient_id)
                    )
                else:
                    checked = checks[section](record)
            except InvalidInput as exc:
                found.extend(exc.problems)
            else:
                cleaned[section].append(checked)
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in found)

    billing_types = record_types(version)
    billing_decoded: dict[str, list[tuple[str, Any]]] = {}
    for section in BILLING_SECTIONS:
        items = data.get(section, [])
        billing_decoded[section] = []
        if not isinstance(items, list):
            problems.append(Problem(section, "must be a list of records"))
            continue
        for number, raw in enumerate(items, start=1):
            label = _label(section, number, raw)
            decoder = RecordDecoder()
            record = decoder.record(billing_types[section], raw, "")
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in decoder.problems)
            if record is not None:
                billing_decoded[section].append((label, record))
    # Against every record the file holds (not only the clean ones), so one bad session does not
    # repeat as a problem on each of its service lines.
    diagnosis_counts = {rec.id: len(rec.diagnoses) for _, _, rec in decoded["infusions"]}
    billing, billing_problems = check_billing(billing_decoded, ids, diagnosis_counts, today)
    problems.extend(billing_problems)

    pools = {**ids, "superbills": {e.id for _, e in billing_decoded["superbills"]}}
    pools["service_lines"] = {e.id for _, e in billing_decoded["service_lines"]}
    payer_kinds = {rec.id: rec.kind for _, _, rec in decoded["payers"]}
    claims, claim_problems = transfer_claims.check_claims(
        data,
        pools,
        payer_kinds,
        today,
        legacy_files=version == 3,
        patients_of={
            "coverages": {rec.id: rec.patient_id for _, _, rec in decoded["coverages"]},
            "superbills": {e.id: e.patient_id for _, e in billing_decoded["superbills"]},
        },
    )
    problems.extend(claim_problems)

    documents, document_problems = check_documents(
        data.get(DOCUMENTS_SECTION, {}), [*billing.refs, *claims.refs], legacy=version < 4
    )
    problems.extend(document_problems)

    if problems:
        raise ImportRefused(problems)
    if version < 5 and cleaned["infusions"] and TRACKED_FROM not in settings:
        # Written before kettrack tracked Spravato REMS forms: as migration 0008 does for a database
        # upgraded with sessions on file, forms are tracked from a week before now, and no sent date
        # is invented for the older sessions (each would show as an overdue form).
        settings[TRACKED_FROM] = (today - timedelta(days=7)).isoformat()
    return CheckedFile(settings, cleaned, billing, claims, documents, releases)
