"""Data-safety commands: back up, list and rotate backups, restore, check the database, and encrypt,
decrypt or change the passphrase of a SQLite database.

``restore`` and ``check`` work on a file kettrack would refuse to open (damaged, truncated): they
read it with SQLite's own checks first and never change it in place.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import (
    DatabaseOptions,
    UsageError,
    Values,
    WithWorkspace,
    action_group,
    command_maker,
    database_location,
    passphrase_for,
    print_json,
    table,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


def _sqlite_path(ws: Workspace) -> Path:
    from kettrack.core.problems import InvalidInput
    from kettrack.services.backups import PG_DUMP_ADVICE

    if ws.db.target.sqlite_path is None:
        raise InvalidInput.single("database", PG_DUMP_ADVICE)
    return ws.db.target.sqlite_path


def _policy(ws: Workspace) -> Any:
    from kettrack.services.backups import KEEP_KEYS, policy_of

    return policy_of({key: ws.settings.get(key) for key in KEEP_KEYS})


def backup_now(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.audit import AuditLog
    from kettrack.services.backups import back_up

    path = back_up(_sqlite_path(ws), reason="manual", policy=_policy(ws), passphrase=ws.db.passphrase)
    AuditLog(ws.db).record_now("backup", details=path.name)
    print(path)
    return 0


def backups_list(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.backups import list_backups

    found = list_backups(_sqlite_path(ws), ws.db.passphrase)
    if args.json:
        print_json(
            [
                {
                    "path": str(b.path),
                    "taken_at": b.taken_at.isoformat(),
                    "reason": b.reason,
                    "size": b.size,
                    "patients": b.patients,
                    "sessions": b.sessions,
                    "claims": b.claims,
                    "documents": b.documents,
                }
                for b in found
            ],
            ensure_ascii=True,
        )
        return 0
    if not found:
        print("no backups yet (kettrack backup makes one)")
        return 0
    rows = [
        [
            f"{b.taken_at.astimezone():%Y-%m-%d %H:%M}",
            b.reason,
            f"{b.size / 1048576:.1f} MB",
            b.patients,
            b.sessions,
            b.claims,
            "yes" if b.documents else "",
            b.path.name,
        ]
        for b in found
    ]
    print(
        table(
            ["Taken", "Why", "Size", "Patients", "Sessions", "Claims", "Documents", "File"],
            rows,
            right=[2, 3, 4, 5],
        )
    )
    return 0


def backups_keep(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services.backups import KEEP_KEYS, check_policy, prune

    current = _policy(ws)
    v = Values()
    daily = v.whole(args.daily, "daily")
    weekly = v.whole(args.weekly, "weekly")
    monthly = v.whole(args.monthly, "monthly")
    v.done()
    policy = check_policy(
        current.daily if daily is None else daily,
        current.weekly if weekly is None else weekly,
        current.monthly if monthly is None else monthly,
    )
    for key, value in zip(KEEP_KEYS, (policy.daily, policy.weekly, policy.monthly), strict=True):
        ws.settings.set(key, str(value))
    removed = prune(_sqlite_path(ws), policy) if ws.db.target.sqlite_path else []
    kept = f"{policy.daily} daily, {policy.weekly} weekly, {policy.monthly} monthly"
    print(f"keeping {kept} backups; {len(removed)} removed")
    return 0


def restore(args: argparse.Namespace) -> int:
    from kettrack.services.backups import PG_DUMP_ADVICE
    from kettrack.services.backups import restore as restore_file
    from kettrack.services.opening import PASSPHRASE_VARIABLE, resolve

    target = resolve(database_location(args))
    if target.sqlite_path is None:
        raise UsageError(PG_DUMP_ADVICE)
    if not args.yes:
        raise UsageError("restoring replaces the database (it is kept aside as a backup first): add --yes")
    passphrase = passphrase_for(args) or os.environ.get(PASSPHRASE_VARIABLE)
    kept = restore_file(target.sqlite_path, Path(args.backup), passphrase)
    from kettrack.services.audit import AuditLog
    from kettrack.services.opening import open_database

    db = open_database(target.sqlite_path, passphrase=passphrase)
    try:
        AuditLog(db).record_now("restore", details=f"from {Path(args.backup).name}")
    finally:
        db.close()
    aside = f"; the database as it was is kept in {kept}" if kept else ""
    print(f"restored {target.sqlite_path} from {args.backup}{aside}")
    return 0


def check(args: argparse.Namespace) -> int:
    from kettrack.services.check import check_database

    report = check_database(database_location(args), passphrase_for(args))
    stream = sys.stdout if report.ok else sys.stderr
    for line in report.lines():
        print(line, file=stream)
    return 0 if report.ok else 1


def _ask_passphrase(variable: str, *, new: bool) -> str:
    """From ``$variable``, else typed at the terminal (a new one twice)."""
    import getpass

    if value := os.environ.get(variable):
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"give the passphrase in ${variable} (no terminal to ask on)")
    first = getpass.getpass("new passphrase: " if new else "passphrase: ")
    if new and getpass.getpass("again: ") != first:
        raise UsageError("the two passphrases differ")
    return first


def _encryption(args: argparse.Namespace, action: str) -> int:
    from kettrack.services.opening import PASSPHRASE_VARIABLE, SERVER_SIDE, resolve

    target = resolve(database_location(args))
    if target.sqlite_path is None:
        raise UsageError(SERVER_SIDE)
    path = target.sqlite_path
    old = None if action == "encrypt" else _ask_passphrase(PASSPHRASE_VARIABLE, new=False)
    new = None if action == "decrypt" else _ask_passphrase("KETTRACK_NEW_PASSPHRASE", new=True)
    if not path.is_file():
        raise UsageError(f"there is no database at {path}")
    from kettrack.services.encryption import change_key
    from kettrack.services.opening import open_database

    # Through the open database, as the window does: the conversion and its audit entry happen under
    # one writer lock, so no other kettrack can slip in between.
    db = open_database(path, passphrase=old)
    try:
        done = change_key(db, new)
    finally:
        db.close()
    if done == "encrypted":
        print(f"{path} is encrypted; the plain original is kept in {path.stem}-backups/ until you delete it")
    elif done == "decrypted":
        print(f"{path} is no longer encrypted")
    else:
        print("passphrase changed")
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)
    command("backup", "write a verified backup now (with the documents); prints its path", backup_now)
    actions = action_group(commands, "backups", "the database's backups", "The database's backups.")
    sub = command("list", "list backups, newest first, with what each holds", backups_list, actions)
    sub.add_argument("--json", action="store_true")
    sub = command("keep", "how many daily, weekly and monthly backups to keep", backups_keep, actions)
    sub.add_argument("--daily", metavar="N")
    sub.add_argument("--weekly", metavar="N")
    sub.add_argument("--monthly", metavar="N")

    # These work on the file itself (one kettrack would refuse to open, for restore and check), so they
    # take the database options without a workspace.
    sub = commands.add_parser(
        "restore",
        help="replace the database with a backup (the current one is kept aside first)",
        description="Replace the database with a backup; the current one is kept aside as a backup first.",
    )
    database_options(sub, here=False)
    sub.add_argument("backup", metavar="BACKUP.sqlite3")
    sub.add_argument("--yes", action="store_true", help="yes, replace the database")
    sub.set_defaults(handler=restore)
    sub = commands.add_parser(
        "check",
        help="check the database: integrity, references, claims against their events, files, audit chain",
        description="Check the database and report in words; exit 0 when all is well, 1 when not.",
    )
    database_options(sub, here=False)
    sub.set_defaults(handler=check)
    for name, text in (
        (
            "encrypt",
            "encrypt the database at rest (SQLCipher); asks a new passphrase (or $KETTRACK_NEW_PASSPHRASE)",
        ),
        ("decrypt", "turn an encrypted database back into a plain one ($KETTRACK_PASSPHRASE)"),
        ("passphrase", "change the passphrase ($KETTRACK_PASSPHRASE, then $KETTRACK_NEW_PASSPHRASE)"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        database_options(sub, here=False)
        sub.set_defaults(handler=lambda args, action=name: _encryption(args, action))
