"""Export of everything in a database to one JSON file, and the all-or-nothing import of such a file.

The file (``"format": "kettrack-export"``, ``"format_version": 4``) holds the database's portable
settings and every patient, provider (clinics included), payer, coverage, treatment-history entry and
infusion session with its diagnoses and payments, then the billing and claims sections and, last, the
``documents`` section: the bytes of every issued superbill, letter and attachment, taken from the
database and keyed by SHA-256 (the rows name their document by ``sha256``; no path is ever read or
written). Records keep their ids, so references inside the file (a coverage's ``patient_id``, a
clinician's ``clinic_id``) stay readable and the round trip export -> import into an empty database ->
export gives the same JSON again, apart from ``exported_at``. Files of formats 1-3 still import.

Import refuses a database that already holds records: merging two sets of ids would need a guess
about which patients are "the same person", and a wrong guess mixes two people's health records.
Because the target is empty, each record is inserted with its own id (the id map old -> new is the
identity) and, on PostgreSQL, the id sequences are moved past the highest id afterwards.

Every record of the file is checked first, through the same ``kettrack.core.validation`` functions
the window and the command line use, plus every reference and every field name; when anything is
wrong the import stops before writing and lists each problem with its record, like
``infusions[12] (id 57): diagnoses: F43.1 is not a billable code ...`` (records counted from 1, as the
validation counts payments). The writes then happen in one transaction, documents included:
a refused or failed import leaves nothing behind, in the database or beside it.

Settings that belong to an installation rather than to the records (the lock PIN and idle time, the
backup retention) are neither exported nor imported: a file must not set a PIN or decide how many
backups are kept. Nor are the audit seals, which are made with a key of the installation.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from kettrack import __version__
from kettrack.core import validation
from kettrack.core.audit import AuditHead
from kettrack.core.enums import ProviderKind, UserRole
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
from kettrack.services.backups import KEEP_KEYS
from kettrack.services.transfer_billing import (
    BILLING_SECTIONS,
    DOCUMENTS_SECTION,
    CheckedBilling,
    CheckedDocument,
    check_billing,
    check_documents,
    export_billing,
    export_documents,
    import_billing,
    import_documents,
    record_types,
)
from kettrack.services.transfer_claims import LEGACY_FILE_SECTIONS, CheckedClaims, shown_name
from kettrack.services.workspace import Workspace
from kettrack.store import audit, audit_anchor
from kettrack.store.files import write_private
from kettrack.store.infusions import _apply as apply_infusion
from kettrack.store.infusions import _to_record as infusion_record
from kettrack.store.models import (
    AppSetting,
    AuditLogEntry,
    Base,
    Coverage,
    Infusion,
    Patient,
    Payer,
    ProcedureCodeEntry,
    Provider,
    ReasonCodeEntry,
    Treatment,
)
from kettrack.store.settings import ROLE, SETUP_DONE

FORMAT = "kettrack-export"
# 2: billing sections (codes, fees, service lines, superbills); 3: claims, their history and files;
# 4: documents from the database in one "documents" section keyed by SHA-256, rows naming them by
# sha256 (3 carried them beside the rows, keyed by file name); only the portable settings.
FORMAT_VERSION = 4
# The sections in file order; clinics come before clinicians inside "providers" on import.
SECTIONS: tuple[str, ...] = ("patients", "providers", "payers", "coverages", "treatments", "infusions")
_HEADER_KEYS = ("format", "format_version", "exported_at", "kettrack_version")
AUDIT_HEAD = "audit_head"
_RECORD_TYPES: dict[str, type[Any]] = {
    "patients": PatientRecord,
    "providers": ProviderRecord,
    "payers": PayerRecord,
    "coverages": CoverageRecord,
    "treatments": TreatmentRecord,
    "infusions": InfusionRecord,
}
_MODELS: dict[str, type[Base]] = {
    "patients": Patient,
    "providers": Provider,
    "payers": Payer,
    "coverages": Coverage,
    "treatments": Treatment,
    "infusions": Infusion,
}
# PostgreSQL's integer column; a larger id cannot be stored.
_MAX_ID = 2**31 - 1
# The settings a file carries, with the values each may take: they describe the records (who keeps
# them, whether set-up is done), so they travel with them.
PORTABLE_SETTINGS: dict[str, frozenset[str]] = {
    ROLE: frozenset(r.value for r in UserRole),
    SETUP_DONE: frozenset({"yes"}),
}
# Settings kettrack writes that belong to an installation: the lock PIN's hash and idle time
# (kettrack.ui.auto_lock), the backup retention, and the id the audit seals are keyed to
# (kettrack.store.audit_anchor). Never exported (format 4); left out when a file of format 1-3, which
# exported every setting, carries them; in a format-4 file they, like any other setting, refuse it.
_INSTALLATION_SETTINGS = frozenset({"lock_pin_scrypt", "lock_idle_minutes", "database_id", *KEEP_KEYS})
# Serialises imports on a shared PostgreSQL database, so two desks cannot both find it empty.
_PG_IMPORT_LOCK = 0x6B657478  # "kettx"
_FLUSH_EVERY = 2000


class ImportRefused(InvalidInput):
    """The file cannot be imported; nothing was written. Each problem names its record."""


class DatabaseNotEmpty(RuntimeError):
    """The database already holds records, so an import (or the demo set) would mix two data sets."""


@dataclass(frozen=True)
class TransferSummary:
    """How many records of each kind an export wrote or an import read."""

    counts: dict[str, int]

    def describe(self) -> str:
        return ", ".join(
            f"{n} {name if n != 1 else name.removesuffix('s')}" for name, n in self.counts.items()
        )


# --- records <-> JSON values ----------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, StrEnum):  # before str: an enum member is a str too
        return value.value
    if isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "auto"
        return value.isoformat(timespec=spec)
    if isinstance(value, PurePath):
        return value.name  # a file's name (a backup's, say): where it lives is this machine's business
    if isinstance(value, tuple | list):
        return [_encode_value(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode_record(value)
    raise TypeError(f"cannot export a {type(value).__name__}")


def encode_record(record: Any) -> dict[str, Any]:
    """A record as JSON-ready values: id first, then its fields in declaration order.

    Decimals become strings like ``"450.00"``, dates ISO strings, times ``"HH:MM"``, enums their values.
    """
    names = [f.name for f in dataclasses.fields(record)]
    ordered = (["id"] if "id" in names else []) + [n for n in names if n != "id"]
    return {name: _encode_value(getattr(record, name)) for name in ordered}


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


class _Decoder:
    """Turns JSON values into records, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def record(self, cls: type[Any], raw: Any, path: str) -> Any:
        if not isinstance(raw, dict):
            self.add(path or "record", "must be an object of fields")
            return None
        hints = _hints(cls)
        for unknown in sorted(set(raw) - set(hints)):
            self.add(
                f"{path}{shown_name(unknown)}", "is not a field kettrack knows (refused rather than dropped)"
            )
        values: dict[str, Any] = {}
        ok = True
        for field in dataclasses.fields(cls):
            name = field.name
            required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
            if name not in raw:
                if required or name == "id":
                    self.add(f"{path}{name}", "is missing")
                    ok = False
                continue
            before = len(self.problems)
            values[name] = self.value(hints[name], raw[name], f"{path}{name}")
            ok = ok and len(self.problems) == before
        return cls(**values) if ok else None

    def value(self, hint: Any, raw: Any, field: str) -> Any:
        origin = typing.get_origin(hint)
        if origin is types.UnionType or origin is typing.Union:
            if raw is None:
                return None
            (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
            return self.value(inner, raw, field)
        if origin is tuple:
            inner = typing.get_args(hint)[0]
            if not isinstance(raw, list):
                self.add(field, "must be a list")
                return ()
            return tuple(self.value(inner, item, f"{field}[{n}]") for n, item in enumerate(raw, start=1))
        if isinstance(hint, type) and issubclass(hint, StrEnum):
            if not isinstance(raw, str) or raw not in {m.value for m in hint}:
                self.add(field, f"{raw!r} is not one of: {', '.join(m.value for m in hint)}")
                return None
            return hint(raw)
        if hint is bool:
            if not isinstance(raw, bool):
                self.add(field, "must be true or false")
            return raw
        if hint is str:
            if not isinstance(raw, str):
                self.add(field, "must be text")
            return raw
        if hint is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.add(field, "must be a whole number")
            elif not -_MAX_ID - 1 <= raw <= _MAX_ID:
                # Every whole number of a record goes into an integer column: refused here, not by
                # the database halfway through the import.
                self.add(field, f"is outside the range a whole number may have (at most {_MAX_ID})")
            return raw
        if hint is Decimal:
            return self._decimal(raw, field)
        if hint is date:
            if not isinstance(raw, str):
                self.add(field, "must be a date written YYYY-MM-DD")
                return None
            try:
                return validation.parse_date(raw, field)
            except InvalidInput as exc:
                self.problems.extend(exc.problems)
                return None
        if hint is time:
            return self._time(raw, field)
        if dataclasses.is_dataclass(hint):
            return self.record(hint, raw, f"{field}.")  # type: ignore[arg-type]
        raise TypeError(f"no decoder for {hint!r}")  # a new record field type: teach the format first

    def _decimal(self, raw: Any, field: str) -> Decimal | None:
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            self.add(field, 'must be a number written as text, like "450.00"')
            return None
        try:
            value = raw if isinstance(raw, Decimal) else Decimal(raw.strip() if isinstance(raw, str) else raw)
        except InvalidOperation:
            self.add(field, f"{raw!r} is not a number")
            return None
        if not value.is_finite():
            self.add(field, "must be a finite number")
            return None
        return value

    def _time(self, raw: Any, field: str) -> time | None:
        if isinstance(raw, str) and len(raw) == 8 and raw[2] == ":" and raw[5] == ":":
            try:
                return time.fromisoformat(raw)
            except ValueError:
                pass
        if not isinstance(raw, str):
            self.add(field, "must be a time written HH:MM")
            return None
        try:
            return validation.parse_time(raw, field)
        except InvalidInput as exc:
            self.problems.extend(exc.problems)
            return None


# --- export ---------------------------------------------------------------------------------------


def _ordered(session: Session, model: type[Base]) -> Iterator[Any]:
    return iter(session.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


def export_data(ws: Workspace) -> dict[str, Any]:
    """Everything in the database as one JSON-ready dict, in a stable key and record order."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "kettrack_version": __version__,
    }
    converters: dict[str, Callable[[Any], Any]] = {
        "patients": ws.patients._to_record,
        "providers": ws.providers._to_record,
        "payers": ws.payers._to_record,
        "coverages": ws.coverages._to_record,
        "treatments": ws.treatments._to_record,
    }
    with ws.db.reader() as session:
        if not ws.db.is_sqlite:
            # One snapshot for the whole file: a desk adding a session meanwhile cannot leave a
            # reference to a patient read before it existed. (SQLite's read transaction is a snapshot.)
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        settings = session.scalars(
            select(AppSetting).where(AppSetting.key.in_(PORTABLE_SETTINGS)).order_by(AppSetting.key)
        )
        data["settings"] = {row.key: row.value for row in settings}
        for section, convert in converters.items():
            data[section] = [encode_record(convert(row)) for row in _ordered(session, _MODELS[section])]
        infusions = session.scalars(
            select(Infusion)
            .order_by(Infusion.id)
            .options(selectinload(Infusion.diagnoses), selectinload(Infusion.payments))
            .execution_options(yield_per=1000)
        )
        data["infusions"] = [encode_record(infusion_record(row)) for row in infusions]
        data.update(export_billing(session, encode_record))
        data.update(transfer_claims.export_claims(session))
        named = [(f"superbill {r['number']} version {r['version']}", r["sha256"]) for r in data["superbills"]]
        named += transfer_claims.documents_named(data)
        data[DOCUMENTS_SECTION] = export_documents(session, named)
        # The audit chain's head, an anchor outside the database (kettrack audit verify --against FILE).
        head = audit_anchor.head(session)
        data[AUDIT_HEAD] = head.as_dict() if head is not None else None
    return data


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_to_file(ws: Workspace, path: Path, *, overwrite: bool = False) -> TransferSummary:
    data = export_data(ws)
    write_private(path, dumps(data), overwrite=overwrite)
    audit.AuditLog(ws.db).record_now("export", details=f"every record, to {path.name}")
    sections = (*SECTIONS, *BILLING_SECTIONS, *transfer_claims.TABLES)
    return TransferSummary({section: len(data[section]) for section in sections})


# --- import ---------------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def read_file(path: Path) -> Any:
    """Parse an export file: numbers stay exact (Decimal), NaN and duplicate keys are refused."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportRefused.single("file", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8-sig")
        return json.loads(
            content,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except UnicodeDecodeError:
        raise ImportRefused.single("file", f"{path} is not UTF-8 text, so not a kettrack export") from None
    except json.JSONDecodeError as exc:
        raise ImportRefused.single(
            "file", f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ImportRefused.single("file", f"{path} is not a usable kettrack export: {exc}") from None


def _check_header(data: Any) -> int:
    """The file's format version, once the header says it is an export this kettrack reads."""
    if not isinstance(data, dict):
        raise ImportRefused.single("file", "is not a kettrack export (the top level must be an object)")
    if data.get("format") != FORMAT:
        raise ImportRefused.single("format", f'is not a kettrack export ("format" must be {FORMAT!r})')
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ImportRefused.single("format_version", "is missing or not a whole number")
    if version > FORMAT_VERSION:
        raise ImportRefused.single(
            "format_version",
            f"the file was written by a newer kettrack (format version {version}); "
            f"this version reads format version {FORMAT_VERSION}: install the newer kettrack",
        )
    if version < 1:
        raise ImportRefused.single("format_version", f"{version} is not a format version kettrack ever wrote")
    return version


@dataclass
class _Validated:
    """The checked, cleaned records of a file, ready to insert."""

    settings: dict[str, str]
    records: dict[str, list[Any]]
    billing: CheckedBilling
    claims: CheckedClaims
    documents: dict[str, CheckedDocument]


def _label(section: str, number: int, raw: Any) -> str:
    record_id = raw.get("id") if isinstance(raw, dict) else None
    shown = f" (id {record_id})" if isinstance(record_id, int) and not isinstance(record_id, bool) else ""
    return f"{section}[{number}]{shown}"


def _sections(version: int) -> set[str]:
    """The top-level keys a file of format ``version`` may have."""
    known = {*_HEADER_KEYS, "settings", *SECTIONS}
    if version >= 2:
        known |= set(BILLING_SECTIONS)
    if version >= 3:
        known |= set(transfer_claims.TABLES)
    if version == 3:
        known |= set(LEGACY_FILE_SECTIONS)
    if version >= 4:
        known |= {DOCUMENTS_SECTION, AUDIT_HEAD}
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


def _check_settings(raw_settings: Any, version: int, problems: list[Problem]) -> dict[str, str]:
    settings: dict[str, str] = {}
    if not isinstance(raw_settings, dict):
        problems.append(Problem("settings", "must be an object of names and values"))
        return settings
    for key, value in raw_settings.items():
        field = f"settings.{shown_name(key)}"
        if key not in PORTABLE_SETTINGS:
            if version < 4 and key in _INSTALLATION_SETTINGS:
                continue  # exported by kettrack before format 4; set again on this installation
            why = (
                "belongs to the installation that wrote the file (the lock PIN, the idle time, the "
                "backup retention, the audit seals' id): it is not imported"
                if key in _INSTALLATION_SETTINGS
                else "is not a setting an export carries (refused rather than dropped)"
            )
            problems.append(Problem(field, why))
        elif not isinstance(value, str) or value not in PORTABLE_SETTINGS[key]:
            allowed = ", ".join(sorted(PORTABLE_SETTINGS[key]))
            shown = repr(value[:40]) if isinstance(value, str) else "this value"
            problems.append(Problem(field, f"{shown} is not one of: {allowed}"))
        else:
            settings[key] = value
    return settings


def validate(ws: Workspace, data: Any) -> _Validated:
    """Check a parsed file completely; raise ``ImportRefused`` listing every problem found."""
    version = _check_header(data)
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
    settings = _check_settings(data.get("settings", {}), version, problems)
    problems += _check_head(data)

    today = ws.today()
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
            decoder = _Decoder()
            record = decoder.record(_RECORD_TYPES[section], raw, "")
            problems.extend(Problem(f"{label}: {p.field}", p.message) for p in decoder.problems)
            if record is None:
                continue
            if record.id is None or not 1 <= record.id <= _MAX_ID:
                problems.append(Problem(f"{label}: id", f"must be between 1 and {_MAX_ID}"))
                continue
            if record.id in seen:
                kind = section.removesuffix("s")
                problems.append(Problem(f"{label}: id", f"another {kind} has id {record.id}"))
                continue
            seen.add(record.id)
            decoded[section].append((label, raw, record))

    # Every decoded record through the same checks the repositories apply on each write.
    icd = ws.icd10() if decoded["infusions"] else None
    checks: dict[str, Callable[[Any], Any]] = {
        "patients": lambda r: validation.check_patient(r, today),
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
            decoder = _Decoder()
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
        data, pools, payer_kinds, today, legacy_files=version == 3
    )
    problems.extend(claim_problems)

    documents, document_problems = check_documents(
        data.get(DOCUMENTS_SECTION, {}), [*billing.refs, *claims.refs], legacy=version < 4
    )
    problems.extend(document_problems)

    if problems:
        raise ImportRefused(problems)
    return _Validated(settings, cleaned, billing, claims, documents)


def record_counts(session: Session) -> dict[str, int]:
    return {
        section: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for section, model in _MODELS.items()
    }


def refuse_if_not_empty(session: Session, what: str) -> None:
    counts = {name: n for name, n in record_counts(session).items() if n}
    # The user's own codes live without any patient, and an import would collide with them.
    for name, model in (("own procedure codes", ProcedureCodeEntry), ("own reason codes", ReasonCodeEntry)):
        own = int(session.scalar(select(func.count()).select_from(model)) or 0)
        if own:
            counts[name] = own
    if counts:
        held = ", ".join(f"{n} {name}" for name, n in counts.items())
        raise DatabaseNotEmpty(
            f"the database already holds records ({held}); {what} goes only into an empty database: "
            "choose a new database file with --db"
        )


def _reset_sequences(session: Session) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequences past the highest id."""
    # The section names are the table names.
    claims = ("claims", "claim_events", "claim_attachments", "prior_auths", "appeal_letters")
    for table in (*SECTIONS, "payments", "fee_schedule_entries", "service_lines", "superbills", *claims):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def import_data(ws: Workspace, data: Any) -> TransferSummary:
    """Validate a parsed export completely, then insert it in one transaction (all or nothing):
    records, documents and settings commit together or not at all, and nothing is written elsewhere."""
    with ws.db.reader() as session:
        # Before the (possibly long) validation; checked again inside the writing transaction.
        refuse_if_not_empty(session, "an import")
    checked = validate(ws, data)
    records = checked.records
    claim_rows = checked.claims.rows
    with ws.db.session() as session:
        is_postgres = session.get_bind().dialect.name == "postgresql"
        if is_postgres:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_IMPORT_LOCK})
        refuse_if_not_empty(session, "an import")
        for key, value in checked.settings.items():
            row = session.get(AppSetting, key)
            if row is None:
                session.add(AppSetting(key=key, value=value))
            else:
                row.value = value
        for record in records["patients"]:
            session.add(Patient(id=record.id, **ws.patients._columns(record)))
        for record in records["payers"]:
            session.add(Payer(id=record.id, **ws.payers._columns(record)))
        # Clinics first: a clinician's clinic_id refers to a row that must already exist.
        for kind in (ProviderKind.ORGANIZATION, ProviderKind.INDIVIDUAL):
            for record in records["providers"]:
                if record.kind is kind:
                    session.add(Provider(id=record.id, **ws.providers._columns(record)))
            session.flush()
        for record in records["coverages"]:
            session.add(Coverage(id=record.id, **ws.coverages._columns(record)))
        for record in records["treatments"]:
            session.add(Treatment(id=record.id, **ws.treatments._columns(record)))
        session.flush()
        for number, record in enumerate(records["infusions"], start=1):
            infusion = Infusion(id=record.id, diagnoses=[], payments=[])
            apply_infusion(infusion, record)
            session.add(infusion)
            if number % _FLUSH_EVERY == 0:
                # Keeps memory flat on large files; the rows stay inside the one transaction.
                session.flush()
                session.expunge_all()
        session.flush()
        import_documents(session, checked.documents)
        import_billing(session, checked.billing)
        imported_chain = bool(claim_rows.get("audit_log"))
        if session.scalar(select(func.count()).select_from(AuditLogEntry)):
            # The target already has its own audit chain (kept from its creation): the imported
            # chain cannot be spliced into it, and the target's own entries stay.
            claim_rows = {**claim_rows, "audit_log": []}
            imported_chain = False
        session.flush()
        transfer_claims.import_claims(session, claim_rows)
        # No "import" entry: the imported chain is the history of these records, and a round trip
        # (export, import, export) must give the same file. The source's log has the "export".
        session.flush()
        if is_postgres:
            _reset_sequences(session)
        if imported_chain:
            # The imported entries were verified above as a chain; their seals (made with the key of
            # the installation that wrote the file) never travel: this installation seals them now,
            # inside the import's transaction.
            audit_anchor.seal_all(session)
    counts = {section: len(records[section]) for section in SECTIONS}
    counts.update({section: len(checked.billing.records[section]) for section in BILLING_SECTIONS})
    counts.update(transfer_claims.counts(checked.claims.rows))
    return TransferSummary(counts)


def import_from_file(ws: Workspace, path: Path) -> TransferSummary:
    return import_data(ws, read_file(path))
