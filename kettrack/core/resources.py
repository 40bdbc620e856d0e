"""The one way to find files in resources/: packaged inside the wheel as ``kettrack._resources``,
or the top-level folder of a source checkout."""

from __future__ import annotations

from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of a shipped data file such as ``kettrack.svg``; raises FileNotFoundError if absent."""
    package_root = Path(__file__).resolve().parents[1]
    # In the wheel the folder rides inside the package; in a checkout it sits beside it.
    candidates = [package_root / "_resources" / name, package_root.parent / "resources" / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"kettrack resource {name!r} is missing from this installation")
