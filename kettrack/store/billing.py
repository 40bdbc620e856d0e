"""Repositories for billing: the code list (starter codes plus the user's own), fee schedules, and
each session's service lines (proposed from the session, then edited)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kettrack.core.billing_checks import check_procedure_code, check_service_line
from kettrack.core.codes import STARTER_CODES, CodeCatalog, ProcedureCode, code_system
from kettrack.core.money import parse_amount
from kettrack.core.ndc import NdcError, normalize_ndc
from kettrack.core.problems import InvalidInput
from kettrack.core.records import InfusionRecord
from kettrack.core.service_lines import Proposal, ServiceLine, propose_lines
from kettrack.store.database import Database
from kettrack.store.models import FeeScheduleEntry, ProcedureCodeEntry, Provider, SuperbillLine
from kettrack.store.models import ServiceLine as ServiceLineRow


class CodeRepository:
    """The code list in use: the starter set, overridden and extended by the user's entries."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def catalog(self) -> CodeCatalog:
        with self.db.reader() as session:
            own = [code_of(row) for row in session.scalars(select(ProcedureCodeEntry))]
        merged = {c.code: c for c in STARTER_CODES}
        merged.update({c.code: c for c in own})
        return CodeCatalog(merged.values())

    def save(self, entry: ProcedureCode) -> ProcedureCode:
        """Add a code or replace the description, dates or units of an existing one."""
        entry = check_procedure_code(entry)
        with self.db.session() as session:
            row = session.get(ProcedureCodeEntry, entry.code) or ProcedureCodeEntry(code=entry.code)
            row.kind, row.description, row.default_units = entry.kind, entry.description, entry.default_units
            row.effective_from, row.effective_to = entry.effective_from, entry.effective_to
            row.replaced_by, row.add_on = entry.replaced_by, entry.add_on
            session.add(row)
        return entry

    def retire(self, code: str, last_day: date, replaced_by: str = "") -> ProcedureCode:
        entry = self.catalog().get(code)
        if entry is None:
            raise InvalidInput.single("code", f"{code} is not in the code list")
        return self.save(replace(entry, effective_to=last_day, replaced_by=replaced_by or entry.replaced_by))


def code_of(row: ProcedureCodeEntry) -> ProcedureCode:
    """The user's stored code as the domain record."""
    return ProcedureCode(
        row.code,
        row.kind,
        row.description,
        row.default_units,
        row.effective_from,
        row.effective_to,
        row.replaced_by,
        row.add_on,
    )


class FeeScheduleRepository:
    """Charges per code for each provider or clinic."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def for_provider(self, provider_id: int) -> dict[str, tuple[Decimal, str]]:
        """code -> (amount per unit, usual NDC)"""
        with self.db.reader() as session:
            rows = session.scalars(
                select(FeeScheduleEntry).where(FeeScheduleEntry.provider_id == provider_id)
            )
            return {row.code: (row.amount, row.ndc) for row in rows}

    def set_fee(self, provider_id: int, code: str, amount: Decimal | str, ndc: str = "") -> None:
        value = parse_amount(amount, "amount")
        code = code.strip().upper()
        if code_system(code) is None:
            raise InvalidInput.single(
                "code", f"{code!r} is not a CPT or HCPCS code (5 characters, like 96365)"
            )
        if ndc.strip():
            try:
                ndc = normalize_ndc(ndc)
            except NdcError as exc:
                raise InvalidInput.single("ndc", str(exc)) from None
        with self.db.session() as session:
            if session.get(Provider, provider_id) is None:
                raise InvalidInput.single("provider_id", f"there is no provider with id {provider_id}")
            row = session.scalar(
                select(FeeScheduleEntry).where(
                    FeeScheduleEntry.provider_id == provider_id, FeeScheduleEntry.code == code
                )
            )
            if row is None:
                row = FeeScheduleEntry(provider_id=provider_id, code=code)
                session.add(row)
            row.amount, row.ndc = value, ndc.strip()

    def remove(self, provider_id: int, code: str) -> None:
        with self.db.session() as session:
            session.execute(
                delete(FeeScheduleEntry).where(
                    FeeScheduleEntry.provider_id == provider_id, FeeScheduleEntry.code == code.strip().upper()
                )
            )


def superbill_holding(session: Session, infusion_id: int) -> int | None:
    """An issued superbill that covers a line of this session (it must then stay as issued), or None."""
    return session.scalar(
        select(SuperbillLine.superbill_id)
        .join(ServiceLineRow, ServiceLineRow.id == SuperbillLine.service_line_id)
        .where(ServiceLineRow.infusion_id == infusion_id)
        .limit(1)
    )


def line_row(line: ServiceLine, infusion_id: int, position: int, row_id: int | None = None) -> ServiceLineRow:
    """The table row for a (validated) line of a session."""
    return ServiceLineRow(
        id=row_id,
        infusion_id=infusion_id,
        position=position,
        service_date=line.service_date,
        place_of_service=line.place_of_service,
        code=line.code,
        modifiers=" ".join(line.modifiers),
        description=line.description,
        pointers=line.pointers,
        units=line.units,
        charge=line.charge,
        ndc=line.ndc,
        ndc_unit=line.ndc_unit,
        ndc_quantity=line.ndc_quantity,
    )


def _line_of(row: ServiceLineRow) -> ServiceLine:
    return ServiceLine(
        service_date=row.service_date,
        place_of_service=row.place_of_service,
        code=row.code,
        description=row.description,
        units=row.units,
        charge=row.charge,
        modifiers=tuple(row.modifiers.split()),
        pointers=row.pointers,
        ndc=row.ndc,
        ndc_unit=row.ndc_unit,
        ndc_quantity=row.ndc_quantity,
        infusion_id=row.infusion_id,
    )


class ServiceLineRepository:
    """Each session's billed lines."""

    def __init__(
        self,
        db: Database,
        codes: CodeRepository,
        fees: FeeScheduleRepository,
        session_of: Callable[[int], InfusionRecord],
    ) -> None:
        self.db = db
        self.codes = codes
        self.fees = fees
        self.session_of = session_of

    def for_infusion(self, infusion_id: int) -> list[ServiceLine]:
        with self.db.reader() as session:
            rows = session.scalars(
                select(ServiceLineRow)
                .where(ServiceLineRow.infusion_id == infusion_id)
                .order_by(ServiceLineRow.position)
            )
            return [_line_of(row) for row in rows]

    def propose(
        self, infusion_id: int, *, record: InfusionRecord | None = None, catalog: CodeCatalog | None = None
    ) -> Proposal:
        """Lines proposed from the session, priced from the rendering provider's fees, else the clinic's.

        A caller that already holds the session or the code list passes them to save the queries.
        """
        record = record if record is not None and record.id == infusion_id else self.session_of(infusion_id)
        prices: dict[str, Decimal] = {}
        ndcs: dict[str, str] = {}
        for provider_id in (record.clinic_id, record.provider_id):  # the provider's own fees win
            if provider_id is None:
                continue
            for code, (amount, usual_ndc) in self.fees.for_provider(provider_id).items():
                prices[code] = amount
                if usual_ndc:
                    ndcs[code] = usual_ndc
        return propose_lines(record, prices, catalog or self.codes.catalog(), ndcs=ndcs)

    def replace_lines(self, infusion_id: int, lines: Sequence[ServiceLine]) -> list[ServiceLine]:
        """Set a session's lines (validated); refused once any of them is on an issued superbill."""
        cleaned = self.checked_lines(infusion_id, lines)
        with self.db.session() as session:
            self.write_lines(session, infusion_id, cleaned)
        return cleaned

    def checked_lines(self, infusion_id: int, lines: Sequence[ServiceLine]) -> list[ServiceLine]:
        """``lines`` validated for the session (InvalidInput naming each line's field otherwise)."""
        record = self.session_of(infusion_id)
        cleaned: list[ServiceLine] = []
        problems = []
        for number, line in enumerate(lines, start=1):
            try:
                cleaned.append(
                    check_service_line(replace(line, infusion_id=infusion_id), len(record.diagnoses))
                )
            except InvalidInput as exc:
                problems += [replace(p, field=f"lines[{number}].{p.field}") for p in exc.problems]
            if line.service_date != record.service_date:
                problems.append(
                    InvalidInput.single(
                        f"lines[{number}].service_date", "A line's date must be the session's date"
                    ).problems[0]
                )
        if problems:
            raise InvalidInput(problems)
        return cleaned

    def write_lines(self, session: Session, infusion_id: int, cleaned: Sequence[ServiceLine]) -> None:
        """Replace a session's lines with ``cleaned`` (from ``checked_lines``) in the caller's unit of
        work: the superbill that prints them saves them in its own transaction."""
        self._refuse_if_issued(session, infusion_id)
        session.execute(delete(ServiceLineRow).where(ServiceLineRow.infusion_id == infusion_id))
        for position, line in enumerate(cleaned):
            session.add(line_row(line, infusion_id, position))

    def proposal_to_keep(self, infusion_id: int) -> list[ServiceLine] | None:
        """The checked proposal to save for a session that has no saved lines yet; None when it has."""
        if self.for_infusion(infusion_id):
            return None
        return self.checked_lines(infusion_id, self.propose(infusion_id).lines)

    def ensure_lines(self, infusion_id: int) -> list[ServiceLine]:
        """The session's lines; if it has none yet, the proposal is saved and returned."""
        existing = self.for_infusion(infusion_id)
        if existing:
            return existing
        return self.replace_lines(infusion_id, self.propose(infusion_id).lines)

    def _refuse_if_issued(self, session: Session, infusion_id: int) -> None:
        if superbill_holding(session, infusion_id) is not None:
            raise InvalidInput.single(
                "lines", "these lines are on an issued superbill; re-issue the superbill to change them"
            )

    def line_ids(self, session: Session, infusion_ids: Sequence[int]) -> list[int]:
        return list(
            session.scalars(
                select(ServiceLineRow.id)
                .where(ServiceLineRow.infusion_id.in_(list(infusion_ids)))
                .order_by(ServiceLineRow.service_date, ServiceLineRow.infusion_id, ServiceLineRow.position)
            )
        )


# --- reads inside a caller's read session (one superbill reads all it needs in one transaction) ---


def catalog_in(session: Session) -> CodeCatalog:
    """The code list in use, as ``CodeRepository.catalog`` gives it, read in ``session``."""
    own = [code_of(row) for row in session.scalars(select(ProcedureCodeEntry))]
    merged = {c.code: c for c in STARTER_CODES}
    merged.update({c.code: c for c in own})
    return CodeCatalog(merged.values())


def fees_in(session: Session, provider_ids: Sequence[int]) -> dict[int, dict[str, tuple[Decimal, str]]]:
    """Each provider's fee schedule (code -> (amount per unit, usual NDC)), read in ``session`` in one
    statement; a provider without fees gets an empty one."""
    found: dict[int, dict[str, tuple[Decimal, str]]] = {i: {} for i in provider_ids}
    rows = session.scalars(
        select(FeeScheduleEntry).where(FeeScheduleEntry.provider_id.in_(list(provider_ids)))
    )
    for row in rows:
        found[row.provider_id][row.code] = (row.amount, row.ndc)
    return found


def lines_in(session: Session, infusion_ids: Sequence[int]) -> dict[int, list[ServiceLine]]:
    """Each session's saved lines in order, as ``ServiceLineRepository.for_infusion`` gives them, read
    in ``session`` in one statement; a session without saved lines gets an empty list."""
    found: dict[int, list[ServiceLine]] = {i: [] for i in infusion_ids}
    rows = session.scalars(
        select(ServiceLineRow)
        .where(ServiceLineRow.infusion_id.in_(list(infusion_ids)))
        .order_by(ServiceLineRow.infusion_id, ServiceLineRow.position)
    )
    for row in rows:
        found[row.infusion_id].append(_line_of(row))
    return found
