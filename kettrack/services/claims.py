"""The claims use cases: create claims from issued superbills, record their events (append-only),
attachments and payer rules, and keep each claim's derived state, money and next deadline in step
with its events.

The events are the truth. Every write ends in ``claim_derivation.refresh``, the one place that folds a
claim's events (``kettrack.core.claim_states``) and derives its deadlines
(``kettrack.core.claim_deadlines``) into the columns the tables sort on; ``invariant_problems`` checks
the two still agree. Beside this module: ``claim_creation`` (a new claim's lines and links),
``claim_events`` (checking and appending an event), ``claim_derivation`` and ``claim_invariants``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from kettrack.core.claim_states import ClaimState, CloseReason, EventKind
from kettrack.core.claims import ZERO, AttachmentInfo, ClaimEvent, NewClaim, NewEvent
from kettrack.core.deadlines import PayerRules
from kettrack.core.eob_outcome import denial_amounts, eob_kind
from kettrack.core.payer_rules import RuleOverrides, check_overrides
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.validation import text_problem
from kettrack.services import claim_invariants
from kettrack.services.claim_creation import check_links, lines_for
from kettrack.services.claim_derivation import DERIVATION, derive, rederive_in, refresh
from kettrack.services.claim_events import ClaimChanged, actor, append_event, check_event
from kettrack.store import audit, documents, settings
from kettrack.store.attachments import IncomingFile, read_in
from kettrack.store.billing import superbill_auth_ids
from kettrack.store.claim_records import attachment_of, payer_rules
from kettrack.store.database import Database
from kettrack.store.models import (
    Claim,
    ClaimAttachment,
    ClaimAuthorization,
    ClaimLineEntry,
    Coverage,
    Payer,
    PayerRuleOverride,
)

__all__ = ["ClaimChanged", "ClaimService"]


class ClaimService:
    """Claims, their events, attachments and payer rules."""

    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # --- payer rules ------------------------------------------------------------------------------

    def rules(self, payer_id: int) -> tuple[PayerRules, RuleOverrides]:
        """The rules a payer's deadlines follow, and what the user changed of its kind's defaults."""
        with self.db.reader() as session:
            row = session.get(PayerRuleOverride, payer_id)
            return payer_rules(session, payer_id), RuleOverrides.from_json(
                row.overrides
            ) if row else RuleOverrides()

    def set_rules(self, payer_id: int, overrides: RuleOverrides) -> int:
        """Save a payer's rules and re-derive the deadlines of its open claims; returns how many."""
        with self.db.session() as session:
            payer = session.get(Payer, payer_id)
            if payer is None:
                raise NotFound("payer", payer_id)
            check_overrides(payer.kind, overrides)
            row = session.get(PayerRuleOverride, payer_id)
            if row is None:
                session.add(PayerRuleOverride(payer_id=payer_id, overrides=overrides.to_json()))
            else:
                row.overrides = overrides.to_json()
            session.flush()
            claims = session.scalars(
                select(Claim).where(Claim.payer_id == payer_id, Claim.closed == false())
            ).all()
            for claim in claims:
                refresh(session, claim, self.today())
            audit.record(session, "update", "payer", payer_id, "filing, appeal and follow-up rules")
            return len(claims)

    # --- creating -------------------------------------------------------------------------------

    def create(self, new: NewClaim) -> int:
        """A draft claim for the lines of a superbill (or the lines given); returns its id."""
        with self.db.session() as session:
            coverage = session.get(Coverage, new.coverage_id)
            if coverage is None:
                raise InvalidInput.single("coverage", f"there is no coverage with id {new.coverage_id}")
            if problem := text_problem(new.note, max_len=2000, multiline=True):
                raise InvalidInput.single("note", problem)
            lines = lines_for(session, new, coverage)
            replaced = check_links(session, new, coverage)
            claim = Claim(
                number="",
                patient_id=coverage.patient_id,
                coverage_id=coverage.id,
                payer_id=coverage.payer_id,
                superbill_id=new.superbill_id,
                replaces_id=new.replaces_id,
                primary_claim_id=new.primary_claim_id,
                filer=new.filer,
                method=new.method,
                first_service=min(line.service_date for line in lines),
                last_service=max(line.service_date for line in lines),
                billed=sum((line.charge for line in lines), ZERO),
                state=ClaimState.DRAFT,
            )
            session.add(claim)
            session.flush()
            claim.number = f"CL-{claim.id:06d}"
            if new.superbill_id is not None:  # the authorizations the superbill printed go with the claim
                auth_ids = superbill_auth_ids(session, new.superbill_id)
                session.add_all(ClaimAuthorization(claim_id=claim.id, auth_id=i) for i in auth_ids)
            for position, line in enumerate(lines):
                session.add(
                    ClaimLineEntry(
                        claim_id=claim.id,
                        position=position,
                        service_line_id=line.service_line_id,
                        service_date=line.service_date,
                        code=line.code,
                        modifiers=line.modifiers,
                        units=line.units,
                        charge=line.charge,
                    )
                )
            if new.note:
                append_event(session, claim, NewEvent(EventKind.NOTE, self.today(), note=new.note), 0)
            if replaced is not None and not replaced.closed:
                note = f"Replaced by corrected claim {claim.number}"
                event = NewEvent(EventKind.CLOSED, self.today(), note=note, close_reason=CloseReason.REPLACED)
                append_event(session, replaced, event, replaced.event_count)
                refresh(session, replaced, self.today())
            refresh(session, claim, self.today())
            audit.record(
                session, "create", "claim", claim.id, f"{claim.number} for patient {claim.patient_id}"
            )
            return claim.id

    # --- events ---------------------------------------------------------------------------------

    def record(
        self,
        claim_id: int,
        event: NewEvent,
        *,
        expected_events: int | None = None,
        attachments: Sequence[tuple[Path, str]] = (),
    ) -> int:
        """Append ``event`` (with files to attach) to a claim; returns the event id.

        ``expected_events`` is the number of events the person saw: if someone recorded another one
        meanwhile, nothing is written and ClaimChanged says so.
        """
        incoming = [read_in(path, description) for path, description in attachments]
        # The files are kept inside the database, in the event's transaction: both or neither.
        with self.db.session() as session:
            event_id = self.record_in(session, claim_id, event, expected_events=expected_events)
            for item in incoming:
                session.add(_attachment_row(session, claim_id, event_id, item))
            return event_id

    def with_outcome(self, claim_id: int, event: NewEvent, *, stated: EventKind | None = None) -> NewEvent:
        """``event`` as it is to be recorded, for an EOB or a denial: decided here for both faces
        (kettrack.core.eob_outcome). A denial records paid 0.00; an EOB is paid in full or partly paid
        as the person ``stated``, else from its amounts against what is still open on the claim."""
        if event.kind is EventKind.DENIED:
            return replace(event, amounts=denial_amounts(event.amounts.allowed))
        if event.kind not in (EventKind.PAID, EventKind.PARTIALLY_PAID):
            return event
        with self.db.reader() as session:
            claim = session.get(Claim, claim_id)
            if claim is None:
                raise NotFound("claim", claim_id)
            outstanding = claim.billed - claim.paid
        return replace(event, kind=eob_kind(outstanding, event.amounts, event.adjustments, stated))

    def record_in(
        self, session: Session, claim_id: int, event: NewEvent, *, expected_events: int | None = None
    ) -> int:
        """Check and append ``event`` inside the caller's unit of work (the appeal letter's issuing
        writes its letter row in the same transaction), then re-derive the claim; returns the event id."""
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise NotFound("claim", claim_id)
        if expected_events is not None and claim.event_count != expected_events:
            raise ClaimChanged()
        checked = check_event(session, claim, event, self.today())
        event_id = append_event(session, claim, checked, claim.event_count)
        refresh(session, claim, self.today())
        audit.record(session, "update", "claim", claim.id, f"event {checked.kind.value} recorded")
        return event_id

    def attach(self, claim_id: int, path: Path, description: str = "") -> AttachmentInfo:
        """Keep a file with a claim without recording an event (an EOB found later, say)."""
        if problem := text_problem(description, max_len=200):
            raise InvalidInput.single("description", problem)
        item = read_in(path, description)
        with self.db.session() as session:
            if session.get(Claim, claim_id) is None:
                raise NotFound("claim", claim_id)
            row = _attachment_row(session, claim_id, None, item)
            session.add(row)
            session.flush()
            audit.record(session, "update", "claim", claim_id, f"file attached ({item.media_type})")
            return attachment_of(row)

    def attachment_content(self, attachment_id: int) -> tuple[str, bytes]:
        """An attachment's original name and bytes, checked against its recorded SHA-256."""
        with self.db.reader() as session:
            row = session.get(ClaimAttachment, attachment_id)
            if row is None:
                raise NotFound("attachment", attachment_id)
            return row.original_name, documents.content(
                session, row.sha256, f"attachment {row.original_name!r}"
            )

    # --- deriving -------------------------------------------------------------------------------

    def _derive(
        self, rules: PayerRules, claim: Claim, events: list[ClaimEvent], service_dates: list[date]
    ) -> dict[str, object]:
        """The derived columns as of this service's today (the claims benchmark seeds with it)."""
        return derive(rules, claim, events, service_dates, self.today())

    def rederive(self, claim_ids: Sequence[int] | None = None, *, patient_id: int | None = None) -> int:
        """Re-derive the stored next step (and state and money) of the given open claims, of one
        patient's, or of every open claim: what is stored depends on more than the events (the user's
        role, the prior authorizations on file, kettrack's own rules after an upgrade). Returns how
        many. The role and authorization changes do this themselves, in their own transaction."""
        with self.db.session() as session:
            return rederive_in(session, self.today(), claim_ids=claim_ids, patient_id=patient_id)

    def rederive_if_outdated(self) -> int | None:
        """Re-derive every claim once when what is stored was derived by an older kettrack (one
        before this DERIVATION: after an upgrade, say), and record that it was; returns how many, or
        None when there was nothing to do. A database without claims is left untouched."""
        with self.db.reader() as session:
            if settings.read_value(session, settings.DERIVED_BY) == DERIVATION:
                return None
            if session.scalar(select(Claim.id).limit(1)) is None:
                return None
        with self.db.session() as session:
            count = rederive_in(session, self.today(), open_only=False)
            settings.write_value(session, settings.DERIVED_BY, DERIVATION)
            return count

    def invariant_problems(self) -> list[str]:
        """Claims whose stored state, money or event count differ from what their events say, and
        attachments whose content is missing or changed. Empty when all is well."""
        return claim_invariants.invariant_problems(self.db)


def _attachment_row(
    session: Session, claim_id: int, event_id: int | None, item: IncomingFile
) -> ClaimAttachment:
    return ClaimAttachment(
        claim_id=claim_id,
        event_id=event_id,
        file_name=item.stored_name,
        original_name=item.original_name,
        media_type=item.media_type,
        size=item.size,
        sha256=documents.put(session, item.content, item.media_type),
        description=item.description,
        added_by=actor(),
    )
