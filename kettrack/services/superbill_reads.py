"""Reads shared by the superbills of one batch (a month's statements for every patient): each
provider, patient, payer, coverage list, fee schedule and the code catalog read once, not once per
superbill; and which coverage is primary on a day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from kettrack.core.codes import CodeCatalog
from kettrack.core.enums import CoverageRank
from kettrack.core.records import CoverageRecord, PatientRecord, PayerRecord, ProviderRecord
from kettrack.store.billing import FeeScheduleRepository, ServiceLineRepository

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
    per batch instead of once per superbill (a single superbill gets a fresh set, so it reads what it
    always did). Sessions and their lines are read for each superbill: they are what it is about."""

    def __init__(self, service: SuperbillService) -> None:
        self._service = service
        self._providers: dict[int, ProviderRecord] = {}
        self._patients: dict[int, PatientRecord] = {}
        self._payers: dict[int, PayerRecord] = {}
        self._coverages: dict[int, list[CoverageRecord]] | None = None
        self._catalog: CodeCatalog | None = None
        lines = service.lines
        self.lines = ServiceLineRepository(lines.db, lines.codes, FeesReadOnce(lines.fees), lines.session_of)

    def provider(self, provider_id: int) -> ProviderRecord:
        if provider_id not in self._providers:
            self._providers[provider_id] = self._service.providers.get(provider_id)
        return self._providers[provider_id]

    def patient(self, patient_id: int) -> PatientRecord:
        if patient_id not in self._patients:
            self._patients[patient_id] = self._service.patients.get(patient_id)
        return self._patients[patient_id]

    def payer(self, payer_id: int) -> PayerRecord:
        if payer_id not in self._payers:
            self._payers[payer_id] = self._service.payers.get(payer_id)
        return self._payers[payer_id]

    def coverages(self, patient_id: int) -> list[CoverageRecord]:
        if self._coverages is None:  # the repository reads them all even for one patient
            self._coverages = {}
            for coverage in self._service.coverages.list():
                self._coverages.setdefault(coverage.patient_id, []).append(coverage)
        return self._coverages.get(patient_id, [])

    def catalog(self) -> CodeCatalog:
        if self._catalog is None:
            self._catalog = self._service.codes.catalog()
        return self._catalog


def primary(coverages: list[CoverageRecord], day: date) -> CoverageRecord | None:
    """The primary coverage in force on ``day`` (else any primary, else the first)."""

    def active(c: CoverageRecord) -> bool:
        started = c.effective_from is None or c.effective_from <= day
        return started and (c.effective_to is None or day <= c.effective_to)

    ranked = sorted(coverages, key=lambda c: (c.rank is not CoverageRank.PRIMARY, not active(c), c.id or 0))
    return ranked[0] if ranked else None
