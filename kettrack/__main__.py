"""Allows ``python -m kettrack``."""

from kettrack.launch import main

raise SystemExit(main())
