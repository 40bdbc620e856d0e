"""What one process knows about each open database's audit seals and anchor, what one transaction
changes about them, and the session hooks that apply it: the transaction's seals inserted together
just before it commits (inside it), the config-folder anchor written once it has committed.

Sealing an unsealed tail of the chain (trust on first use) is here too. Which key seals, and when a
transaction's changes are worked out, is ``kettrack.store.audit_anchor``'s business.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, AuditHead, seal_mac, seal_matches, verify_chain
from kettrack.store.audit_anchor_files import (
    AnchorUnreadable,
    ConfigAnchor,
    read_config_anchor,
    write_config_anchor,
)
from kettrack.store.audit_head import entry_of
from kettrack.store.models import AuditLogEntry, AuditSeal

__all__ = ["PENDING_KEY", "UNMATCHED_KEPT", "KnownDatabase", "PendingSeals", "reload_anchor", "seal_tail"]

log = logging.getLogger("kettrack.store.audit_anchor")  # one logger for the seals and anchors

PENDING_KEY = "kettrack.audit_anchor"  # where a session keeps its PendingSeals (``session.info``)
UNMATCHED_KEPT = 20  # missing heads an anchor goes on reporting
_INSERT_SEAL = insert(AuditSeal).prefix_with("OR IGNORE")


@dataclass
class KnownDatabase:
    """One engine's database as this process last saw it committed: id, key, anchor."""

    loaded: bool = False
    database_id: str | None = None
    bad_id: bool = False
    key: bytes | None = None
    anchored: AuditHead | None = None
    unmatched: tuple[AuditHead, ...] = ()
    generation: int = 0
    tail_sealed: bool = False
    display: str = ""  # the database's location as the anchor file names it


def reload_anchor(known: KnownDatabase) -> None:
    """Read this computer's anchor for the database again (another kettrack may have written it)."""
    assert known.database_id is not None
    try:
        anchor = read_config_anchor(known.database_id)
    except AnchorUnreadable:
        log.warning("the audit anchor in the config folder is unreadable; it will be written anew")
        anchor = None
    known.anchored = anchor.head if anchor else None
    known.unmatched = anchor.unmatched if anchor else ()
    known.generation = anchor.generation if anchor else 0


@dataclass
class PendingSeals:
    """What one transaction changes about its database's seals and anchor, applied when it commits."""

    known: KnownDatabase
    database_id: str | None
    key: bytes | None
    display: str
    new_id: bool = False
    anchor_holds: bool = True
    unmatched: tuple[AuditHead, ...] = ()
    tail_sealed: bool = False
    head: AuditHead | None = None
    seals: list[dict[str, object]] = field(default_factory=list)  # written together before the commit

    def committed(self) -> None:
        known = self.known
        if self.new_id:
            known.database_id, known.key, known.bad_id, known.loaded = self.database_id, self.key, False, True
        if self.tail_sealed:
            known.tail_sealed = True
        if self.head is None or self.database_id is None:
            return
        generation = known.generation + 1
        anchor = ConfigAnchor(self.database_id, self.head, self.unmatched, self.display, generation)
        write_config_anchor(anchor)
        known.anchored, known.unmatched, known.generation = anchor.head, anchor.unmatched, generation


def seal_tail(session: Session, key: bytes, last: AuditEntry | None, *, trusted: bool) -> bool:
    """Seal the entries after the last sealed one, up to ``last``, if the chain there verifies (trust
    on first use); True when nothing is left unsealed at the end of the chain."""
    if last is None:
        return True
    last_sealed = session.scalar(select(func.max(AuditSeal.sequence))) or 0
    if last_sealed >= last.sequence:
        return True
    if not trusted:
        log.warning("unsealed audit entries were not sealed: the database does not hold its anchored head")
        return False
    after: AuditEntry | None = None
    if last_sealed:
        found = session.execute(
            select(AuditLogEntry, AuditSeal.mac)
            .join(AuditSeal, AuditSeal.sequence == AuditLogEntry.sequence)
            .where(AuditLogEntry.sequence == last_sealed)
        ).first()
        if found is None or not seal_matches(key, found[0].hash, found[1]):
            log.warning("unsealed audit entries were not sealed: the last sealed entry does not verify")
            return False
        after = entry_of(found[0])
    rows = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.sequence > last_sealed, AuditLogEntry.sequence <= last.sequence)
        .order_by(AuditLogEntry.sequence)
    )
    entries = [entry_of(row) for row in rows]
    if verify_chain(entries, after=after):
        log.warning("unsealed audit entries were not sealed: the chain does not verify (run audit verify)")
        return False
    session.add_all(AuditSeal(sequence=e.sequence, mac=seal_mac(key, e.hash)) for e in entries)
    log.info("sealed %d audit entries that had no seal (trust on first use)", len(entries))
    return True


# --- applying a transaction's changes -------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    pending: PendingSeals | None = session.info.get(PENDING_KEY)
    if pending is None or not pending.seals:
        return
    # All of a transaction's seals in one statement, still inside it: a seal per record() call costs
    # as much again as the entry's own insert. OR IGNORE: where someone deleted entries, their seals
    # may remain at the sequences new entries take; failing the user's change over that would help no
    # one, the old seal stays and verify reports the entry as rewritten. (Files only: no seals on a
    # server database.)
    session.connection().execute(_INSERT_SEAL, pending.seals)  # Core on the connection: no ORM round
    pending.seals = []


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: PendingSeals | None = session.info.pop(PENDING_KEY, None)
    if pending is None:
        return
    try:
        pending.committed()
    except Exception as exc:  # the entries are committed; a missing anchor update is only reported
        log.warning("the audit anchor could not be written to the config folder (%s)", type(exc).__name__)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
