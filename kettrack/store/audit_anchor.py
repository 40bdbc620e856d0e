"""Tamper evidence for the audit log that the database file cannot forge.

The hash chain (``kettrack.core.audit``) and the append-only triggers stop nobody who has the file
and an SQLite tool: drop the triggers, delete the last entries, or alter one and recompute every hash
after it, and the chain verifies again. Two kinds of evidence live outside the file:

**Seals.** Every entry gets an HMAC-SHA256 of its hash (table ``audit_seals``) under a key the file
does not hold: a random 32-byte key per database, the database named by a random UUID kept in
``app_settings`` (``database_id``, made on the first write that needs it). The key is kept in the
system keyring where kettrack trusts one (``kettrack.store.keychain``), else in an owner-only file in
an owner-only folder of the user's config folder (``KETTRACK_CONFIG_DIR`` overrides it). Whoever
rewrites entries without the key cannot make their seals: "entry N was rewritten (its seal does not
match)". ``audit.record`` computes each seal; a transaction's seals are inserted together just before
it commits, inside it, so an entry and its seal commit or roll back together.

- *Trust on first use.* Entries written before seals existed (a database upgraded from 0003), or
  where the key was not available, are sealed the next time kettrack writes on a computer that has
  the key (``seal_on_open`` does it when the database opens), and only if the chain verifies and
  agrees with this computer's anchor. Whatever was done to them before that moment is not detected
  by the seals (the chain and the anchors still apply).
- *A missing key is not tampering.* A database copied to another computer has an id but no key there:
  its seals "cannot be checked on this computer", and kettrack does not make a second key for it
  (that would turn every older seal into a false alarm when the file comes back). Entries written
  there carry no seal; back on the computer with the key they are sealed as above, if the anchor
  agrees. A database that has seals but lost its id had it removed: that is reported.
- *Server databases* (PostgreSQL) use no seals: each desk would need the same key, and a key shared
  by every desk protects against none of them. The server's grants are the protection there; verify
  says "seals: not used on a server database". The head anchor below still works per desk.

**Head anchors.** The head of the chain (last sequence, its hash, its seal) is recorded where the
file cannot reach: in the config folder, in every backup manifest and in every export
(``kettrack.store.audit_anchor_files`` tells how they are kept and what they show).

What this does not stop: someone with both the file and this user's account (keyring or config
folder) can forge anything; entries appended (not altered) on a computer without the key look like
any entry written away from home; the config anchor only knows what happened on this computer.

Here: the seal keys, and what each transaction that appends entries seals and anchors. Beside it:
``audit_anchor_files``, ``audit_head``, ``audit_seal_state`` (commit hooks), ``audit_verdict``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, AuditHead, seal_mac, verify_chain
from kettrack.store import keychain
from kettrack.store.audit_anchor_files import (
    CONFIG_DIR_VARIABLE,
    MANIFEST_KEY,
    MANIFEST_PATTERN,
    AnchorUnreadable,
    ConfigAnchor,
    anchor_slots,
    config_dir,
    private_folder,
    read_anchor_file,
    read_config_anchor,
    valid_database_id,
    write_config_anchor,
)
from kettrack.store.audit_head import (
    DATABASE_ID_SETTING,
    any_seal,
    entry_of,
    head,
    head_in_file,
    holds,
    is_server,
    last_entry,
    stored_database_id,
)
from kettrack.store.audit_seal_state import (
    PENDING_KEY,
    UNMATCHED_KEPT,
    KnownDatabase,
    PendingSeals,
    reload_anchor,
    seal_tail,
)
from kettrack.store.audit_verdict import NO_KEY, ON_SERVER, AuditVerdict, compare, verdict_with_key
from kettrack.store.models import AppSetting, AuditLogEntry, AuditSeal

if TYPE_CHECKING:
    from kettrack.store.database import Database

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "DATABASE_ID_SETTING",
    "MANIFEST_KEY",
    "MANIFEST_PATTERN",
    "NO_KEY",
    "ON_SERVER",
    "AnchorUnreadable",
    "AuditChainBroken",
    "AuditHead",
    "AuditVerdict",
    "ConfigAnchor",
    "anchor_slots",
    "appended",
    "check_against",
    "config_dir",
    "entry_of",
    "head",
    "head_in_file",
    "read_anchor_file",
    "read_config_anchor",
    "seal_all",
    "seal_on_open",
    "verdict",
    "verify_all",
    "write_config_anchor",
]

log = logging.getLogger(__name__)

_KEYRING_ACCOUNT = "audit seal key {}"


class AuditChainBroken(ValueError):
    """The chain does not verify, so its entries cannot be sealed (``seal_all``)."""


# --- the seal key --------------------------------------------------------------------------------

# Keys found, by database id: a keyring look-up can take milliseconds (D-Bus), and verify and every
# new engine would repeat it. Absence is not cached here (a key may be put back meanwhile).
_KEYS: dict[str, bytes] = {}
_KEYS_GUARD = threading.Lock()


def _key_path(database_id: str) -> Path:
    return config_dir() / "audit-keys" / f"{database_id}.key"


def _load_key(database_id: str) -> bytes | None:
    with _KEYS_GUARD:
        known = _KEYS.get(database_id)
    if known is not None:
        return known
    text = keychain.recall_secret(_KEYRING_ACCOUNT.format(database_id))
    if text is None:
        try:
            text = _key_path(database_id).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        log.warning("an audit seal key is malformed; the seals of its database cannot be checked")
        return None
    with _KEYS_GUARD:
        _KEYS[database_id] = key
    return key


def _write_new_key(path: Path, key: bytes) -> None:
    """Write a key file straight under its name, owner-only from the first byte, never replacing one.

    No temporary name: the key is written (and synced) before the transaction that first seals with
    it commits, so a kettrack killed meanwhile leaves at most a key for a database id that was never
    committed, which nothing reads, rather than a stray temporary file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
        handle.flush()
        os.fsync(handle.fileno())


def _create_key(database_id: str) -> bytes | None:
    """A new key, kept in the keyring or else in an owner-only file; None when neither would keep it."""
    key = secrets.token_bytes(32)
    if not keychain.remember_secret(_KEYRING_ACCOUNT.format(database_id), key.hex()):
        try:
            _write_new_key(private_folder("audit-keys") / f"{database_id}.key", key)
        except OSError:
            log.warning("no audit seal key could be kept in the config folder; entries stay unsealed")
            return None
    with _KEYS_GUARD:
        _KEYS[database_id] = key
    return key


# --- what this process knows about each open database ---------------------------------------------

_KNOWN: weakref.WeakKeyDictionary[Engine, KnownDatabase] = weakref.WeakKeyDictionary()
_KNOWN_GUARD = threading.Lock()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _known(session: Session) -> KnownDatabase:
    engine = _engine(session)
    with _KNOWN_GUARD:
        known = _KNOWN.get(engine)
        if known is None:
            known = _KNOWN[engine] = KnownDatabase(display=engine.url.render_as_string(hide_password=True))
    if not known.loaded:
        stored = stored_database_id(session)
        if stored is not None:  # until the database has an id, it is looked for again each time
            known.bad_id = not valid_database_id(stored)
            if not known.bad_id:
                known.database_id = stored
                known.key = None if is_server(session) else _load_key(stored)
                if known.key is None and not is_server(session):
                    log.warning("this computer has no audit seal key for the database; entries stay unsealed")
                reload_anchor(known)
            known.loaded = True
    return known


# --- writing: seals and the anchor, inside the writer's transaction -----------------------------------


def _new_id(session: Session, *, replace: bool) -> tuple[str, bytes | None] | None:
    """Give the database an id (and, for a file, a key kept outside it); None if no key could be kept."""
    row = session.get(AppSetting, DATABASE_ID_SETTING)
    if row is not None and not replace:
        # Another desk of a server database gave it one meanwhile: that one stands (no key there).
        return (row.value, None) if valid_database_id(row.value) else None
    database_id = str(uuid.uuid4())
    key = None
    if not is_server(session):
        key = _create_key(database_id)
        if key is None:
            return None
    if row is None:
        session.add(AppSetting(key=DATABASE_ID_SETTING, value=database_id))
    else:
        row.value = database_id
    session.flush()
    return database_id, key


def _begin(
    session: Session, last: AuditEntry | None, *, restoring: bool, new_identity: bool = False
) -> PendingSeals:
    """The first append of a transaction: find the id and key, check the anchor, seal an unsealed tail."""
    known = _known(session)
    server = is_server(session)
    pending = PendingSeals(known, known.database_id, known.key, known.display)
    wants_id = known.database_id is None and not known.bad_id
    if new_identity or (wants_id and (server or not any_seal(session))):
        made = _new_id(session, replace=new_identity)
        if made is not None:
            pending.database_id, pending.key = made
            pending.new_id = True
    anchored: AuditHead | None = None
    unmatched: tuple[AuditHead, ...] = ()
    if not (pending.new_id and new_identity):
        anchored, unmatched = known.anchored, known.unmatched
    if anchored is not None and not holds(session, anchored, last) and known.database_id is not None:
        # Another kettrack on this computer may have written since this one last looked.
        reload_anchor(known)
        anchored, unmatched = known.anchored, known.unmatched
        if anchored is not None and not holds(session, anchored, last):
            pending.anchor_holds = restoring
            if not restoring and anchored not in unmatched:
                log.warning("the database does not hold the audit head anchored on this computer")
                unmatched = (*unmatched, anchored)
    if restoring:
        unmatched = ()  # a restore through kettrack replaces the history those heads belonged to
    pending.unmatched = tuple(h for h in unmatched if not holds(session, h, last))[-UNMATCHED_KEPT:]
    if not server and pending.key is not None and not known.tail_sealed:
        pending.tail_sealed = seal_tail(session, pending.key, last, trusted=pending.anchor_holds)
    return pending


def appended(session: Session, entry: AuditEntry, last: AuditEntry | None, action: str) -> None:
    """Called by ``audit.record`` for each entry it adds (``last``: the entry before it): seal it, and
    queue the new head for the config-folder anchor, written once the transaction commits."""
    pending: PendingSeals | None = session.info.get(PENDING_KEY)
    if pending is None:
        pending = session.info[PENDING_KEY] = _begin(session, last, restoring=action == "restore")
    mac = ""
    if pending.key is not None:
        mac = seal_mac(pending.key, entry.hash)
        pending.seals.append({"sequence": entry.sequence, "mac": mac})
    pending.head = AuditHead(entry.sequence, entry.hash, mac, entry.at, pending.database_id or "")


def seal_on_open(db: Database) -> None:
    """On opening a database file for writing: seal entries written before seals existed (or away
    from the key) if the chain and this computer's anchor agree, and anchor its head here if nothing
    is anchored yet. A few small queries when there is nothing to do; never stops the opening."""
    if db.read_only or not db.is_sqlite:
        return
    try:
        _seal_on_open(db)
    except Exception as exc:  # the seals and anchor wait for the next write; the person can work
        log.warning(
            "the audit log's seals could not be brought up to date on opening (%s)", type(exc).__name__
        )


def _anchored_here(database_id: str | None) -> bool:
    try:
        return valid_database_id(database_id) and read_config_anchor(database_id or "") is not None
    except AnchorUnreadable:
        return False


def _seal_on_open(db: Database) -> None:
    with db.reader() as session:
        last = session.scalar(select(func.max(AuditLogEntry.sequence))) or 0
        if not last:
            return
        last_sealed = session.scalar(select(func.max(AuditSeal.sequence))) or 0
        if last_sealed >= last and _anchored_here(stored_database_id(session)):
            return  # the usual open: no keyring call, no write
        known = _known(session)
        if known.database_id is not None:
            reload_anchor(known)  # what the file says now, not what this process last wrote
        unsealed = last_sealed < last and not known.tail_sealed
        # An id and key to make (no seal at all yet), or a key to seal the end of the chain with.
        needs_seals = unsealed and (
            known.key is not None or (known.database_id is None and not known.bad_id and not last_sealed)
        )
        needs_anchor = known.database_id is not None and known.anchored is None
        if not (needs_seals or needs_anchor):
            return
    with db.session() as session:
        found = last_entry(session)
        if found is None:
            return
        pending = session.info[PENDING_KEY] = _begin(session, found[0], restoring=False)
        if pending.database_id is not None and (pending.new_id or pending.known.anchored is None):
            pending.head = head(session, database_id=pending.database_id)


def seal_all(session: Session) -> int:
    """Seal every entry that has none, inside the caller's transaction (the end of an import into an
    empty database); returns how many. The chain must verify first (``AuditChainBroken``).

    A database that has no seal yet takes a new id here: an import makes a new database, even when
    the file it came from carried the source's id in its settings."""
    rows = session.scalars(
        select(AuditLogEntry).order_by(AuditLogEntry.sequence).execution_options(yield_per=2000)
    )
    entries = [entry_of(row) for row in rows]
    broken = verify_chain(entries)
    if broken:
        raise AuditChainBroken(f"the audit log does not verify, so it cannot be sealed: {broken[0]}")
    if not entries:
        return 0
    before = session.scalar(select(func.count()).select_from(AuditSeal)) or 0
    pending: PendingSeals | None = session.info.get(PENDING_KEY)
    if pending is None:
        pending = _begin(session, entries[-1], restoring=False, new_identity=not before)
        session.info[PENDING_KEY] = pending
    if pending.key is not None:
        sealed = set(session.scalars(select(AuditSeal.sequence)))
        session.add_all(
            AuditSeal(sequence=e.sequence, mac=seal_mac(pending.key, e.hash))
            for e in entries
            if e.sequence not in sealed
        )
        session.flush()
        pending.tail_sealed = True
    if pending.database_id is not None:
        pending.head = head(session, database_id=pending.database_id)
    after = session.scalar(select(func.count()).select_from(AuditSeal)) or 0
    return int(after - before)


# --- checking, with this computer's key ------------------------------------------------------------


def _key_for_checking(session: Session) -> tuple[str | None, bytes | None]:
    """The database's id and seal key, read afresh (verify must see an id changed meanwhile)."""
    stored = stored_database_id(session)
    if not valid_database_id(stored) or is_server(session):
        return (stored if valid_database_id(stored) else None), None
    assert stored is not None
    return stored, _load_key(stored)


def check_against(session: Session, head: AuditHead, source_name: str) -> list[str]:
    """What an anchor shows against the database, in words (empty: the database holds its head):
    a shorter chain means entries were removed, another hash at that entry means the log was
    rewritten. ``source_name`` names the anchor ("the anchor kept in ...", "the backup manifest ...")."""
    return compare(session, head, source_name, *_key_for_checking(session))


def verdict(db: Database, against: Sequence[Path] = ()) -> AuditVerdict:
    """Verify the chain, every seal, and the chain against every anchor known: this computer's,
    every backup manifest beside the database, and the files in ``against`` (manifests or exports)."""
    with db.reader() as session:
        return verdict_with_key(session, db, against, *_key_for_checking(session))


def verify_all(db: Database) -> list[str]:
    """The problems only (for ``kettrack check``): empty when nothing shows tampering."""
    return list(verdict(db).problems)
