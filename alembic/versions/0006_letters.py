"""letters (issue 11): letter drafts, issued letters of medical necessity and authorization requests,
and the evidence library

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_LETTER_KINDS = ("appeal", "external_review", "medical_necessity", "prior_authorization")


def _letter_kind() -> sa.Enum:
    return sa.Enum(*_LETTER_KINDS, name="letter_kind", native_enum=False, create_constraint=True, length=40)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "letter_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _letter_kind(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("coverage_id", sa.Integer(), nullable=True),
        sa.Column("arguments", sa.String(length=200), nullable=False),
        sa.Column("disputed_lines", sa.String(length=400), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.Column("no_claim_number", sa.Boolean(), nullable=False),
        sa.Column("codes", sa.String(length=100), nullable=False),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("issued_number", sa.String(length=20), nullable=False),
        *_stamps(),
        sa.CheckConstraint("units IS NULL OR units >= 1", name=op.f("ck_letter_drafts_units_positive")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_letter_drafts_claim_id_claims"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"],
            ["coverages.id"],
            name=op.f("fk_letter_drafts_coverage_id_coverages"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_letter_drafts_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_drafts")),
    )
    with op.batch_alter_table("letter_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_drafts_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_drafts_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "issued_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _letter_kind(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_issued_letters_claim_id_claims"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["letter_drafts.id"],
            name=op.f("fk_issued_letters_draft_id_letter_drafts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_issued_letters_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_letters")),
        sa.UniqueConstraint("number", name=op.f("uq_issued_letters_number")),
    )
    with op.batch_alter_table("issued_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_letters_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "evidence_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "drug",
            sa.Enum(
                "ketamine", "esketamine", name="drug", native_enum=False, create_constraint=True, length=40
            ),
            nullable=True,
        ),
        sa.Column("citation", sa.Text(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_references")),
    )
