"""Prior authorizations (requested, decided, valid dates, approved codes and units, linked to the
claims they cover) and the user's own claim adjustment reason and remark codes.

A claim's stored next step cites the authorization on file (kettrack.core.denial_triage): adding or
linking one calls the ``on_change`` the workspace gives (re-deriving that patient's claims) in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kettrack.core.claims import NewPriorAuth, PriorAuthInfo
from kettrack.core.enums import AuthStatus
from kettrack.core.problems import InvalidInput, NotFound, Problem
from kettrack.core.reason_codes import ReasonCode, check_reason_code, starter_codes
from kettrack.core.validation import plausible_date_problem, text_problem
from kettrack.store.claim_records import auth_of
from kettrack.store.database import Database
from kettrack.store.models import Claim, ClaimAuthorization, Coverage, PriorAuthorization, ReasonCodeEntry

# Called inside the transaction that added or linked an authorization, with its patient's id.
AuthsChanged = Callable[[Session, int], object]


class PriorAuthRepository:
    def __init__(
        self,
        db: Database,
        today: Callable[[], date] = date.today,
        *,
        on_change: AuthsChanged | None = None,
    ) -> None:
        self.db = db
        self.today = today
        self.on_change = on_change

    def _changed(self, session: Session, patient_id: int) -> None:
        if self.on_change is not None:
            session.flush()
            self.on_change(session, patient_id)

    # --- prior authorizations -----------------------------------------------------------------------

    def add_auth(self, new: NewPriorAuth) -> int:
        problems: list[Problem] = []
        for name, value, size in (("auth_number", new.auth_number, 50), ("codes", new.codes, 100)):
            if problem := text_problem(value, max_len=size):
                problems.append(Problem(name, problem))
        for name, day in (
            ("requested_on", new.requested_on),
            ("decided_on", new.decided_on),
            ("valid_from", new.valid_from),
            ("valid_to", new.valid_to),
        ):
            if day is not None and (problem := plausible_date_problem(day, self.today())):
                problems.append(Problem(name, problem))
        if new.valid_from and new.valid_to and new.valid_to < new.valid_from:
            problems.append(Problem("valid_to", "ends before it starts"))
        if new.units is not None and new.units < 1:
            problems.append(Problem("units", "at least 1"))
        if new.status is AuthStatus.APPROVED and new.valid_to is None:
            problems.append(Problem("valid_to", "an approved authorization has a last valid day"))
        if problems:
            raise InvalidInput(problems)
        with self.db.session() as session:
            coverage = session.get(Coverage, new.coverage_id)
            if coverage is None:
                raise InvalidInput.single("coverage", f"there is no coverage with id {new.coverage_id}")
            row = PriorAuthorization(
                patient_id=coverage.patient_id,
                coverage_id=coverage.id,
                auth_number=new.auth_number.strip(),
                status=new.status,
                requested_on=new.requested_on,
                decided_on=new.decided_on,
                codes=" ".join(new.codes.upper().split()),
                units=new.units,
                valid_from=new.valid_from,
                valid_to=new.valid_to,
                notes=new.notes,
            )
            session.add(row)
            session.flush()
            for claim_id in new.claim_ids:
                self._link(session, claim_id, row)
            self._changed(session, row.patient_id)
            return row.id

    def _link(self, session: Session, claim_id: int, auth: PriorAuthorization) -> None:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise InvalidInput.single("claim", f"there is no claim with id {claim_id}")
        if claim.patient_id != auth.patient_id:
            raise InvalidInput.single("claim", "the authorization is for another patient")
        if session.get(ClaimAuthorization, (claim_id, auth.id)) is None:
            session.add(ClaimAuthorization(claim_id=claim_id, auth_id=auth.id))

    def link_auth(self, claim_id: int, auth_id: int) -> None:
        with self.db.session() as session:
            auth = session.get(PriorAuthorization, auth_id)
            if auth is None:
                raise NotFound("prior authorization", auth_id)
            self._link(session, claim_id, auth)
            self._changed(session, auth.patient_id)

    def auths(self, patient_id: int | None = None) -> list[PriorAuthInfo]:
        with self.db.reader() as session:
            query = select(PriorAuthorization).order_by(PriorAuthorization.id)
            if patient_id is not None:
                query = query.where(PriorAuthorization.patient_id == patient_id)
            rows = session.scalars(query).all()
            links: dict[int, list[int]] = {}
            for claim_id, auth_id in session.execute(
                select(ClaimAuthorization.claim_id, ClaimAuthorization.auth_id)
            ):
                links.setdefault(auth_id, []).append(claim_id)
            return [auth_of(r, links.get(r.id, ())) for r in rows]


class ReasonCodeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reason codes -------------------------------------------------------------------------------

    def reason_codes(self) -> list[ReasonCode]:
        """The starter CARCs and RARCs with the user's own codes (which win on the same code)."""
        codes = {(c.code, c.kind): c for c in starter_codes()}
        with self.db.reader() as session:
            for row in session.scalars(select(ReasonCodeEntry)):
                codes[(row.code, row.kind)] = ReasonCode(row.code, row.kind, row.description, user_added=True)
        return sorted(codes.values(), key=lambda c: (c.kind, len(c.code), c.code))

    def add_reason_code(self, code: str, kind: str, description: str) -> ReasonCode:
        checked = check_reason_code(code, kind, description)
        with self.db.session() as session:
            row = session.get(ReasonCodeEntry, (checked.code, checked.kind))
            if row is None:
                session.add(
                    ReasonCodeEntry(code=checked.code, kind=checked.kind, description=checked.description)
                )
            else:
                row.description = checked.description
        return checked
