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
file cannot reach: in the config folder (a small JSON file per database id, in two slots written in
turn after every commit that appended entries: ``write_config_anchor`` says why), in every backup
manifest (``"audit_head"``, written by ``kettrack.services.backups``) and in every export. An anchor
whose entry is missing from the database means entries were removed (truncation); one whose entry
has another hash means the log was rewritten. The config-folder anchor never silently moves back:
if kettrack is about to write while the database does not hold the anchored head, the old head is
kept in the file (``unmatched``) and goes on being reported. A restore through kettrack (its
"restore" entry) starts the anchor over, and backups whose head lies in the history a sealed restore
replaced are not compared with the restored database.

What this does not stop: someone with both the file and this user's account (keyring or config
folder) can forge anything; entries appended (not altered) on a computer without the key look like
any entry written away from home; the config anchor only knows what happened on this computer.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session

from kettrack.core.audit import AuditEntry, AuditHead, seal_mac, seal_matches, verify_chain
from kettrack.store import keychain
from kettrack.store.models import AppSetting, AuditLogEntry, AuditSeal

if TYPE_CHECKING:
    from kettrack.store.database import Database

__all__ = [
    "DATABASE_ID_SETTING",
    "MANIFEST_KEY",
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

DATABASE_ID_SETTING = "database_id"
CONFIG_DIR_VARIABLE = "KETTRACK_CONFIG_DIR"
MANIFEST_KEY = "audit_head"  # the key of the head in a backup manifest and in an export
MANIFEST_PATTERN = "*.manifest.json"
NO_KEY = "the audit seals cannot be checked on this computer (no key for this database)"
ON_SERVER = "not used on a server database"
_KEYRING_ACCOUNT = "audit seal key {}"
_ANCHOR_FORMAT = "kettrack-audit-anchor"
_UNMATCHED_KEPT = 20
_PENDING = "kettrack.audit_anchor"
_INSERT_SEAL = insert(AuditSeal).prefix_with("OR IGNORE")


class AuditChainBroken(ValueError):
    """The chain does not verify, so its entries cannot be sealed (``seal_all``)."""


# --- where things are kept -----------------------------------------------------------------------


def config_dir() -> Path:
    """The user's config folder for kettrack (``KETTRACK_CONFIG_DIR`` overrides it)."""
    override = os.environ.get(CONFIG_DIR_VARIABLE)
    if override:
        return Path(override)
    from platformdirs import user_config_dir  # deferred, as location.data_dir does

    return Path(user_config_dir("kettrack", appauthor=False))


def _private_folder(name: str) -> Path:
    folder = config_dir() / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkdir's mode only applies to a folder it creates (and passes through the umask): make sure.
    os.chmod(folder, 0o700)
    return folder


def _key_path(database_id: str) -> Path:
    return config_dir() / "audit-keys" / f"{database_id}.key"


def _valid_id(value: str | None) -> bool:
    """Only kettrack's own form of a UUID: the id becomes part of file names."""
    if not value:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


# --- the seal key --------------------------------------------------------------------------------

# Keys found, by database id: a keyring look-up can take milliseconds (D-Bus), and verify and every
# new engine would repeat it. Absence is not cached here (a key may be put back meanwhile).
_KEYS: dict[str, bytes] = {}
_KEYS_GUARD = threading.Lock()


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


def _create_key(database_id: str) -> bytes | None:
    """A new key, kept in the keyring or else in an owner-only file; None when neither would keep it."""
    key = secrets.token_bytes(32)
    if not keychain.remember_secret(_KEYRING_ACCOUNT.format(database_id), key.hex()):
        from kettrack.core.problems import InvalidInput
        from kettrack.store.files import write_private

        try:
            write_private(_private_folder("audit-keys") / f"{database_id}.key", key.hex())
        except (OSError, InvalidInput):
            log.warning("no audit seal key could be kept in the config folder; entries stay unsealed")
            return None
    with _KEYS_GUARD:
        _KEYS[database_id] = key
    return key


# --- the config-folder anchor ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigAnchor:
    """The head this computer last saw written to a database, and heads it found missing since."""

    database_id: str
    head: AuditHead
    unmatched: tuple[AuditHead, ...] = ()
    database: str = ""  # where the database was (for people reading the file)
    generation: int = 0  # counts the writes: the newer of the two slots is the anchor

    @property
    def path(self) -> Path:
        """The file this anchor is kept in: one of two slots, taken in turn."""
        return anchor_slots(self.database_id)[self.generation % 2]


class AnchorUnreadable(ValueError):
    """The config-folder anchor exists but is not one kettrack wrote."""


def anchor_slots(database_id: str) -> tuple[Path, Path]:
    folder = config_dir() / "audit-anchors"
    return folder / f"{database_id}.a.json", folder / f"{database_id}.b.json"


def _parsed(raw: bytes, database_id: str, slot: int) -> ConfigAnchor:
    data = json.loads(raw.decode("utf-8"))
    if data.get("format") != _ANCHOR_FORMAT or data.get("database_id") != database_id:
        raise ValueError("not an anchor of this database")
    generation = data.get("generation")
    if not isinstance(generation, int) or generation % 2 != slot:
        raise ValueError("not this slot's generation")
    return ConfigAnchor(
        database_id,
        AuditHead.from_dict(data["head"]),
        tuple(AuditHead.from_dict(h) for h in data.get("unmatched", [])),
        str(data.get("database", "")),
        generation,
    )


def read_config_anchor(database_id: str) -> ConfigAnchor | None:
    """This computer's anchor for the database (None: none kept): the newer of its two slots that
    reads whole; ``AnchorUnreadable`` when neither does."""
    if not _valid_id(database_id):
        return None
    found: list[ConfigAnchor] = []
    damaged: list[Path] = []
    for slot, path in enumerate(anchor_slots(database_id)):
        try:
            found.append(_parsed(path.read_bytes(), database_id, slot))
        except FileNotFoundError:
            continue
        except (OSError, AttributeError, KeyError, TypeError, ValueError):
            damaged.append(path)
    if found:
        return max(found, key=lambda a: (a.generation, a.head.sequence))
    if damaged:
        raise AnchorUnreadable(f"the anchor kept in {damaged[0]} could not be read")
    return None


_FOLDERS_MADE: set[Path] = set()


def write_config_anchor(anchor: ConfigAnchor) -> None:
    """Write the anchor over the older of its two slots, in place.

    Not a temp file and a rename: on ext4 a rename over an existing file forces its data to disk
    (``auto_da_alloc``), 0.6-1.9 ms here against some 10 µs for a write in place, after every commit
    that appended entries. A write in place cut short by a power cut spoils only the slot it was
    writing; the other still holds the previous head (an ancestor of the new one, so it still checks
    true). No fsync, for the same reason."""
    path = anchor.path
    if path.parent not in _FOLDERS_MADE:
        _private_folder(path.parent.name)
        _FOLDERS_MADE.add(path.parent)
    content = json.dumps(
        {
            "format": _ANCHOR_FORMAT,
            "generation": anchor.generation,
            "database_id": anchor.database_id,
            "database": anchor.database,
            "head": anchor.head.as_dict(),
            "unmatched": [h.as_dict() for h in anchor.unmatched],
            "written_at": datetime.now(UTC).isoformat(),
        }
    ).encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:  # the folder was removed meanwhile: make it again next time
        _FOLDERS_MADE.discard(path.parent)
        raise
    try:
        # No O_TRUNC: truncating to zero would bring back the forced write-out the rename had.
        written = os.write(fd, content)
        if written != len(content):
            raise OSError(f"short write to {path}")
        os.ftruncate(fd, len(content))
    finally:
        os.close(fd)


# --- what this process knows about each open database ---------------------------------------------


@dataclass
class _Known:
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


_KNOWN: weakref.WeakKeyDictionary[Engine, _Known] = weakref.WeakKeyDictionary()
_KNOWN_GUARD = threading.Lock()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _is_server(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _stored_id(session: Session) -> str | None:
    return session.scalar(select(AppSetting.value).where(AppSetting.key == DATABASE_ID_SETTING))


def _known(session: Session) -> _Known:
    engine = _engine(session)
    with _KNOWN_GUARD:
        known = _KNOWN.get(engine)
        if known is None:
            known = _KNOWN[engine] = _Known(display=engine.url.render_as_string(hide_password=True))
    if not known.loaded:
        stored = _stored_id(session)
        if stored is not None:  # until the database has an id, it is looked for again each time
            known.bad_id = not _valid_id(stored)
            if not known.bad_id:
                known.database_id = stored
                known.key = None if _is_server(session) else _load_key(stored)
                if known.key is None and not _is_server(session):
                    log.warning("this computer has no audit seal key for the database; entries stay unsealed")
                _reload_anchor(known)
            known.loaded = True
    return known


def _reload_anchor(known: _Known) -> None:
    assert known.database_id is not None
    try:
        anchor = read_config_anchor(known.database_id)
    except AnchorUnreadable:
        log.warning("the audit anchor in the config folder is unreadable; it will be written anew")
        anchor = None
    known.anchored = anchor.head if anchor else None
    known.unmatched = anchor.unmatched if anchor else ()
    known.generation = anchor.generation if anchor else 0


def _any_seal(session: Session) -> bool:
    return session.scalar(select(AuditSeal.sequence).limit(1)) is not None


def entry_of(row: AuditLogEntry) -> AuditEntry:
    return AuditEntry(
        row.sequence,
        row.at,
        row.actor,
        row.machine,
        row.action,
        row.record_kind,
        row.record_id,
        row.details,
        row.previous_hash,
        row.hash,
    )


def _holds(session: Session, anchored: AuditHead, last: AuditEntry | None) -> bool:
    """Whether the chain ending at ``last`` holds the anchored head (equal to it or past it)."""
    if last is None or anchored.sequence > last.sequence:
        return False
    if anchored.sequence == last.sequence:
        return anchored.hash == last.hash
    found = session.scalar(select(AuditLogEntry.hash).where(AuditLogEntry.sequence == anchored.sequence))
    return found == anchored.hash


# --- writing: seals and the anchor, inside the writer's transaction -----------------------------------


@dataclass
class _Pending:
    """What one transaction changes about its database's seals and anchor, applied when it commits."""

    known: _Known
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


def _new_id(session: Session, *, replace: bool) -> tuple[str, bytes | None] | None:
    """Give the database an id (and, for a file, a key kept outside it); None if no key could be kept."""
    row = session.get(AppSetting, DATABASE_ID_SETTING)
    if row is not None and not replace:
        # Another desk of a server database gave it one meanwhile: that one stands (no key there).
        return (row.value, None) if _valid_id(row.value) else None
    database_id = str(uuid.uuid4())
    key = None
    if not _is_server(session):
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
) -> _Pending:
    """The first append of a transaction: find the id and key, check the anchor, seal an unsealed tail."""
    known = _known(session)
    server = _is_server(session)
    pending = _Pending(known, known.database_id, known.key, known.display)
    wants_id = known.database_id is None and not known.bad_id
    if new_identity or (wants_id and (server or not _any_seal(session))):
        made = _new_id(session, replace=new_identity)
        if made is not None:
            pending.database_id, pending.key = made
            pending.new_id = True
    anchored: AuditHead | None = None
    unmatched: tuple[AuditHead, ...] = ()
    if not (pending.new_id and new_identity):
        anchored, unmatched = known.anchored, known.unmatched
    if anchored is not None and not _holds(session, anchored, last) and known.database_id is not None:
        # Another kettrack on this computer may have written since this one last looked.
        _reload_anchor(known)
        anchored, unmatched = known.anchored, known.unmatched
        if anchored is not None and not _holds(session, anchored, last):
            pending.anchor_holds = restoring
            if not restoring and anchored not in unmatched:
                log.warning("the database does not hold the audit head anchored on this computer")
                unmatched = (*unmatched, anchored)
    if restoring:
        unmatched = ()  # a restore through kettrack replaces the history those heads belonged to
    pending.unmatched = tuple(h for h in unmatched if not _holds(session, h, last))[-_UNMATCHED_KEPT:]
    if not server and pending.key is not None and not known.tail_sealed:
        pending.tail_sealed = _seal_tail(session, pending.key, last, trusted=pending.anchor_holds)
    return pending


def _seal_tail(session: Session, key: bytes, last: AuditEntry | None, *, trusted: bool) -> bool:
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


def appended(session: Session, entry: AuditEntry, last: AuditEntry | None, action: str) -> None:
    """Called by ``audit.record`` for each entry it adds (``last``: the entry before it): seal it, and
    queue the new head for the config-folder anchor, written once the transaction commits."""
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _begin(session, last, restoring=action == "restore")
    mac = ""
    if pending.key is not None:
        mac = seal_mac(pending.key, entry.hash)
        pending.seals.append({"sequence": entry.sequence, "mac": mac})
    pending.head = AuditHead(entry.sequence, entry.hash, mac, entry.at, pending.database_id or "")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    pending: _Pending | None = session.info.get(_PENDING)
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
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    try:
        pending.committed()
    except Exception as exc:  # the entries are committed; a missing anchor update is only reported
        log.warning("the audit anchor could not be written to the config folder (%s)", type(exc).__name__)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _last_entry(session: Session) -> tuple[AuditEntry, str] | None:
    found = session.execute(
        select(AuditLogEntry, AuditSeal.mac)
        .outerjoin(AuditSeal, AuditSeal.sequence == AuditLogEntry.sequence)
        .order_by(AuditLogEntry.sequence.desc())
        .limit(1)
    ).first()
    return (entry_of(found[0]), found[1] or "") if found is not None else None


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
        return _valid_id(database_id) and read_config_anchor(database_id or "") is not None
    except AnchorUnreadable:
        return False


def _seal_on_open(db: Database) -> None:
    with db.reader() as session:
        last = session.scalar(select(func.max(AuditLogEntry.sequence))) or 0
        if not last:
            return
        last_sealed = session.scalar(select(func.max(AuditSeal.sequence))) or 0
        if last_sealed >= last and _anchored_here(_stored_id(session)):
            return  # the usual open: no keyring call, no write
        known = _known(session)
        if known.database_id is not None:
            _reload_anchor(known)  # what the file says now, not what this process last wrote
        unsealed = last_sealed < last and not known.tail_sealed
        # An id and key to make (no seal at all yet), or a key to seal the end of the chain with.
        needs_seals = unsealed and (
            known.key is not None or (known.database_id is None and not known.bad_id and not last_sealed)
        )
        needs_anchor = known.database_id is not None and known.anchored is None
        if not (needs_seals or needs_anchor):
            return
    with db.session() as session:
        found = _last_entry(session)
        if found is None:
            return
        pending = session.info[_PENDING] = _begin(session, found[0], restoring=False)
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
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is None:
        pending = _begin(session, entries[-1], restoring=False, new_identity=not before)
        session.info[_PENDING] = pending
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


# --- reading the head ------------------------------------------------------------------------------


def head(session: Session, *, database_id: str | None = None) -> AuditHead | None:
    """The head of the chain as an anchor records it (None for an empty log): for a backup manifest or
    an export, stored with ``AuditHead.as_dict()``."""
    found = _last_entry(session)
    if found is None:
        return None
    entry, mac = found
    if database_id is None:
        stored = _stored_id(session)
        database_id = stored if _valid_id(stored) else ""
    return AuditHead(entry.sequence, entry.hash, mac, entry.at, database_id or "")


def head_in_file(path: Path, passphrase: str | None = None) -> AuditHead | None:
    """The head of the chain in a database or backup file, read with sqlite3 (for a backup manifest
    written from the backup copy itself); None when it has no audit entries."""
    from kettrack.store.backup import read_connection

    connection = read_connection(path, passphrase)
    try:
        row = connection.execute(
            "SELECT sequence, hash, at FROM audit_log ORDER BY sequence DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        try:
            mac_row = connection.execute(
                "SELECT mac FROM audit_seals WHERE sequence = ?", (row[0],)
            ).fetchone()
        except Exception:  # a schema before 0004: no seals
            mac_row = None
        id_row = connection.execute(
            "SELECT value FROM app_settings WHERE key = ?", (DATABASE_ID_SETTING,)
        ).fetchone()
    finally:
        connection.close()
    at = datetime.fromisoformat(str(row[2])).replace(tzinfo=UTC)
    database_id = id_row[0] if id_row and _valid_id(id_row[0]) else ""
    return AuditHead(int(row[0]), str(row[1]), str(mac_row[0]) if mac_row else "", at, database_id)


# --- checking --------------------------------------------------------------------------------------


def _key_for_checking(session: Session) -> tuple[str | None, bytes | None]:
    """The database's id and seal key, read afresh (verify must see an id changed meanwhile)."""
    stored = _stored_id(session)
    if not _valid_id(stored) or _is_server(session):
        return (stored if _valid_id(stored) else None), None
    assert stored is not None
    return stored, _load_key(stored)


def check_against(session: Session, head: AuditHead, source_name: str) -> list[str]:
    """What an anchor shows against the database, in words (empty: the database holds its head):
    a shorter chain means entries were removed, another hash at that entry means the log was
    rewritten. ``source_name`` names the anchor ("the anchor kept in ...", "the backup manifest ...")."""
    return _compare(session, head, source_name, *_key_for_checking(session))


def _compare(
    session: Session, head: AuditHead, source_name: str, database_id: str | None, key: bytes | None
) -> list[str]:
    other = bool(head.database_id and database_id and head.database_id != database_id)
    note = (
        f" (it was written for another database, id {head.database_id}: if another database file was "
        "put in this one's place, that is why)"
        if other
        else ""
    )
    if head.mac and key is not None and not other and not seal_matches(key, head.hash, head.mac):
        return [f"{source_name} was not written with this database's seal key: it is not kettrack's own"]
    end = session.scalar(select(func.max(AuditLogEntry.sequence))) or 0
    if head.sequence > end:
        ends = f"the database ends at entry {end}" if end else "the database has no entries"
        return [f"{source_name} records entry {head.sequence}, {ends}: entries were removed{note}"]
    found = session.scalar(select(AuditLogEntry.hash).where(AuditLogEntry.sequence == head.sequence))
    if found is None:
        return [f"{source_name} records entry {head.sequence}, which is missing from the database{note}"]
    if found != head.hash:
        return [
            f"{source_name} records entry {head.sequence} with another hash than the database holds: "
            f"the log was rewritten at or before entry {head.sequence}{note}"
        ]
    return []


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    start = end = None
    for n in numbers:
        if end is not None and n == end + 1:
            end = n
            continue
        if start is not None and end is not None:
            yield start, end
        start = end = n
    if start is not None and end is not None:
        yield start, end


def _rewritten(start: int, end: int) -> str:
    said = f"entry {start} was rewritten (its seal does not match)"
    if end == start:
        return said
    if end == start + 1:
        return f"{said}, and so was entry {end}"
    return f"{said}, and so were entries {start + 1}–{end}"


def _unsealed(start: int, end: int) -> str:
    which = f"entry {start} has" if start == end else f"entries {start}–{end} have"
    return f"{which} no seal, though later entries are sealed: removed or put in without the key"


@dataclass(frozen=True)
class AuditVerdict:
    """What verifying the audit log found: problems (evidence of tampering), how the seals stand,
    the anchors the chain was compared with, and what could not be checked (not tampering)."""

    entries: int
    problems: tuple[str, ...]
    seals: str
    anchors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            held = (
                "1 entry" if self.entries == 1 else f"{self.entries:,} entries, each linked to the one before"
            )
            lines = [f"the audit log is intact: {held}"]
        else:
            count = len(self.problems)
            lines = [f"the audit log is broken: {count} problem{'' if count == 1 else 's'}"]
            lines += [f"  {p}" for p in self.problems[:50]]
            if count > 50:
                lines.append(f"  and {count - 50} more")
        lines.append(f"seals: {self.seals}")
        if self.anchors:
            lines.append("compared with: " + "; ".join(self.anchors))
        else:
            lines.append("compared with: no anchor outside the database yet")
        lines += self.notes
        return lines


def _manifest_heads(db: Database) -> Iterator[tuple[Path, AuditHead | None, str | None, datetime]]:
    """Each backup manifest beside the database: its path, its head (None: it records none) or why it
    could not be read, and when it was written (the head's time, else the file's)."""
    path = db.target.sqlite_path
    if path is None:
        return
    from kettrack.store.location import backup_dir_for

    folder = backup_dir_for(path)
    if not folder.is_dir():
        return
    for manifest in sorted(folder.glob(MANIFEST_PATTERN)):
        try:
            found, problem = read_anchor_file(manifest), None
            written = datetime.fromtimestamp(manifest.stat().st_mtime, UTC)
        except (OSError, ValueError) as exc:
            found, problem, written = None, str(exc), datetime.now(UTC)
        if found is not None and found.at is not None:
            written = found.at
        yield manifest, found, problem, written


def read_anchor_file(path: Path) -> AuditHead | None:
    """The head a backup manifest or an export records under ``"audit_head"`` (None: it has none);
    ``ValueError`` when the file cannot be read or its head is malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} could not be read as JSON") from exc
    raw = data.get(MANIFEST_KEY) if isinstance(data, dict) else None
    if raw is None:
        return None
    try:
        return AuditHead.from_dict(raw)
    except ValueError as exc:
        raise ValueError(f"the audit head in {path} is malformed: {exc}") from exc


def verdict(db: Database, against: Sequence[Path] = ()) -> AuditVerdict:
    """Verify the chain, every seal, and the chain against every anchor known: this computer's,
    every backup manifest beside the database, and the files in ``against`` (manifests or exports)."""
    with db.reader() as session:
        return _verdict(session, db, against)


def verify_all(db: Database) -> list[str]:
    """The problems only (for ``kettrack check``): empty when nothing shows tampering."""
    return list(verdict(db).problems)


def _verdict(session: Session, db: Database, against: Sequence[Path]) -> AuditVerdict:
    problems: list[str] = []
    notes: list[str] = []
    server = _is_server(session)
    stored = _stored_id(session)
    database_id, key = _key_for_checking(session)
    any_seal = False if server else _any_seal(session)
    if server:
        seals = ON_SERVER
    elif stored is not None and database_id is None:
        seals = "cannot be checked"
        problems.append("the database's id in its settings is not one kettrack writes: it was changed")
    elif database_id is None:
        seals = "none yet (no entry was written since seals came in)"
        if any_seal:
            seals = "cannot be checked"
            problems.append("entries are sealed but the database's id was removed from its settings")
    elif key is None:
        seals = NO_KEY
        notes.append(
            "entries written on this computer get no seal: kettrack does not make a second key "
            "for a database that has one"
        )
    else:
        seals = "every entry sealed with this database's key"
    checking = key is not None

    count = 0
    last: AuditEntry | None = None
    missing: list[int] = []
    bad: list[int] = []
    restores: list[tuple[int, datetime]] = []

    def scanned() -> Iterator[AuditEntry]:
        nonlocal count, last
        rows = session.execute(
            select(AuditLogEntry, AuditSeal.mac)
            .outerjoin(AuditSeal, AuditSeal.sequence == AuditLogEntry.sequence)
            .order_by(AuditLogEntry.sequence)
            .execution_options(yield_per=2000)
        )
        for row, mac in rows:
            entry = entry_of(row)
            count += 1
            last = entry
            sealed_right = False
            if checking:
                assert key is not None
                if mac is None:
                    missing.append(entry.sequence)
                elif seal_matches(key, entry.hash, mac):
                    sealed_right = True
                else:
                    bad.append(entry.sequence)
            if entry.action == "restore" and (sealed_right or server):
                restores.append((entry.sequence, entry.at))
            yield entry

    problems[:0] = verify_chain(scanned())
    problems += [_rewritten(start, end) for start, end in _runs(bad)]
    missing_runs = list(_runs(missing))
    if missing_runs and last is not None and missing_runs[-1][1] == last.sequence:
        start, end = missing_runs.pop()
        which = f"entry {start} has" if start == end else f"entries {start}–{end} have"
        notes.append(
            f"{which} no seal yet (written before seals existed, or where this database's key was not "
            "available): kettrack seals them at its next write here if the chain and anchor agree"
        )
        if checking and not any_seal:
            seals = "none yet (no entry was written here since seals came in)"
        elif checking:
            seals = "checked with this database's key (the newest entries are not sealed yet)"
    problems += [_unsealed(start, end) for start, end in missing_runs]
    if not server and stored is None and not any_seal and last is not None:
        which = "entry 1 has" if last.sequence == 1 else f"entries 1–{last.sequence} have"
        notes.append(
            f"{which} no seal yet (written before seals existed): kettrack seals them when it next "
            "opens or writes this database, if the chain verifies"
        )
    if checking and (bad or missing_runs):
        seals = "checked with this database's key"

    anchors: list[str] = []
    if database_id is not None:
        try:
            anchor = read_config_anchor(database_id)
        except AnchorUnreadable as exc:
            anchor = None
            notes.append(str(exc))
        if anchor is not None:
            name = f"the anchor kept in {anchor.path}"
            anchors.append(name)
            for anchored in (anchor.head, *anchor.unmatched):
                for problem in _compare(session, anchored, name, database_id, key):
                    if problem not in problems:
                        problems.append(problem)
        else:
            notes.append("this computer keeps no anchor for this database yet")
    replaced = 0
    manifests = 0
    for path, found, unreadable, written in _manifest_heads(db):
        if unreadable is not None:
            notes.append(unreadable)
            continue
        if found is None:
            continue
        if any(found.sequence >= r and written <= t for r, t in restores):
            replaced += 1  # its history was replaced by a restore through kettrack
            continue
        manifests += 1
        problems += _compare(session, found, f"the backup manifest {path}", database_id, key)
    if manifests:
        anchors.append(f"{manifests} backup manifest{'' if manifests == 1 else 's'}")
    if replaced:
        notes.append(
            f"{replaced} backup{' was' if replaced == 1 else 's were'} taken before a restore replaced "
            "their later history: not compared"
        )
    for path in against:
        try:
            found = read_anchor_file(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if found is None:
            problems.append(f"{path} records no audit head")
            continue
        anchors.append(str(path))
        problems += _compare(session, found, f"the file {path}", database_id, key)
    return AuditVerdict(count, tuple(problems), seals, tuple(anchors), tuple(notes))
