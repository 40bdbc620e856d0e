"""The ``kettrack`` command's first stop: a plain window start skips the command line's module;
everything else reaches argparse unchanged."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from kettrack import launch


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (None, False)),
        (["--quit-after-startup"], (None, True)),
        (["--db", "x.sqlite3"], ("x.sqlite3", False)),
        (["--db=x.sqlite3", "--quit-after-startup"], ("x.sqlite3", True)),
        (["--quit-after-startup", "--db", "postgresql+psycopg://h/db"], ("postgresql+psycopg://h/db", True)),
    ],
)
def test_window_starts_go_straight_to_the_window(argv: list[str], expected: tuple[str | None, bool]) -> None:
    assert launch.window_options(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["--demo"],
        ["patients", "list"],
        ["--db"],  # argparse says what is missing
        ["--db", ""],
        ["--db=  "],
        ["--db", "--quit-after-startup"],
        ["--db", "a", "--db", "b"],
        ["--quit-after-startup", "--quit-after-startup"],
        ["--dbx", "a"],
    ],
)
def test_anything_else_goes_to_the_command_line(argv: list[str]) -> None:
    assert launch.window_options(argv) is None


def test_a_failing_window_start_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = types.ModuleType("kettrack.ui.app")

    def run(location: str | None, **_: object) -> int:
        raise RuntimeError(f"cannot draw {location}")

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kettrack.ui.app", module)
    assert launch.main(["--db", "here.sqlite3"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected RuntimeError: cannot draw here.sqlite3" in err


def test_the_installed_command_uses_the_fast_path_and_keeps_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kettrack", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("kettrack ")
    result = subprocess.run(
        [sys.executable, "-m", "kettrack", "--db", ""], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "--db needs" in result.stderr and "Traceback" not in result.stderr
