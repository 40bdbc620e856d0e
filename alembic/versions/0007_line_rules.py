"""line rules (issue 11): filled in as the work lands

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
