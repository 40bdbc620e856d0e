"""Export of everything in a database to one JSON file, and the all-or-nothing import of such a file.

The file (``"format": "kettrack-export"``, ``"format_version": 5``) holds the database's portable
settings and every patient, provider (clinics included), payer, coverage, treatment-history entry and
infusion session with its diagnoses and payments, then the billing and claims sections (letters and
the evidence library among them), the ICD-10-CM releases loaded and, last, the ``documents`` section:
the bytes of every issued superbill, letter and attachment, taken from the database and keyed by
SHA-256 (the rows name their document by ``sha256``; no path is ever read or written). Records keep
their ids, so references inside the file (a coverage's ``patient_id``, a clinician's ``clinic_id``) stay
readable and the round trip export -> import into an empty database ->
export gives the same JSON again, apart from ``exported_at``. Files of formats 1-4 still import.

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

Here: exporting and importing (the writes). Beside it: the format (``transfer_format``), records to
JSON values and back (``transfer_values``), checking a whole file (``transfer_checks``), and each
part's own module (``transfer_billing``, ``transfer_claims``, ``transfer_letters``,
``transfer_code_sets``, ``transfer_documents``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from kettrack import __version__
from kettrack.core.enums import ProviderKind
from kettrack.services import transfer_claims
from kettrack.services.transfer_billing import (
    BILLING_SECTIONS,
    DOCUMENTS_SECTION,
    export_billing,
    export_documents,
    import_billing,
    import_documents,
)
from kettrack.services.transfer_checks import validate
from kettrack.services.transfer_code_sets import (
    RELEASES_SECTION,
    export_releases,
    import_releases,
    releases_held,
)
from kettrack.services.transfer_format import (
    AUDIT_HEAD,
    FORMAT,
    FORMAT_VERSION,
    PORTABLE_SETTINGS,
    SECTIONS,
    DatabaseNotEmpty,
    ImportRefused,
    TransferSummary,
    read_file,
)
from kettrack.services.transfer_letters import LETTER_TABLES
from kettrack.services.transfer_values import encode_record
from kettrack.services.workspace import Workspace
from kettrack.store import audit, audit_anchor
from kettrack.store.files import write_private
from kettrack.store.infusions import apply_record as apply_infusion
from kettrack.store.infusions import to_record as infusion_record
from kettrack.store.models import (
    AppSetting,
    AuditLogEntry,
    Base,
    Coverage,
    EvidenceReferenceEntry,
    Infusion,
    Patient,
    Payer,
    ProcedureCodeEntry,
    Provider,
    ReasonCodeEntry,
    Treatment,
)

__all__ = [
    "AUDIT_HEAD",
    "FORMAT",
    "FORMAT_VERSION",
    "PORTABLE_SETTINGS",
    "SECTIONS",
    "DatabaseNotEmpty",
    "ImportRefused",
    "TransferSummary",
    "dumps",
    "encode_record",
    "export_data",
    "export_to_file",
    "import_data",
    "import_from_file",
    "read_file",
    "record_counts",
    "refuse_if_not_empty",
    "validate",
    "write_private",
]

_MODELS: dict[str, type[Base]] = {
    "patients": Patient,
    "providers": Provider,
    "payers": Payer,
    "coverages": Coverage,
    "treatments": Treatment,
    "infusions": Infusion,
}
# Serialises imports on a shared PostgreSQL database, so two desks cannot both find it empty.
_PG_IMPORT_LOCK = 0x6B657478  # "kettx"
_FLUSH_EVERY = 2000


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
        "patients": ws.patients.to_record,
        "providers": ws.providers.to_record,
        "payers": ws.payers.to_record,
        "coverages": ws.coverages.to_record,
        "treatments": ws.treatments.to_record,
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
        data[RELEASES_SECTION] = export_releases(session)
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
    sections = (*SECTIONS, *BILLING_SECTIONS, *transfer_claims.TABLES, RELEASES_SECTION)
    return TransferSummary({section: len(data[section]) for section in sections})


# --- import ---------------------------------------------------------------------------------------


def record_counts(session: Session) -> dict[str, int]:
    return {
        section: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for section, model in _MODELS.items()
    }


def refuse_if_not_empty(session: Session, what: str) -> None:
    counts = {name: n for name, n in record_counts(session).items() if n}
    # The user's own codes and references live without any patient, and an import would collide with
    # them.
    unattached = (
        ("own procedure codes", ProcedureCodeEntry),
        ("own reason codes", ReasonCodeEntry),
        ("evidence references", EvidenceReferenceEntry),
    )
    for name, model in unattached:
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
    later = (*LETTER_TABLES, "icd10_releases")
    for table in (
        *SECTIONS,
        "payments",
        "fee_schedule_entries",
        "service_lines",
        "superbills",
        *claims,
        *later,
    ):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def _refuse_second_releases(session: Session, data: Any) -> None:
    """A file bringing ICD-10-CM releases goes only into a database that has loaded none: two sets
    could name the same release from different files, and no choice between them is ours to make."""
    brings = isinstance(data, dict) and bool(data.get(RELEASES_SECTION))
    held = releases_held(session) if brings else []
    if held:
        raise DatabaseNotEmpty(
            f"the database already holds ICD-10-CM releases ({', '.join(held)}) and the file brings its "
            "own: choose a new database file with --db"
        )


def import_data(ws: Workspace, data: Any) -> TransferSummary:
    """Validate a parsed export completely, then insert it in one transaction (all or nothing):
    records, documents and settings commit together or not at all, and nothing is written elsewhere."""
    with ws.db.reader() as session:
        # Before the (possibly long) validation; checked again inside the writing transaction.
        refuse_if_not_empty(session, "an import")
        _refuse_second_releases(session, data)
    checked = validate(ws, data)
    records = checked.records
    claim_rows = checked.claims.rows
    with ws.db.session() as session:
        is_postgres = session.get_bind().dialect.name == "postgresql"
        if is_postgres:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_IMPORT_LOCK})
        refuse_if_not_empty(session, "an import")
        _refuse_second_releases(session, data)
        for key, value in checked.settings.items():
            row = session.get(AppSetting, key)
            if row is None:
                session.add(AppSetting(key=key, value=value))
            else:
                row.value = value
        for record in records["patients"]:
            session.add(Patient(id=record.id, **ws.patients.columns_of(record)))
        for record in records["payers"]:
            session.add(Payer(id=record.id, **ws.payers.columns_of(record)))
        # Clinics first: a clinician's clinic_id refers to a row that must already exist.
        for kind in (ProviderKind.ORGANIZATION, ProviderKind.INDIVIDUAL):
            for record in records["providers"]:
                if record.kind is kind:
                    session.add(Provider(id=record.id, **ws.providers.columns_of(record)))
            session.flush()
        for record in records["coverages"]:
            session.add(Coverage(id=record.id, **ws.coverages.columns_of(record)))
        for record in records["treatments"]:
            session.add(Treatment(id=record.id, **ws.treatments.columns_of(record)))
        session.flush()
        for number, record in enumerate(records["infusions"], start=1):
            infusion = Infusion(id=record.id, diagnoses=[], payments=[])
            apply_infusion(infusion, record)
            infusion.rems_form_sent_on = record.rems_form_sent_on  # editing never sets it; importing does
            session.add(infusion)
            if number % _FLUSH_EVERY == 0:
                # Keeps memory flat on large files; the rows stay inside the one transaction.
                session.flush()
                session.expunge_all()
        session.flush()
        import_releases(session, checked.releases)
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
    counts[RELEASES_SECTION] = len(checked.releases)
    if checked.releases:
        ws.forget_icd10()  # the releases are read again, with the file's, at the next use
    return TransferSummary(counts)


def import_from_file(ws: Workspace, path: Path) -> TransferSummary:
    return import_data(ws, read_file(path))
