"""ICD-10-CM releases in the database

Releases the user loads (the CDC's files for FY2027 and later, or an April update) are stored beside
the bundled FY2026 release, each with the date it takes effect, so sessions on either side of an
October 1 are checked against their own release on every desk and in every backup.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "icd10_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("code_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("code_count > 0", name=op.f("ck_icd10_releases_code_count_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_icd10_releases")),
        sa.UniqueConstraint("effective_from", name=op.f("uq_icd10_releases_effective_from")),
        sa.UniqueConstraint("label", name=op.f("uq_icd10_releases_label")),
    )
    op.create_table(
        "icd10_release_codes",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["icd10_releases.id"],
            name=op.f("fk_icd10_release_codes_release_id_icd10_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "code", name=op.f("pk_icd10_release_codes")),
    )
