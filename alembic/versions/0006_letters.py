"""letters (issue 11): filled in as the work lands

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
