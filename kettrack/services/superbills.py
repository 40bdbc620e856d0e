"""Superbills from the database: gather a patient's sessions, lines, diagnoses, insurance and
payments into a ``Superbill``; check it; issue it as a numbered, versioned PDF kept inside the database
(kettrack.store.documents) in the same transaction as its record, SHA-256 and covered lines. An issued
superbill is never changed: re-issuing writes the next version and marks the old one superseded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kettrack.core.codes import CodeCatalog
from kettrack.core.enums import ProviderKind
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.line_rules import ESKETAMINE_SESSION_CODES, BillingContext, is_part_b
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.records import InfusionRecord, ProviderRecord
from kettrack.core.service_lines import ServiceLine
from kettrack.core.superbill import (
    BillProblem,
    Diagnosis,
    Superbill,
    coverage_warnings,
    preflight,
    rems_site_note,
)
from kettrack.reports.batch import render_superbills
from kettrack.reports.superbill import render_superbill
from kettrack.services.superbill_reads import SharedReads, primary, session_facts
from kettrack.services.superbill_records import (
    IssuedSuperbillRecord,
    PreflightFailed,
    RecordsChanged,
    SuperbillRequest,
    record_of,
)
from kettrack.store import audit, documents
from kettrack.store.billing import CodeRepository, ServiceLineRepository
from kettrack.store.database import Database
from kettrack.store.infusions import InfusionRepository
from kettrack.store.models import IssuedSuperbill, Patient, SuperbillAuthorization, SuperbillLine
from kettrack.store.people import CoverageRepository, PatientRepository, PayerRepository, ProviderRepository

__all__ = [
    "IssuedSuperbillRecord",
    "PreflightFailed",
    "RecordsChanged",
    "SuperbillRequest",
    "SuperbillService",
]


def _claim_notes(
    context: BillingContext, lines: Sequence[ServiceLine], site: ProviderRecord
) -> tuple[str, ...]:
    """What goes in the claim's additional information (item 19 / NTE): for Medicare's G2082/G2083,
    the REMS-certified site and its ZIP (CGS J15 article)."""
    if is_part_b(context.payer_kind) and any(ln.code in ESKETAMINE_SESSION_CODES for ln in lines):
        if site.address.postal_code:
            return (rems_site_note(site),)
    return ()


def _content(bill: Superbill) -> Superbill:
    """The superbill without what issuing itself sets (number, version, date)."""
    return replace(bill, statement_number="", version=1, issued_on=date.min)


class SuperbillService:
    """Assembles, checks and issues superbills."""

    def __init__(
        self,
        db: Database,
        *,
        patients: PatientRepository,
        providers: ProviderRepository,
        payers: PayerRepository,
        coverages: CoverageRepository,
        infusions: InfusionRepository,
        lines: ServiceLineRepository,
        codes: CodeRepository,
        icd: Callable[[], Icd10Releases],
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.patients, self.providers, self.payers = patients, providers, payers
        self.coverages, self.infusions, self.lines, self.codes = coverages, infusions, lines, codes
        self.icd, self.today = icd, today

    # --- gathering ----------------------------------------------------------------------------

    def sessions_for(
        self, request: SuperbillRequest, reads: SharedReads | None = None, *, rebilling: int | None = None
    ) -> list[InfusionRecord]:
        """The request's sessions, by date; read through ``reads`` (in its read session, if one is open).

        A session already on an issued superbill is never put on another: sessions picked by id are
        refused (naming the superbill to re-issue), a patient's date range skips them (``skipped``
        says how many). ``rebilling`` is the superbill being re-issued, whose own sessions are fine."""
        reads = reads or SharedReads(self)
        if request.infusion_ids:
            sessions = reads.sessions(request.infusion_ids)
            billed = {
                i: found
                for i, found in reads.billed([s.id for s in sessions if s.id is not None]).items()
                if found[0] != rebilling
            }
            if billed:
                session_id, (superbill_id, number) = min(billed.items())
                raise InvalidInput.single(
                    "sessions",
                    f"session {session_id} is already on superbill {number}: a session is billed once; "
                    f"re-issue that superbill as a new version (kettrack superbills reissue {superbill_id})",
                )
        else:
            if request.patient_id is None or request.date_from is None or request.date_to is None:
                raise InvalidInput.single("request", "give the patient and the date range, or the sessions")
            if request.date_to < request.date_from:
                raise InvalidInput.single("date_to", "the range ends before it starts")
            sessions = reads.sessions_between(request.patient_id, request.date_from, request.date_to)
            if request.provider_id is not None:
                sessions = [s for s in sessions if request.provider_id in (s.provider_id, s.clinic_id)]
            billed = reads.billed([s.id for s in sessions if s.id is not None])
            reads.skipped = len(billed)
            if billed and len(billed) == len(sessions):
                raise InvalidInput.single(
                    "sessions",
                    f"all {len(billed)} sessions in this range are already on superbills: re-issue those "
                    "instead (kettrack superbills list)",
                )
            sessions = [s for s in sessions if s.id not in billed]
        if not sessions:
            raise InvalidInput.single("sessions", "no sessions match: nothing to put on a superbill")
        if len({s.patient_id for s in sessions}) > 1:
            raise InvalidInput.single(
                "sessions", "a superbill is for one patient: pick sessions of one patient"
            )
        return sorted(sessions, key=lambda s: (s.service_date, s.id or 0))

    def _provider_and_clinic(
        self, sessions: list[InfusionRecord], provider_id: int | None, reads: SharedReads
    ) -> tuple[ProviderRecord, ProviderRecord | None]:
        rendering = {s.provider_id for s in sessions if s.provider_id is not None}
        if provider_id is None:
            if len(rendering) > 1:
                raise InvalidInput.single("provider_id", "the sessions have different providers: choose one")
            if not rendering:
                raise InvalidInput.single(
                    "provider_id", "the sessions have no rendering provider: add one first"
                )
            provider_id = rendering.pop()
        provider = reads.provider(provider_id)
        clinic_ids = {s.clinic_id for s in sessions if s.clinic_id is not None} or (
            {provider.clinic_id} if provider.clinic_id else set()
        )
        clinic = reads.provider(clinic_ids.pop()) if len(clinic_ids) == 1 else None
        if provider.kind is ProviderKind.ORGANIZATION and clinic is None:
            clinic = provider
        return provider, clinic

    def assemble(self, request: SuperbillRequest, *, number: str = "PREVIEW", version: int = 1) -> Superbill:
        return self._assemble(request, number, version, SharedReads(self))[0]

    def skipped(self, request: SuperbillRequest) -> int:
        """How many of a date range's sessions are skipped because a superbill already bills them."""
        if request.infusion_ids or request.patient_id is None or not request.date_from or not request.date_to:
            return 0
        reads = SharedReads(self)
        with reads.reading():
            sessions = reads.sessions_between(request.patient_id, request.date_from, request.date_to)
            if request.provider_id is not None:
                sessions = [s for s in sessions if request.provider_id in (s.provider_id, s.clinic_id)]
            return len(reads.billed([s.id for s in sessions if s.id is not None]))

    def assemble_many(self, requests: Iterable[SuperbillRequest]) -> Iterator[Superbill]:
        """Preview superbills for many requests, one after the other as they are asked for (so a
        caller can render the first while the next are read); what they share is read once."""
        reads = SharedReads(self, batch=True)
        for request in requests:
            yield self._assemble(request, "PREVIEW", 1, reads)[0]

    def _assemble(
        self,
        request: SuperbillRequest,
        number: str,
        version: int,
        reads: SharedReads,
        *,
        rebilling: int | None = None,
    ) -> tuple[Superbill, list[InfusionRecord]]:
        """The superbill and its sessions, all read in one read session."""
        with reads.reading():
            sessions = self.sessions_for(request, reads, rebilling=rebilling)
            reads.prefetch(sessions, request.provider_id)
            patient = reads.patient(sessions[0].patient_id)
            provider, clinic = self._provider_and_clinic(sessions, request.provider_id, reads)
            codes: list[str] = []
            for session in sessions:
                codes += [c for c in session.diagnoses if c not in codes]
            icd = self.icd()
            diagnoses = tuple(Diagnosis(code, icd.describe(code) or "") for code in codes)
            coverage = primary(reads.coverages(patient.id or 0), sessions[-1].service_date)
            payer = reads.payer(coverage.payer_id) if coverage else None
            context = reads.context(sessions, payer)
            lines = [line for session in sessions for line in reads.billed_lines(session, codes, context)]
            auths = reads.authorizations(patient.id or 0, coverage, lines)
            payments = tuple(p for session in sessions for p in session.payments)
            bill = Superbill(
                statement_number=number,
                issued_on=self.today(),
                provider=provider,
                patient=patient,
                lines=tuple(lines),
                diagnoses=diagnoses,
                payments=payments,
                clinic=clinic,
                coverage=coverage,
                payer=payer,
                version=version,
                prior_authorization=", ".join(dict.fromkeys(n for _, n in auths if n)),
                prior_auth_ids=tuple(i for i, _ in auths),
                claim_notes=_claim_notes(context, lines, clinic or provider),
                billing=context,
                sessions=session_facts(sessions),
            )
        return bill, sessions

    def assemble_checked(self, request: SuperbillRequest) -> tuple[Superbill, list[BillProblem]]:
        """A preview superbill and what keeps it from being issued, both from one read session (the
        code list it is checked against is the one it was assembled with)."""
        reads = SharedReads(self)
        with reads.reading():
            bill = self._assemble(request, "PREVIEW", 1, reads)[0]
            return bill, preflight(bill, self.icd(), reads.catalog())

    def code_set_warnings(self, bill: Superbill, how: str | None = None) -> list[str]:
        """Said beside the problems, never blocking: dates of service past the newest ICD-10-CM release
        loaded (their diagnoses were checked against an older release). ``how`` says how to load one."""
        return coverage_warnings(bill, self.icd(), how)

    def check(self, bill: Superbill, catalog: CodeCatalog | None = None) -> list[BillProblem]:
        """What keeps ``bill`` from being issued, against the code list as it is now (or ``catalog``).

        No state is kept between ``assemble`` and ``check``: the service is shared by the window's
        database worker and the command line, and a code list remembered from an earlier read could be
        stale."""
        return preflight(bill, self.icd(), catalog or self.codes.catalog())

    # --- issuing ------------------------------------------------------------------------------

    def _issued_this_year(self) -> int:
        year = self.today().year
        with self.db.reader() as session:
            issued = session.scalar(
                select(func.count(func.distinct(IssuedSuperbill.number))).where(
                    IssuedSuperbill.number.like(f"SB-{year}-%")
                )
            )
        return int(issued or 0)

    def _number(self, sequence: int) -> str:
        return f"SB-{self.today().year}-{sequence:06d}"

    def issue(
        self,
        request: SuperbillRequest,
        *,
        draft: bool = False,
        replaces: int | None = None,
        expected: Superbill | None = None,
    ) -> IssuedSuperbillRecord:
        """Check, render, store and record a superbill; an incomplete one only as a draft.

        ``expected`` is the superbill the person looked at: if the records changed since, nothing is
        issued (``RecordsChanged``), so what goes out is what was checked.
        """
        previous = self._row(replaces) if replaces is not None else None
        number = previous.number if previous else self._number(self._issued_this_year() + 1)
        version = previous.version + 1 if previous else 1
        reads = SharedReads(self)  # the sessions read once: assembled and locked below alike
        bill, sessions = self._assemble(
            request, number, version, reads, rebilling=previous.id if previous else None
        )
        if expected is not None and _content(bill) != _content(expected):
            raise RecordsChanged()
        problems = self.check(bill, reads.catalog())
        if problems and not draft:
            raise PreflightFailed(problems)
        keep = self._lines_to_keep(sessions, bill.billing)
        pdf = render_superbill(bill, draft=draft)
        # The PDF, the record and the lines it prints commit together or not at all.
        with self.db.session() as session:
            self._write_lines(session, keep)
            new_id = self._store(session, bill, pdf, sessions, draft=draft, previous=previous)
        return replace(self.get(new_id), skipped=reads.skipped)

    def issue_many(
        self, requests: Sequence[SuperbillRequest], *, draft: bool = False, workers: int | None = None
    ) -> list[IssuedSuperbillRecord]:
        """Issue a new superbill for each request (a month's statements for every patient, say):
        all of them or none.

        Every superbill is checked first: if any is incomplete (and these are not drafts), nothing is
        issued and ``PreflightFailed`` lists each problem after its patient's name. The PDFs are drawn
        on every core while the next superbills are still being read from the database, and the whole
        batch (PDFs, records, covered lines, audit entries) is written in one transaction.
        """
        if not requests:
            return []
        reads = SharedReads(self, batch=True)
        first = self._issued_this_year() + 1
        assembled: list[tuple[Superbill, list[InfusionRecord]]] = []
        problems: list[BillProblem] = []

        def checked() -> Iterator[Superbill]:
            for offset, request in enumerate(requests):
                bill, sessions = self._assemble(request, self._number(first + offset), 1, reads)
                found = [] if draft else self.check(bill, reads.catalog())
                problems.extend(
                    replace(problem, message=f"{bill.patient.legal_name}: {problem.message}")
                    for problem in found
                )
                assembled.append((bill, sessions))
                if not problems:  # after the first refusal the rest are only checked, not drawn
                    yield bill

        pdfs = render_superbills(checked(), draft=draft, workers=workers)
        if problems:
            raise PreflightFailed(problems)
        keep = [kept for bill, sessions in assembled for kept in self._lines_to_keep(sessions, bill.billing)]
        with self.db.session() as session:
            self._write_lines(session, keep)
            ids = [
                self._store(session, bill, pdf, sessions, draft=draft)
                for (bill, sessions), pdf in zip(assembled, pdfs, strict=True)
            ]
        return self._records(ids, reads)

    def _lines_to_keep(
        self, sessions: Iterable[InfusionRecord], context: BillingContext
    ) -> list[tuple[int, list[ServiceLine]]]:
        """The proposed lines to save for sessions that have none saved (saved ones are kept as they
        are), checked now and written with the superbill, so a failed issue saves nothing."""
        keep = []
        for infusion_id in dict.fromkeys(visit.id for visit in sessions):
            assert infusion_id is not None
            proposal = self.lines.proposal_to_keep(infusion_id, context)
            if proposal is not None:
                keep.append((infusion_id, proposal))
        return keep

    def _write_lines(self, session: Session, keep: list[tuple[int, list[ServiceLine]]]) -> None:
        for infusion_id, lines in keep:
            self.lines.write_lines(session, infusion_id, lines)
        session.flush()  # the superbill's covered lines are read back in this transaction

    def _store(
        self,
        session: Session,
        bill: Superbill,
        pdf: bytes,
        sessions: list[InfusionRecord],
        *,
        draft: bool,
        previous: IssuedSuperbill | None = None,
    ) -> int:
        """Write an issued superbill (its PDF, record, covered lines and audit entry) in ``session``."""
        number, version = bill.statement_number, bill.version
        period = bill.period or (bill.issued_on, bill.issued_on)
        row = IssuedSuperbill(
            number=number,
            version=version,
            patient_id=bill.patient.id,
            provider_id=bill.provider.id,
            clinic_id=bill.clinic.id if bill.clinic else None,
            coverage_id=bill.coverage.id if bill.coverage else None,
            date_from=period[0],
            date_to=period[1],
            issued_at=datetime.now(UTC),
            draft=draft,
            file_name=f"{number}-v{version}{'-DRAFT' if draft else ''}.pdf",
            sha256=documents.put(session, pdf, documents.PDF),
            total_charges=bill.total_charges,
            total_paid=bill.total_paid,
        )
        session.add(row)
        session.flush()
        line_ids = self.lines.line_ids(session, [v.id for v in sessions if v.id is not None])
        session.add_all(SuperbillLine(superbill_id=row.id, service_line_id=i) for i in line_ids)
        session.add_all(SuperbillAuthorization(superbill_id=row.id, auth_id=i) for i in bill.prior_auth_ids)
        if previous is not None:
            old = session.get(IssuedSuperbill, previous.id)
            assert old is not None
            old.superseded_by_id = row.id
        audit.record(session, "issue", "superbill", row.id, f"{row.number} version {row.version}")
        return row.id

    def reissue(self, superbill_id: int, *, draft: bool = False) -> IssuedSuperbillRecord:
        """A new version of an issued superbill from the current data; the old one is kept."""
        old = self._row(superbill_id)
        if old.superseded_by_id is not None:
            raise InvalidInput.single("id", "a newer version of this superbill exists: re-issue that one")
        with self.db.reader() as session:
            from kettrack.store.models import ServiceLine as LineRow

            infusion_ids = tuple(
                sorted(
                    set(
                        session.scalars(
                            select(LineRow.infusion_id)
                            .join(SuperbillLine, SuperbillLine.service_line_id == LineRow.id)
                            .where(SuperbillLine.superbill_id == superbill_id)
                        )
                    )
                )
            )
        return self.issue(
            SuperbillRequest(infusion_ids=infusion_ids, provider_id=old.provider_id),
            draft=draft,
            replaces=old.id,
        )

    def pdf(self, superbill_id: int) -> bytes:
        """The issued PDF, checked against its recorded SHA-256."""
        with self.db.reader() as session:
            row = session.get(IssuedSuperbill, superbill_id)
            if row is None:
                raise NotFound("superbill", superbill_id)
            return documents.content(session, row.sha256, f"superbill {row.number} version {row.version}")

    def _row(self, superbill_id: int) -> IssuedSuperbill:
        with self.db.reader() as session:
            row = session.get(IssuedSuperbill, superbill_id)
            if row is None:
                raise NotFound("superbill", superbill_id)
            session.expunge(row)
            return row

    def _records(self, ids: Sequence[int], reads: SharedReads) -> list[IssuedSuperbillRecord]:
        """The records of these issued superbills, in this order, in a few queries for any number."""
        rows: dict[int, IssuedSuperbill] = {}
        names: dict[int, str] = {}
        with self.db.reader() as session:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                rows.update(
                    (row.id, row)
                    for row in session.scalars(select(IssuedSuperbill).where(IssuedSuperbill.id.in_(chunk)))
                )
            patient_ids = sorted({row.patient_id for row in rows.values()})
            for start in range(0, len(patient_ids), 500):
                found = session.execute(
                    select(Patient.id, Patient.legal_name).where(
                        Patient.id.in_(patient_ids[start : start + 500])
                    )
                )
                names.update((patient_id, name) for patient_id, name in found)
            return [
                record_of(
                    rows[i],
                    names.get(rows[i].patient_id, ""),
                    reads.provider(rows[i].provider_id).display_name,
                )
                for i in ids
                if i in rows
            ]

    def list(self, patient_id: int | None = None) -> list[IssuedSuperbillRecord]:
        with self.db.reader() as session:
            query = select(IssuedSuperbill.id).order_by(
                IssuedSuperbill.issued_at.desc(), IssuedSuperbill.id.desc()
            )
            if patient_id is not None:
                query = query.where(IssuedSuperbill.patient_id == patient_id)
            ids = list(session.scalars(query))
        return self._records(ids, SharedReads(self, batch=True))

    def get(self, superbill_id: int) -> IssuedSuperbillRecord:
        with self.db.reader() as session:
            row = session.get(IssuedSuperbill, superbill_id)
            if row is None:
                raise NotFound("superbill", superbill_id)
            patient_name = (
                session.scalar(select(Patient.legal_name).where(Patient.id == row.patient_id)) or ""
            )
            return record_of(row, patient_name, self.providers.get(row.provider_id).display_name)
