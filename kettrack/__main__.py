"""Allows ``python -m kettrack``."""

from kettrack.cli import main

raise SystemExit(main())
