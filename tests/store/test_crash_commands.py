"""Crash safety of every command that writes, run as a person runs it: a real ``kettrack`` process
(import, backup, restore, encrypt, decrypt, passphrase, superbill, claims attach) killed with SIGKILL
at random moments spread over the time one uninterrupted run takes, and (the second test) killed
just before and just after each rename or link it makes, where a swap is decided in microseconds a
random kill seldom hits.

Each kill starts from a fresh copy of a prepared database whose last transaction sits in the
write-ahead log only (the kettrack before it was killed too), and after each kill:

- the database opens again (with its passphrase where it is encrypted; after a killed encrypt,
  decrypt or passphrase change it is under the old key or the new one, never neither) and passes
  ``integrity_check`` and ``foreign_key_check``; every stored document hashes to its key, and no
  record names a document that is not there (beyond what an uninterrupted run leaves);
- nothing committed is lost or changed: every row there before the kill is still there as it was
  (a restore either leaves the database as it was, or holds the backup's rows and keeps the replaced
  database as a pre-restore backup that holds all of it);
- the command's own change is wholly there or wholly absent: the rows it adds are none, or exactly
  what an uninterrupted run adds, or, where it commits in steps, exactly the first steps. Steps the
  product takes on purpose are named in the summary, not failed: the audit entry of a backup, a
  restore or a conversion is written after the file work ("without its audit entry"), a backup's
  manifest after the backup, a superbill's session lines before the superbill;
- after the next open no temporary file of kettrack's is left anywhere under the round's folder,
  and no file it made was ever readable by others (modes are watched every few milliseconds while
  the command runs, and once more right after the kill).

The summary line per command counts the kills, those that landed while the command was writing (it
held the database's writer lock or had a temporary file), those after which temporary files were
left for the next open to remove, how the change ended up in each run, and the failures found (all
0 when it passes). Run with ``-s`` to see them.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.store import crash_kit
from tests.store.crash_kit import Contents, Observed, added, command, environment, lost, run

KILLS = 7  # per command; 8 commands
SEED = 20261129
DB = "kettrack.sqlite3"
OLD, NEW = "correct horse 1", "battery staple 2"  # passphrases (SQLCipher wants 8 characters or more)
AUDIT = frozenset({"audit_log", "audit_seals"})  # an audit entry and its seal commit together

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"
)


# --- the prepared databases ------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A folder copied for every round: the database (with its -wal), its config folder, inputs."""

    folder: Path
    key: str | None  # the passphrase it is under
    contents: Contents


@dataclass(frozen=True)
class Templates:
    """Every prepared database, made once for the module, with what the commands need of them."""

    cache: Path
    demo: Template
    empty: Template
    restore: Template
    encrypted: Template
    backup: Path  # in ``restore``'s folder: the backup the restore command restores
    backup_contents: Contents
    session_id: int  # a demo session on no superbill yet
    claim_id: int


# A kettrack that commits a record and is killed before it closes: the record is in the -wal only.
_KILLED_WRITER = """
import os, sys
from kettrack.core.records import PatientRecord
from kettrack.store.database import Database
from kettrack.services.workspace import Workspace
ws = Workspace(Database.open(sys.argv[1], passphrase=os.environ.get("KETTRACK_PASSPHRASE")))
ws.patients.add(PatientRecord(sys.argv[2]))
os._exit(0)
"""

_NEW_DATABASE = """
import sys
from kettrack.store.database import Database
Database.open(sys.argv[1]).close()
"""


def _python(code: str, *args: str, env: dict[str, str]) -> None:
    run([sys.executable, "-c", code, *args], env)


def _leave_in_the_log(folder: Path, cache: Path, name: str, key: str | None = None) -> None:
    extra = {"KETTRACK_PASSPHRASE": key} if key else {}
    _python(_KILLED_WRITER, str(folder / DB), name, env=environment(folder, cache, **extra))
    wal = folder / f"{DB}-wal"
    assert wal.exists() and wal.stat().st_size > 0, "the killed writer left nothing in the -wal"


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("data"))
    return target


def _contents_of(folder: Path, key: str | None, name: str = DB) -> Contents:
    """What a template holds, read from a scratch copy (reading a WAL database checkpoints it)."""
    scratch = folder.parent / f"{folder.name}.scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(folder, scratch, symlinks=True)
    try:
        return crash_kit.read_contents(scratch / name, key)
    finally:
        shutil.rmtree(scratch)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    root = tmp_path_factory.mktemp("crash-templates")
    cache = root / "cache"
    demo = root / "demo"
    env = environment(demo, cache)
    run(command(demo / DB, "demo"), env)
    export = root / "export.json"
    run(command(demo / DB, "export", str(export)), env)

    restore = _copy(demo, root / "restore")
    env = environment(restore, cache)
    backup = Path(run(command(restore / DB, "backup"), env).strip().splitlines()[-1])
    # The database to be replaced holds a record the backup lacks, in the file and in the -wal.
    run(command(restore / DB, "patients", "add", "--name", "Added After The Backup"), env)

    encrypted = _copy(demo, root / "encrypted")
    run(command(encrypted / DB, "encrypt"), environment(encrypted, cache, KETTRACK_NEW_PASSPHRASE=OLD))
    shutil.rmtree(encrypted / "kettrack-backups")  # the plain original kept aside

    empty = root / "empty"
    empty.mkdir(mode=0o700)
    _python(_NEW_DATABASE, str(empty / DB), env=environment(empty, cache))
    shutil.copy2(export, empty / "export.json")
    os.chmod(empty / "export.json", 0o600)

    pdf = demo / "eob.pdf"  # what ``claims attach`` keeps: a PDF of 256 KiB
    pdf.write_bytes(b"%PDF-1.4\n%EOB\n" + random.Random(SEED).randbytes(256 * 1024) + b"\n%%EOF\n")
    os.chmod(pdf, 0o600)

    for folder, key in ((demo, None), (restore, None), (encrypted, OLD)):
        _leave_in_the_log(folder, cache, "Only In The Log", key)

    demo_contents = _contents_of(demo, None)
    connection = sqlite3.connect(f"file:{demo / DB}?mode=ro", uri=True)
    try:
        session_id = connection.execute(
            "SELECT min(id) FROM infusions WHERE provider_id IS NOT NULL AND id NOT IN (SELECT s.infusion_id"
            " FROM service_lines s JOIN superbill_lines l ON l.service_line_id = s.id)"
        ).fetchone()[0]
        claim_id = connection.execute("SELECT min(id) FROM claims").fetchone()[0]
    finally:
        connection.close()
    assert session_id and claim_id
    return Templates(
        cache=cache,
        demo=Template(demo, None, demo_contents),
        empty=Template(empty, None, _contents_of(empty, None)),
        restore=Template(restore, None, _contents_of(restore, None)),
        encrypted=Template(encrypted, OLD, _contents_of(encrypted, OLD)),
        backup=backup.relative_to(restore),
        backup_contents=crash_kit.read_contents(backup, None),
        session_id=int(session_id),
        claim_id=int(claim_id),
    )


# --- the commands ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A writing command: its template, its arguments, the keys its database may be under after it,
    and the tables it writes in the order it commits them (``*``: every other table)."""

    name: str
    template: str
    args: Callable[[Templates, Path], list[str]]
    keys: tuple[str | None, ...] = (None,)
    env: dict[str, str] = field(default_factory=dict)
    steps: tuple[frozenset[str], ...] = (frozenset({"*"}),)
    # Steps after which the command is done but not whole: named in the summary, not failures.
    tails: dict[int, str] = field(default_factory=dict)


CASES = (
    Case("import", "empty", lambda t, r: ["import", str(r / "export.json")]),
    Case("backup", "demo", lambda t, r: ["backup"], steps=(AUDIT,)),
    Case(
        "restore",
        "restore",
        lambda t, r: ["restore", str(r / t.backup), "--yes"],
        steps=(AUDIT,),
    ),
    Case(
        "encrypt",
        "demo",
        lambda t, r: ["encrypt"],
        keys=(None, NEW),
        env={"KETTRACK_NEW_PASSPHRASE": NEW},
        steps=(AUDIT,),
    ),
    Case(
        "decrypt",
        "encrypted",
        lambda t, r: ["decrypt"],
        keys=(OLD, None),
        env={"KETTRACK_PASSPHRASE": OLD},
        steps=(AUDIT,),
    ),
    Case(
        "passphrase",
        "encrypted",
        lambda t, r: ["passphrase"],
        keys=(OLD, NEW),
        env={"KETTRACK_PASSPHRASE": OLD, "KETTRACK_NEW_PASSPHRASE": NEW},
        steps=(AUDIT,),
    ),
    # The session's lines are saved (ensure_lines) in a transaction of their own before the one
    # that stores the superbill, its PDF, its lines and its audit entry.
    Case(
        "superbill",
        "demo",
        lambda t, r: ["superbill", "--session", str(t.session_id)],
        steps=(frozenset({"service_lines"}), frozenset({"*"})),
        tails={1: "its session's lines saved, no superbill"},
    ),
    Case("attach", "demo", lambda t, r: ["claims", "attach", str(t.claim_id), str(r / "eob.pdf")]),
)


# --- one round -------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Per command: what the kills found."""

    kills: int = 0
    missed: int = 0  # the command had ended before its kill came (another delay is drawn)
    writing: int = 0
    swept: int = 0  # kills after which temporary files were there, for the next open to remove
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: dict[str, list[str]] = field(
        default_factory=lambda: {k: [] for k in ("corruption", "loss", "partial", "leftovers", "modes")}
    )

    def line(self, name: str, seconds: float) -> str:
        found = ", ".join(f"{kind} {len(found)}" for kind, found in self.problems.items())
        ended = ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes.items()))
        return (
            f"{name}: {self.kills} kills ({self.writing} mid-write, {self.swept} leaving temporary files; "
            f"{self.missed} more came after it had ended); the change: {ended}; {found}; {seconds:.0f} s"
        )


@dataclass
class Round:
    """One run of a command in a fresh copy of its template."""

    folder: Path
    case: Case
    templates: Templates
    # Killed by itself at this file-system step (crash_kit.command_with_steps; 0: counts them into
    # ``steps``); None: run as ``python -m kettrack``.
    step: int | None = None
    steps: Path | None = None

    @property
    def db(self) -> Path:
        return self.folder / DB

    @property
    def template(self) -> Template:
        found: Template = getattr(self.templates, self.case.template)
        return found

    def env(self) -> dict[str, str]:
        extra = dict(self.case.env)
        if self.step is not None:
            extra["KETTRACK_CRASH_AT"] = str(self.step)
            extra["KETTRACK_CRASH_STEPS"] = str(self.steps)
        return environment(self.folder, self.templates.cache, **extra)

    def argv(self) -> list[str]:
        args = self.case.args(self.templates, self.folder)
        if self.step is not None:
            return crash_kit.command_with_steps(self.db, *args)
        return command(self.db, *args)


def _start(
    case: Case, templates: Templates, folder: Path, step: int | None = None, steps: Path | None = None
) -> Round:
    template: Template = getattr(templates, case.template)
    _copy(template.folder, folder)
    return Round(folder, case, templates, step, steps)


def _reopen(db: Path, keys: tuple[str | None, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """The next open, as the window or any command does it (this is where leftovers are swept)."""
    from kettrack.services.workspace import Workspace
    from kettrack.store.database import Database

    home = db.parent
    monkeypatch.setenv("KETTRACK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("KETTRACK_CONFIG_DIR", str(home / "config"))
    failures = []
    for key in (None,) if crash_kit.is_plain(db) else tuple(k for k in keys if k):
        try:
            workspace = Workspace(Database.open(db, passphrase=key))
        except Exception as exc:  # the wrong passphrase, or worse: said if no key opens it
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        workspace.close()
        return
    raise AssertionError("the database does not open again: " + "; ".join(failures))


def _step(case: Case, new: dict[str, int], whole: dict[str, int]) -> int | None:
    """How many of the command's steps the rows it added make up (None: no whole number of them)."""

    def step_of(table: str) -> int:
        for index, tables in enumerate(case.steps):
            if table in tables:
                return index
        for index, tables in enumerate(case.steps):
            if "*" in tables:
                return index
        raise AssertionError(f"{case.name} writes {table}, which none of its steps names")

    for done in range(len(case.steps) + 1):
        if new == {t: n for t, n in whole.items() if step_of(t) < done}:
            return done
    return None


def _missing(before: Contents, after: Contents, reference: Contents) -> dict[str, int]:
    """Rows of ``before`` lost or changed in ``after``; in tables where a whole run changes rows too
    (``reference``), only rows whose id is gone count."""
    changed = set(lost(before, reference))
    gone = lost(before, after, ignore=changed)
    for table in changed:
        if count := len(before.column(table, 0) - after.column(table, 0)):
            gone[table] = count
    return gone


def _damage(contents: Contents, before: Contents, reference: Contents) -> list[str]:
    found = []
    if contents.integrity != ("ok",):
        found.append(f"integrity_check: {contents.integrity[:3]}")
    if contents.foreign_keys:
        found.append(f"foreign_key_check: {contents.foreign_keys[:3]}")
    if contents.bad_documents:
        found.append(f"documents not matching their SHA-256: {contents.bad_documents[:3]}")
    # Records naming an absent document: none beyond those an uninterrupted run leaves too.
    if extra := contents.dangling - before.dangling - reference.dangling:
        found.append(f"records naming an absent document: {sorted(extra)[:3]}")
    return found


def _judge(r: Round, after: Contents, key: str | None, reference: Contents, tally: Tally, label: str) -> str:
    """Sort the round's findings into the tally; returns how the command's change ended up."""
    case, before, problems = r.case, r.template.contents, tally.problems
    problems["corruption"] += [f"{label}: {d}" for d in _damage(after, before, reference)]
    if case.name == "restore":
        return _judge_restore(r, after, reference, tally, label)
    if gone := _missing(before, after, reference):
        problems["loss"].append(f"{label}: rows lost or changed: {gone}")
    whole = added(before, reference)
    step = _step(case, added(before, after), whole)
    if step is None:
        problems["partial"].append(f"{label}: added {added(before, after)}; a whole run adds {whole}")
        return "partial"
    if case.name in ("encrypt", "decrypt", "passphrase"):
        return _judge_key(r, key, step, tally, label)
    if case.name == "backup":
        return _judge_backup(r, step, tally, label)
    if case.name == "import" and step == 0:
        # An unfinished import leaves no file of it behind either (documents of no record).
        folder = r.folder / f"{Path(DB).stem}-documents"
        if orphans := sorted(str(p.relative_to(r.folder)) for p in folder.rglob("*") if p.is_file()):
            problems["partial"].append(f"{label}: nothing was imported, yet its files are there: {orphans}")
    return "none" if step == 0 else "whole" if step == len(case.steps) else case.tails[step]


def _judge_key(r: Round, key: str | None, step: int, tally: Tally, label: str) -> str:
    """A conversion: the file is under the old key or the new one; its audit entry comes after it."""
    final = {"encrypt": NEW, "decrypt": None, "passphrase": NEW}[r.case.name]
    if key != final:
        if step:
            tally.problems["partial"].append(f"{label}: the conversion is audited but was not done")
        # The original is kept aside by a hard link made just before the swap: a kill between leaves
        # a second name for the database as it still is (not a temporary name; noted, not failed).
        if list((r.folder / f"{Path(DB).stem}-backups").glob("*-before-*.sqlite3.orig")):
            return "not converted, its .orig link made"
        return "not converted"
    return "whole" if step else "converted, without its audit entry"


def _judge_backup(r: Round, step: int, tally: Tally, label: str) -> str:
    """At most one backup, sound and holding every committed row; its manifest and its audit entry
    only with it."""
    folder = r.folder / f"{Path(DB).stem}-backups"
    finals = sorted(folder.glob("*-manual.sqlite3"))
    manifests = sorted(folder.glob("*-manual.sqlite3.manifest.json"))
    problems = tally.problems
    if len(finals) > 1:
        problems["partial"].append(f"{label}: {len(finals)} backups from one run")
    for backup in finals:
        held = crash_kit.read_contents(backup, None)
        if held.integrity != ("ok",):
            problems["corruption"].append(f"{label}: the backup fails integrity_check: {held.integrity[:3]}")
        if missing := lost(r.template.contents, held):
            problems["loss"].append(f"{label}: the backup lacks committed rows: {missing}")
    if manifests and not finals:
        problems["partial"].append(f"{label}: a manifest without its backup")
    if step and not (finals and manifests):
        problems["partial"].append(f"{label}: the backup is audited but is not there with its manifest")
    if not finals:
        return "none"
    if not manifests:
        return "backup written, without its manifest"
    return "whole" if step else "backup and manifest, without its audit entry"


def _judge_restore(r: Round, after: Contents, reference: Contents, tally: Tally, label: str) -> str:
    """Either the database as it was, or the backup's rows (and then the replaced database is kept as
    a pre-restore backup holding all of it); the backup restored from is never changed."""
    before, backup, problems = r.template.contents, r.templates.backup_contents, tally.problems
    source = crash_kit.read_contents(r.folder / r.templates.backup, None)
    if lost(backup, source) or added(backup, source):
        problems["loss"].append(f"{label}: the backup restored from was changed")
    if not lost(before, after) and not added(before, after):
        return "none"
    if gone := _missing(backup, after, reference):
        problems["partial"].append(
            f"{label}: neither the database as it was nor the backup: {gone} of the backup's rows "
            f"and {lost(before, after)} of the database's are not there"
        )
        return "partial"
    kept = sorted((r.folder / f"{Path(DB).stem}-backups").glob("*-pre-restore.sqlite3"))
    if not any(not lost(before, crash_kit.read_contents(k, None)) for k in kept):
        problems["loss"].append(f"{label}: restored, but no pre-restore backup holds the replaced database")
    step = _step(r.case, added(backup, after), added(backup, reference))
    if step is None:
        # Not the backup's rows (and its audit entry) alone: what the database held stayed in part.
        problems["loss"].append(
            f"{label}: neither the database as it was nor the backup: it lost {lost(before, after)} "
            f"(kept only in the pre-restore backup) and holds {added(backup, after)} beyond the backup"
        )
        return "partial"
    return "whole" if step else "restored, without its audit entry"


def _one_round(
    r: Round,
    delay: float,
    reference: Contents | None,
    tally: Tally,
    monkeypatch: pytest.MonkeyPatch,
    label: str,
) -> tuple[Observed, Contents | None]:
    """Run (and kill) the command, open the database again, judge; ``reference`` None: the
    uninterrupted run, which must succeed and is judged against itself."""
    own = {r.folder, r.folder / "config"}
    seen = crash_kit.run_and_kill(r.argv(), r.env(), r.folder, r.folder / f"{DB}.lock", delay, own)
    if reference is None:
        assert seen.finished and seen.returncode == 0, f"{r.case.name} failed: {seen.stderr.strip()}"
    else:
        tally.kills += not seen.finished
        tally.missed += seen.finished
        tally.writing += seen.writing
        tally.swept += bool(seen.at_kill) and not seen.finished
        if seen.finished and seen.returncode != 0:
            tally.problems["partial"].append(f"{label}: it exited {seen.returncode}: {seen.stderr.strip()}")
    tally.problems["modes"] += [f"{label}: {wide}" for wide in sorted(seen.wide)]
    try:
        _reopen(r.db, r.case.keys, monkeypatch)
        key = crash_kit.which_key(r.db, r.case.keys)
        after = crash_kit.read_contents(r.db, key)
    except Exception as exc:
        tally.problems["corruption"].append(f"{label}: {exc}")
        return seen, None
    if left := crash_kit.leftovers(r.folder):
        tally.problems["leftovers"].append(f"{label}: {left}")
    outcome = _judge(r, after, key, after if reference is None else reference, tally, label)
    if reference is None:
        assert outcome == "whole", f"an uninterrupted {r.case.name} ended as {outcome!r}: {tally.problems}"
    else:
        tally.outcomes[outcome] += 1
    return seen, after


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_killed_command_leaves_no_damage_loss_half_change_or_leftover(
    case: Case, templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KILLS kills at random moments of the command's run, each judged (see the module docstring)."""
    started = time.monotonic()
    for variable in ("KETTRACK_PASSPHRASE", "KETTRACK_NEW_PASSPHRASE", "KETTRACK_DB"):
        monkeypatch.delenv(variable, raising=False)
    tally = Tally()
    # Two uninterrupted runs (the first also warms the caches): how long the command takes (the
    # shorter), and what a whole run changes.
    elapsed = []
    for number in (1, 2):
        measured = _start(case, templates, tmp_path / f"uninterrupted-{number}")
        seen, reference = _one_round(measured, 600.0, None, tally, monkeypatch, f"uninterrupted {number}")
        found = {kind: items for kind, items in tally.problems.items() if items}
        assert reference is not None and not found, found
        elapsed.append(seen.elapsed)
    rng = random.Random(f"{SEED}-{case.name}")
    span = 1.2 * min(elapsed)
    # One delay in each of KILLS equal slices of [0, 1.2 x the run time]: spread, yet random. A kill
    # that comes after the command ended is counted as missed and drawn again within that run's time.
    for number in range(1, KILLS + 1):
        delay = (number - 1 + rng.random()) * span / KILLS
        for attempt in range(1, 4):
            r = _start(case, templates, tmp_path / f"kill-{number}-{attempt}")
            count = sum(map(len, tally.problems.values()))
            seen, _ = _one_round(r, delay, reference, tally, monkeypatch, f"kill {number} at {delay:.2f} s")
            if sum(map(len, tally.problems.values())) == count:
                shutil.rmtree(r.folder)  # keep the rounds that found something, to look at
            if not seen.finished:
                break
            delay = rng.uniform(0.0, seen.elapsed)
    print(f"\n{tally.line(case.name, time.monotonic() - started)} (uninterrupted: {min(elapsed):.2f} s)")
    assert tally.kills >= KILLS - 1, "the kills mostly came after the command had ended"
    found = {kind: items for kind, items in tally.problems.items() if items}
    assert not found, "\n".join(f"{kind}: {item}" for kind, items in found.items() for item in items)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_command_killed_at_each_rename_leaves_no_damage_loss_half_change_or_leftover(
    case: Case, templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random kills seldom land in the microseconds around a rename, where a swap is decided: here the
    command kills itself just before and just after each rename (and link) it makes, one run each,
    and each run is judged as a random kill is."""
    started = time.monotonic()
    for variable in ("KETTRACK_PASSPHRASE", "KETTRACK_NEW_PASSPHRASE", "KETTRACK_DB"):
        monkeypatch.delenv(variable, raising=False)
    tally = Tally()
    listed = tmp_path / "steps.txt"
    counted = _start(case, templates, tmp_path / "counted", 0, listed)
    _, reference = _one_round(counted, 600.0, None, tally, monkeypatch, "uninterrupted")
    found = {kind: items for kind, items in tally.problems.items() if items}
    assert reference is not None and not found, found
    steps = listed.read_text(encoding="utf-8").splitlines()
    if not steps:
        pytest.skip(f"{case.name} renames nothing: its one transaction is all there is to it")
    for number, step in enumerate(steps, start=1):
        r = _start(case, templates, tmp_path / f"step-{number}", number, listed)
        count = sum(map(len, tally.problems.values()))
        _one_round(r, 600.0, reference, tally, monkeypatch, f"killed {step}")
        if sum(map(len, tally.problems.values())) == count:
            shutil.rmtree(r.folder)
    print(f"\n{tally.line(case.name, time.monotonic() - started)} (at each of {len(steps)} steps)")
    found = {kind: items for kind, items in tally.problems.items() if items}
    assert not found, "\n".join(f"{kind}: {item}" for kind, items in found.items() for item in items)


def test_the_temporary_names_are_recognised() -> None:
    for name in (
        "kettrack-20261129T101010000000Z-manual.sqlite3.partial",
        "kettrack-20261129T101010000000Z-manual.sqlite3.partial-journal",
        ".kettrack.sqlite3.x1y2z3.restoring",
        ".kettrack.sqlite3.0a1b2c3d.converting",
        ".kettrack.sqlite3.0a1b2c3d.creating",
        ".export.json.0a1b2c3d4e5f.tmp",
        ".documents-restoring-abc",
        ".kettrack-probe-abc",
    ):
        assert crash_kit.is_temporary(name), name
    for name in ("kettrack.sqlite3", "kettrack.sqlite3-wal", "kettrack.sqlite3.lock", "x.manifest.json"):
        assert not crash_kit.is_temporary(name), name
