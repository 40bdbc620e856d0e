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
from kettrack.core.enums import AuthStatus, CoverageRank
from kettrack.core.line_rules import BillingContext, ContainerType, usual_place, usual_place_problem
from kettrack.core.money import parse_amount
from kettrack.core.ndc import NdcError, normalize_ndc
from kettrack.core.problems import InvalidInput
from kettrack.core.records import InfusionRecord
from kettrack.core.service_lines import Proposal, ServiceLine, propose_lines
from kettrack.store.database import Database
from kettrack.store.models import (
    AppSetting,
    Coverage,
    FeeScheduleEntry,
    IssuedSuperbill,
    Payer,
    PayerRuleOverride,
    PriorAuthorization,
    ProcedureCodeEntry,
    Provider,
    SuperbillAuthorization,
    SuperbillLine,
)
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

    def containers(self, provider_ids: Sequence[int]) -> dict[str, tuple[ContainerType, int]]:
        """NDC -> (its container type, the provider whose fee entry records it)."""
        with self.db.reader() as session:
            return containers_in(session, provider_ids)

    def usual_place(self) -> str:
        """The place of service new sessions default to: the clinic's setting, else 11 (never 02/10)."""
        with self.db.reader() as session:
            return usual_place_in(session)

    def set_usual_place(self, code: str) -> str:
        if problem := usual_place_problem(code):
            raise InvalidInput.single("place_of_service", problem)
        with self.db.session() as session:
            row = session.get(AppSetting, USUAL_PLACE_KEY)
            if row is None:
                session.add(AppSetting(key=USUAL_PLACE_KEY, value=code.strip()))
            else:
                row.value = code.strip()
        return code.strip()

    def set_fee(
        self,
        provider_id: int,
        code: str,
        amount: Decimal | str | None,
        ndc: str | None = "",
        container: ContainerType | None = None,
    ) -> None:
        """Set a code's charge (None: keep the one set), usual NDC (None: keep it) and that NDC's
        container type (None: keep it)."""
        value = parse_amount(amount, "amount") if amount is not None else None
        code = code.strip().upper()
        if code_system(code) is None:
            raise InvalidInput.single(
                "code", f"{code!r} is not a CPT or HCPCS code (5 characters, like 96365)"
            )
        if ndc is not None and ndc.strip():
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
                if value is None:
                    raise InvalidInput.single("amount", f"{code} has no fee yet: give the amount")
                row = FeeScheduleEntry(
                    provider_id=provider_id, code=code, container=ContainerType.UNKNOWN.value
                )
                session.add(row)
            if value is not None:
                row.amount = value
            if ndc is not None:
                row.ndc = ndc.strip()
            if container is not None:
                row.container = container.value

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
        self,
        infusion_id: int,
        *,
        record: InfusionRecord | None = None,
        catalog: CodeCatalog | None = None,
        context: BillingContext | None = None,
    ) -> Proposal:
        """Lines proposed from the session, priced from the rendering provider's fees, else the clinic's,
        following the rules of the payer of the patient's primary coverage on the day (``context``).

        A caller that already holds the session, the code list or the context passes them to save the
        queries.
        """
        record = record if record is not None and record.id == infusion_id else self.session_of(infusion_id)
        if context is None:
            with self.db.reader() as session:
                context = billing_context_in(session, record)
        prices: dict[str, Decimal] = {}
        ndcs: dict[str, str] = {}
        for provider_id in (record.clinic_id, record.provider_id):  # the provider's own fees win
            if provider_id is None:
                continue
            for code, (amount, usual_ndc) in self.fees.for_provider(provider_id).items():
                prices[code] = amount
                if usual_ndc:
                    ndcs[code] = usual_ndc
        return propose_lines(record, prices, catalog or self.codes.catalog(), ndcs=ndcs, context=context)

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

    def proposal_to_keep(
        self, infusion_id: int, context: BillingContext | None = None
    ) -> list[ServiceLine] | None:
        """The checked proposal to save for a session that has no saved lines yet; None when it has."""
        if self.for_infusion(infusion_id):
            return None
        return self.checked_lines(infusion_id, self.propose(infusion_id, context=context).lines)

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


# --- what the line rules read: containers, the usual place, payer code overrides, authorizations ---

USUAL_PLACE_KEY = "usual_place_of_service"


def containers_in(session: Session, provider_ids: Sequence[int]) -> dict[str, tuple[ContainerType, int]]:
    """NDC -> (container type, provider id) from these providers' fee entries (a later provider's
    entry wins, as a rendering provider's own fees win over the clinic's)."""
    found: dict[str, tuple[ContainerType, int]] = {}
    rows = session.execute(
        select(FeeScheduleEntry.provider_id, FeeScheduleEntry.ndc, FeeScheduleEntry.container).where(
            FeeScheduleEntry.provider_id.in_(list(provider_ids)), FeeScheduleEntry.ndc != ""
        )
    ).all()
    order = {provider_id: n for n, provider_id in enumerate(provider_ids)}
    for provider_id, ndc, container in sorted(rows, key=lambda r: order.get(r[0], 0)):
        kind = (
            ContainerType(container)
            if container in {c.value for c in ContainerType}
            else ContainerType.UNKNOWN
        )
        if kind is not ContainerType.UNKNOWN or ndc not in found:
            found[ndc] = (kind, provider_id)
    return found


def usual_place_in(session: Session) -> str:
    return usual_place(session.scalar(select(AppSetting.value).where(AppSetting.key == USUAL_PLACE_KEY)))


def code_overrides_in(session: Session, payer_id: int) -> dict[str, str]:
    """The payer's documented code overrides (code due -> code it takes), from its saved rules."""
    from kettrack.core.payer_rules import RuleOverrides

    row = session.get(PayerRuleOverride, payer_id)
    return dict(RuleOverrides.from_json(row.overrides).code_overrides) if row else {}


def auths_in_force(
    session: Session, patient_id: int, coverage_id: int | None, days: dict[date, set[str]]
) -> list[tuple[int, str]]:
    """(id, number) of the approved authorizations of the patient's coverage in force on any of
    ``days`` (day -> the codes billed that day) for a code they approve (any code when they list none)."""
    query = select(PriorAuthorization).where(
        PriorAuthorization.patient_id == patient_id, PriorAuthorization.status == AuthStatus.APPROVED
    )
    if coverage_id is not None:
        query = query.where(PriorAuthorization.coverage_id == coverage_id)
    found = []
    for auth in session.scalars(query.order_by(PriorAuthorization.id)):
        approved = set(auth.codes.split())
        for day, codes in days.items():
            started = auth.valid_from is None or auth.valid_from <= day
            ended = auth.valid_to is not None and day > auth.valid_to
            if started and not ended and (not approved or approved & codes):
                found.append((auth.id, auth.auth_number))
                break
    return found


def billed_sessions(session: Session, infusion_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Session id -> (id, number) of the newest version of the issued superbill that bills it."""
    found: dict[int, tuple[int, str]] = {}
    ids = list(infusion_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(ServiceLineRow.infusion_id, IssuedSuperbill.id, IssuedSuperbill.number)
            .join(SuperbillLine, SuperbillLine.service_line_id == ServiceLineRow.id)
            .join(IssuedSuperbill, IssuedSuperbill.id == SuperbillLine.superbill_id)
            .where(
                ServiceLineRow.infusion_id.in_(ids[start : start + 500]),
                IssuedSuperbill.superseded_by_id.is_(None),
            )
            .order_by(IssuedSuperbill.id)
        )
        for infusion_id, superbill_id, number in rows:
            found[infusion_id] = (superbill_id, number)
    return found


def primary_payer_in(session: Session, patient_id: int, day: date) -> tuple[int, Payer] | None:
    """(coverage id, payer) of the patient's primary coverage in force on ``day`` (else any primary,
    else the first), as the superbill picks it."""
    rows = session.execute(
        select(Coverage, Payer)
        .join(Payer, Payer.id == Coverage.payer_id)
        .where(Coverage.patient_id == patient_id)
    ).all()

    def rank(row: tuple[Coverage, Payer]) -> tuple[bool, bool, int]:
        c = row[0]
        active = (c.effective_from is None or c.effective_from <= day) and (
            c.effective_to is None or day <= c.effective_to
        )
        return (c.rank is not CoverageRank.PRIMARY, not active, c.id)

    ranked = sorted(((c, p) for c, p in rows), key=rank)
    return (ranked[0][0].id, ranked[0][1]) if ranked else None


def billing_context_in(
    session: Session, record: InfusionRecord, payer: tuple[int, Payer] | None | bool = False
) -> BillingContext:
    """Who the session's lines are billed to (the payer of its primary coverage, or ``payer`` when the
    caller knows it) and what the fee schedules say of their NDCs, read in ``session``."""
    found = primary_payer_in(session, record.patient_id, record.service_date) if payer is False else payer
    owners = [i for i in (record.clinic_id, record.provider_id) if i is not None]
    containers = containers_in(session, owners)
    payer_row = found[1] if isinstance(found, tuple) else None
    return BillingContext(
        payer_kind=payer_row.kind if payer_row is not None else None,
        containers={ndc: kind for ndc, (kind, _) in containers.items()},
        ndc_owners={ndc: owner for ndc, (_, owner) in containers.items()},
        code_overrides=code_overrides_in(session, payer_row.id) if payer_row is not None else {},
        usual_place=usual_place_in(session),
    )


def superbill_auth_ids(session: Session, superbill_id: int) -> list[int]:
    """The prior authorizations an issued superbill printed (a claim made from it carries them)."""
    return list(
        session.scalars(
            select(SuperbillAuthorization.auth_id)
            .where(SuperbillAuthorization.superbill_id == superbill_id)
            .order_by(SuperbillAuthorization.auth_id)
        )
    )
