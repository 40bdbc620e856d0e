"""What assembling superbills reads, in one read session per superbill (``SharedReads.reading``):
the sessions and their lines, and what a batch's superbills share (a month's statements for every
patient): each provider, patient, payer, coverage list, fee schedule and the code catalog read once,
not once per superbill; and which coverage is primary on a day."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.codes import CodeCatalog
from kettrack.core.enums import CoverageRank
from kettrack.core.line_rules import DEFAULT_PLACE, TELEHEALTH_PLACES, BillingContext, SessionFacts, is_part_b
from kettrack.core.problems import NotFound
from kettrack.core.records import CoverageRecord, InfusionRecord, PatientRecord, PayerRecord, ProviderRecord
from kettrack.core.service_lines import POINTER_LETTERS, ServiceLine
from kettrack.core.superbill import MAX_DIAGNOSES
from kettrack.store.billing import (
    FeeScheduleRepository,
    ServiceLineRepository,
    auths_in_force,
    billed_sessions,
    catalog_in,
    code_overrides_in,
    containers_in,
    fees_in,
    lines_in,
    usual_place_in,
)
from kettrack.store.infusions import records_in
from kettrack.store.models import Coverage, Infusion, Payer, Provider
from kettrack.store.repository import M, R, Repository

if TYPE_CHECKING:
    from kettrack.services.superbills import SuperbillService


class FeesReadOnce(FeeScheduleRepository):
    """The fee schedules, each provider's read once for the whole batch."""

    def __init__(self, fees: FeeScheduleRepository) -> None:
        super().__init__(fees.db)
        self._read: dict[int, dict[str, tuple[Decimal, str]]] = {}

    def for_provider(self, provider_id: int) -> dict[str, tuple[Decimal, str]]:
        if provider_id not in self._read:
            self._read[provider_id] = super().for_provider(provider_id)
        return self._read[provider_id]


class SharedReads:
    """What every superbill of a batch reads and nobody changes while it is assembled: the code list,
    the ICD-10 index, fee schedules, coverages, and the people met so far. Each is read at most once
    per batch (``batch=True``) instead of once per superbill; a single superbill gets a fresh set and
    reads only its own patient's coverages. Sessions and their lines are read for each superbill: they
    are what it is about. Inside ``reading()`` everything is read in that one read session."""

    def __init__(self, service: SuperbillService, *, batch: bool = False) -> None:
        self._service = service
        self._batch = batch
        self._session: Session | None = None
        self._providers: dict[int, ProviderRecord] = {}
        self._patients: dict[int, PatientRecord] = {}
        self._payers: dict[int, PayerRecord] = {}
        self._coverages: dict[int, list[CoverageRecord]] = {}
        self._all_coverages = False
        self._catalog: CodeCatalog | None = None
        self._lines: dict[int, list[ServiceLine]] = {}
        self._held: Sequence[object] = []
        self.skipped = 0  # sessions of a date range left out because a superbill already bills them
        lines = service.lines
        self._fees = FeesReadOnce(lines.fees)
        self.lines = ServiceLineRepository(lines.db, lines.codes, self._fees, lines.session_of)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """One read session for all that is read until it ends (inside another: that one)."""
        if self._session is not None:
            yield self._session
            return
        with self._service.db.reader() as session:
            self._session = session
            try:
                yield session
            finally:
                self._session, self._lines, self._held = None, {}, []

    def _record(self, repository: Repository[R, M], record_id: int) -> R:
        if self._session is None:
            return repository.get(record_id)
        row = self._session.get(repository.model, record_id)
        if row is None:
            raise NotFound(repository.kind, record_id)
        return repository.to_record(row)

    def sessions(self, infusion_ids: Sequence[int]) -> list[InfusionRecord]:
        """These sessions, in this order (a missing one is ``NotFound``)."""
        with self.reading() as session:
            unique = sorted(set(infusion_ids))
            found: dict[int | None, InfusionRecord] = {}
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                found.update((r.id, r) for r in records_in(session, Infusion.id.in_(chunk)))
        for infusion_id in infusion_ids:
            if infusion_id not in found:
                raise NotFound("infusion session", infusion_id)
        return [found[i] for i in infusion_ids]

    def sessions_between(self, patient_id: int, first: date, last: date) -> list[InfusionRecord]:
        """The patient's sessions from ``first`` to ``last``, both included, in no particular order."""
        with self.reading() as session:
            return records_in(
                session,
                Infusion.patient_id == patient_id,
                Infusion.service_date >= first,
                Infusion.service_date <= last,
            )

    def prefetch(self, sessions: Sequence[InfusionRecord], provider_id: int | None) -> None:
        """Read the sessions' lines and the providers they name in two statements, not one each."""
        if self._session is None:
            return
        self._lines = lines_in(self._session, [s.id for s in sessions if s.id is not None])
        named = {provider_id} | {s.provider_id for s in sessions} | {s.clinic_id for s in sessions}
        wanted = sorted(i for i in named if i is not None and i not in self._providers)
        if wanted:  # held in the session's identity map, where ``provider`` finds them
            self._held = self._session.scalars(select(Provider).where(Provider.id.in_(wanted))).all()

    def billed_lines(
        self, session: InfusionRecord, diagnoses: list[str], context: BillingContext | None = None
    ) -> list[ServiceLine]:
        """The session's saved lines (else those proposed), pointing at the superbill's ``diagnoses``."""
        assert session.id is not None
        saved = self._lines[session.id] if session.id in self._lines else self.lines.for_infusion(session.id)
        remapped = []
        for line in saved or self.proposed_lines(session, context):
            letters = ""
            for letter in line.pointers:
                index = POINTER_LETTERS.index(letter)
                if index < len(session.diagnoses) and session.diagnoses[index] in diagnoses:
                    position = diagnoses.index(session.diagnoses[index])
                    if position < MAX_DIAGNOSES:
                        letters += POINTER_LETTERS[position]
            remapped.append(replace(line, pointers=letters))
        return remapped

    def proposed_lines(
        self, record: InfusionRecord, context: BillingContext | None = None
    ) -> list[ServiceLine]:
        """The lines proposed from the session, priced from its provider's or clinic's fees, following
        the rules of the superbill's payer (``context``)."""
        assert record.id is not None
        wanted = [i for i in (record.clinic_id, record.provider_id) if i is not None]
        if self._session is not None and any(i not in self._fees._read for i in wanted):
            self._fees._read.update(fees_in(self._session, wanted))
        return list(
            self.lines.propose(record.id, record=record, catalog=self.catalog(), context=context).lines
        )

    def context(self, sessions: Sequence[InfusionRecord], payer: PayerRecord | None) -> BillingContext:
        """Who the superbill's lines are billed to and what its fee schedules say of their NDCs."""
        with self.reading() as session:
            owners: list[int] = []
            for visit in sessions:
                owners += [
                    i for i in (visit.clinic_id, visit.provider_id) if i is not None and i not in owners
                ]
            payer_kind = payer.kind if payer is not None else None
            # Container types only decide JW/JZ, which only Medicare Part B asks for: no read otherwise.
            containers = containers_in(session, owners) if is_part_b(payer_kind) else {}
            return BillingContext(
                payer_kind=payer_kind,
                containers={ndc: kind for ndc, (kind, _) in containers.items()},
                ndc_owners={ndc: owner for ndc, (_, owner) in containers.items()},
                code_overrides=code_overrides_in(session, payer.id) if payer is not None and payer.id else {},
                # The usual place replaces a telehealth place on in-person lines: read only if one is there.
                usual_place=usual_place_in(session) if self._telehealth(sessions) else DEFAULT_PLACE,
            )

    def _telehealth(self, sessions: Sequence[InfusionRecord]) -> bool:
        """Whether a session, or a saved line of one, is at a telehealth place of service."""
        if any(s.place_of_service in TELEHEALTH_PLACES for s in sessions):
            return True
        if self._session is None:
            return True  # the saved lines were not prefetched (outside a read session): not known here
        saved = (line for s in sessions for line in self._lines.get(s.id or 0, ()))
        return any(line.place_of_service in TELEHEALTH_PLACES for line in saved)

    def authorizations(
        self, patient_id: int, coverage: CoverageRecord | None, lines: Sequence[ServiceLine]
    ) -> list[tuple[int, str]]:
        """(id, number) of the approved prior authorizations in force for these lines."""
        days: dict[date, set[str]] = {}
        for line in lines:
            days.setdefault(line.service_date, set()).add(line.code)
        with self.reading() as session:
            return auths_in_force(session, patient_id, coverage.id if coverage else None, days)

    def billed(self, infusion_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
        """Session id -> (id, number) of the issued superbill (newest version) that bills it."""
        with self.reading() as session:
            return billed_sessions(session, infusion_ids)

    def provider(self, provider_id: int) -> ProviderRecord:
        if provider_id not in self._providers:
            self._providers[provider_id] = self._record(self._service.providers, provider_id)
        return self._providers[provider_id]

    def patient(self, patient_id: int) -> PatientRecord:
        if patient_id not in self._patients:
            self._patients[patient_id] = self._record(self._service.patients, patient_id)
        return self._patients[patient_id]

    def payer(self, payer_id: int) -> PayerRecord:
        if payer_id not in self._payers:
            self._payers[payer_id] = self._record(self._service.payers, payer_id)
        return self._payers[payer_id]

    def coverages(self, patient_id: int) -> list[CoverageRecord]:
        if self._all_coverages or patient_id in self._coverages:
            return self._coverages.get(patient_id, [])
        repository, order = self._service.coverages, self._service.coverages._order()
        if self._session is None:  # the repository reads them all even for one patient
            found = repository.list()
        else:  # a batch reads them all at once, a single superbill its patient's; their payers with them
            query = select(Coverage, Payer).join(Payer, Payer.id == Coverage.payer_id).order_by(*order)
            if not self._batch:
                query = query.where(Coverage.patient_id == patient_id)
            found = []
            for row, payer in self._session.execute(query):
                found.append(repository.to_record(row))
                self._payers.setdefault(payer.id, self._service.payers.to_record(payer))
        self._all_coverages = self._batch or self._session is None
        self._coverages[patient_id] = []
        for coverage in found:
            self._coverages.setdefault(coverage.patient_id, []).append(coverage)
        return self._coverages[patient_id]

    @property
    def catalog_read(self) -> CodeCatalog | None:
        """The code list if it was read (for proposed lines), else None."""
        return self._catalog

    def catalog(self) -> CodeCatalog:
        if self._catalog is None:
            self._catalog = (
                self._service.codes.catalog() if self._session is None else catalog_in(self._session)
            )
        return self._catalog


def primary(coverages: list[CoverageRecord], day: date) -> CoverageRecord | None:
    """The primary coverage in force on ``day`` (else any primary, else the first)."""

    def active(c: CoverageRecord) -> bool:
        started = c.effective_from is None or c.effective_from <= day
        return started and (c.effective_to is None or day <= c.effective_to)

    ranked = sorted(coverages, key=lambda c: (c.rank is not CoverageRank.PRIMARY, not active(c), c.id or 0))
    return ranked[0] if ranked else None


def session_facts(sessions: Sequence[InfusionRecord]) -> dict[int, SessionFacts]:
    """What the line rules need of each session, by id."""
    return {
        s.id: SessionFacts(s.drug, s.route, s.duration_minutes, s.dose_mg)
        for s in sessions
        if s.id is not None
    }
