"""A workspace: an open database with its repositories and the ICD-10-CM releases, as the window and
the command line use it. The index loads lazily (and thread-safely) the first time it is needed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kettrack.core.icd10 import load_index
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.store.billing import CodeRepository, FeeScheduleRepository, ServiceLineRepository
from kettrack.store.database import Database
from kettrack.store.infusions import InfusionRepository
from kettrack.store.location import cache_dir
from kettrack.store.people import (
    CoverageRepository,
    PatientRepository,
    PayerRepository,
    ProviderRepository,
    TreatmentRepository,
)
from kettrack.store.settings import SettingsRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kettrack.core.enums import UserRole
    from kettrack.services.claims import ClaimService
    from kettrack.services.letters import AppealService
    from kettrack.services.superbills import SuperbillService
    from kettrack.store.claim_views import ClaimViews
    from kettrack.store.prior_auths import PriorAuthRepository, ReasonCodeRepository


class Workspace:
    """Everything the window and the command line need from an open database."""

    def __init__(
        self, db: Database, *, icd_cache: Path | None = None, today: Callable[[], date] = date.today
    ) -> None:
        self.db = db
        self.today = today
        self._icd_cache = icd_cache
        self._icd: Icd10Releases | None = None
        self._icd_lock = threading.Lock()
        self.patients = PatientRepository(db, today)
        self.providers = ProviderRepository(db, today)
        self.payers = PayerRepository(db, today)
        self.coverages = CoverageRepository(db, today)
        self.treatments = TreatmentRepository(db, today)
        self.infusions = InfusionRepository(db, self.icd10, today)
        self.settings = SettingsRepository(db, on_role_change=self._role_changed)
        self.codes = CodeRepository(db)
        self.fees = FeeScheduleRepository(db)
        self.service_lines = ServiceLineRepository(db, self.codes, self.fees, self.infusions.get)
        # What opening found worth saying once (documents moved in from an old folder, say).
        self.notices: list[str] = []
        if not db.read_only:
            self._adopt_old_documents()
            from kettrack.store.audit_anchor import seal_on_open

            # Entries written before seals existed (or while the key was away) are sealed once here;
            # it never raises and does nothing on a server database.
            seal_on_open(db)
            # Claims derived by an older kettrack (a database just upgraded) get today's next steps once.
            from kettrack.services.claims import ClaimService

            ClaimService(db, today=self.today).rederive_if_outdated()

    def _adopt_old_documents(self) -> None:
        """Move the files of the old ``<database>-documents/`` folder (kettrack before documents lived in
        the database) in, checked against their recorded hashes; the folder itself is left alone."""
        from kettrack.store.documents import adopt_folder
        from kettrack.store.location import legacy_documents_dir

        folder = legacy_documents_dir(self.db.target)
        if not folder.is_dir():
            return  # the usual case, decided without touching the database
        with self.db.session() as session:
            adopted = adopt_folder(session, folder)
            if adopted is not None and adopted.moved:
                from kettrack.store import audit

                audit.record(session, "import", "documents", None, f"{adopted.moved} documents moved in")
        if adopted is not None:
            self.notices.append(adopted.describe())

    @cached_property
    def superbills(self) -> SuperbillService:
        """Built on first use: it brings in ReportLab, which start-up does not need."""
        from kettrack.services.superbills import SuperbillService

        return SuperbillService(
            self.db,
            patients=self.patients,
            providers=self.providers,
            payers=self.payers,
            coverages=self.coverages,
            infusions=self.infusions,
            lines=self.service_lines,
            codes=self.codes,
            icd=self.icd10,
            today=self.today,
        )

    # Claims are built on first use too: start-up shows the window before it needs them.
    @cached_property
    def claims(self) -> ClaimService:
        from kettrack.services.claims import ClaimService

        return ClaimService(self.db, today=self.today)

    @cached_property
    def claim_views(self) -> ClaimViews:
        from kettrack.store.claim_views import ClaimViews

        return ClaimViews(self.db, today=self.today)

    @cached_property
    def appeals(self) -> AppealService:
        from kettrack.services.letters import AppealService

        return AppealService(
            self.db,
            claims=self.claims,
            views=self.claim_views,
            patients=self.patients,
            providers=self.providers,
            payers=self.payers,
            coverages=self.coverages,
            treatments=self.treatments,
            infusions=self.infusions,
            reason_codes=self.reason_codes,
            icd=self.icd10,
            today=self.today,
        )

    @cached_property
    def auths(self) -> PriorAuthRepository:
        from kettrack.store.prior_auths import PriorAuthRepository

        return PriorAuthRepository(self.db, today=self.today, on_change=self._auths_changed)

    @cached_property
    def reason_codes(self) -> ReasonCodeRepository:
        from kettrack.store.prior_auths import ReasonCodeRepository

        return ReasonCodeRepository(self.db)

    # A claim's stored next step depends on the role and the authorizations on file: a change of either
    # re-derives the claims it can affect, in the transaction that made it.
    def _role_changed(self, session: Session, role: UserRole | None) -> None:
        from kettrack.services.claim_derivation import rederive_in

        rederive_in(session, self.today(), role=role)

    def _auths_changed(self, session: Session, patient_id: int) -> None:
        from kettrack.services.claim_derivation import rederive_in

        rederive_in(session, self.today(), patient_id=patient_id)

    @classmethod
    def open(cls, location: str | Path | None = None, *, create: bool = True, **kwargs: object) -> Workspace:
        """``create`` False: a path with no database is refused (DatabaseMissing), nothing is made."""
        return cls(Database.open(location, create=create), **kwargs)  # type: ignore[arg-type]

    def icd10(self) -> Icd10Releases:
        """The ICD-10-CM releases: the bundled one and those loaded into the database, each in force for
        its own dates of service. The first call may take seconds (call it off the GUI thread)."""
        with self._icd_lock:
            if self._icd is None:
                from kettrack.store.code_sets import CodeSetRepository

                bundled = load_index(self._icd_cache or cache_dir())
                self._icd = Icd10Releases([bundled, *CodeSetRepository(self.db).indexes()])
            return self._icd

    def forget_icd10(self) -> None:
        """Read the releases again at the next use (after one was loaded or removed)."""
        with self._icd_lock:
            self._icd = None

    @property
    def icd10_loaded(self) -> bool:
        return self._icd is not None

    def close(self) -> None:
        self.db.close()
