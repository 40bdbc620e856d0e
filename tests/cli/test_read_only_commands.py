"""A command that only reads never creates a database or a folder: pointed at a path where there is no
database (a typo in --db), every command except the few that put records into a new database says so
in one line (exit 2) and leaves nothing behind."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from kettrack.cli import main
from kettrack.cli.parser import build_parser
from kettrack.services.workspace import Workspace
from kettrack.store.database import Database
from kettrack.store.location import DatabaseMissing

# The commands that may make a new database: they put records into an empty one.
CREATING = {
    "demo",
    "import",
    "patients add",
    "providers add",
    "payers add",
    "coverages add",
    "treatments add",
    "infusions add",
    "codes add",
    "auths add",
    "reason-codes add",
    "letters evidence-add",  # a reference for the evidence library, a record like the others
}


def _leaves(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any]]:
    """Every runnable command in the parser: its words and its own parser."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _leaves(sub, (*prefix, name))
            return found
    return [(prefix, parser)]


def _minimal_argv(words: tuple[str, ...], parser: argparse.ArgumentParser) -> list[str]:
    """The command with every required argument given a placeholder value."""
    argv = list(words)
    grouped = {id(a) for group in parser._mutually_exclusive_groups for a in group._group_actions}
    for action in parser._actions:
        if not action.option_strings and action.dest != "help":
            argv.append("1")  # a positional: an id, a file name
        elif action.required and id(action) not in grouped:
            argv += [action.option_strings[0], "1"]
    for group in parser._mutually_exclusive_groups:
        if group.required:
            argv.append(group._group_actions[0].option_strings[0])
    return argv


def test_no_command_but_the_creating_ones_makes_a_database(
    tmp_path: Path, icd10: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("KETTRACK_PASSPHRASE", "KETTRACK_NEW_PASSPHRASE"):
        monkeypatch.delenv(variable, raising=False)
    made = set()
    commands = _leaves(build_parser())
    assert len(commands) > 40
    for number, (words, parser) in enumerate(commands):
        folder = tmp_path / f"typo{number}"
        code = main(["--db", str(folder / "x.sqlite3"), *_minimal_argv(words, parser)])
        err = capsys.readouterr().err
        name = " ".join(words)
        if folder.exists():
            made.add(name)
            continue
        assert code == 2, (name, err)
        assert len(err.splitlines()) == 1 and "Traceback" not in err, (name, err)
    # Before: every command opened (and so created) the database and its folder.
    assert made == CREATING


@pytest.mark.parametrize(
    "argv",
    [
        ["patients", "list"],
        ["patients", "list", "--read-only"],
        ["claims", "show", "1"],
        ["due"],
        ["backups", "list"],
        ["audit", "verify"],
        ["check"],
        ["export", "EXPORT"],
        ["calendar", "EXPORT"],
    ],
)
def test_reading_a_mistyped_path_says_there_is_no_database(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "typo" / "x.sqlite3"
    out = tmp_path / "out.file"
    code = main(["--db", str(target), *[str(out) if a == "EXPORT" else a for a in argv]])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == (
        f"kettrack: error: there is no database at {target}; create one with "
        f"`kettrack --db {target} demo` or by opening the window; nothing was created"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_writing_command_still_creates_a_new_database(
    tmp_path: Path, icd10: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "x.sqlite3"
    assert main(["--db", str(target), "patients", "add", "--name", "Ann Example"]) == 0
    assert target.is_file()
    assert main(["--db", str(target), "patients", "list"]) == 0 and "Ann Example" in capsys.readouterr().out


def test_the_store_refuses_a_missing_database_when_asked_not_to_create(tmp_path: Path) -> None:
    target = tmp_path / "typo" / "x.sqlite3"
    for attempt in (
        lambda: Database.open(target, create=False),
        lambda: Database.open(target, read_only=True),
        lambda: Workspace.open(target, create=False),
    ):
        with pytest.raises(DatabaseMissing) as refused:
            attempt()
        assert refused.value.path == target
    assert not (tmp_path / "typo").exists()
