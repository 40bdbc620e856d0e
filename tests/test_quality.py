"""The whole repository passes its linters, formatter, strict type checks and layer contracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

CHECKS = {
    "ruff-check": [sys.executable, "-m", "ruff", "check", "."],
    "ruff-format": [sys.executable, "-m", "ruff", "format", "--check", "."],
    "mypy": [sys.executable, "-m", "mypy"],
    # import-linter ships only a console script (no __main__); it sits beside the interpreter.
    "import-contracts": [str(BIN / "lint-imports"), "--no-cache"],
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_tool_passes(name: str) -> None:
    command = CHECKS[name]
    if not Path(command[0]).exists():
        pytest.fail(f"{command[0]} is missing: install the test extras")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command[1:])} failed:\n{result.stdout}\n{result.stderr}"
