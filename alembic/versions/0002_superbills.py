"""superbills: codes, fee schedules, service lines, issued superbills

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:31:45.038422
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "procedure_codes",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "administration",
                "drug",
                "visit",
                "psychotherapy",
                "other",
                name="code_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("default_units", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("replaced_by", sa.String(length=5), nullable=False),
        sa.Column("add_on", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_procedure_codes")),
    )
    op.create_table(
        "fee_schedule_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("ndc", sa.String(length=13), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_fee_schedule_entries_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_fee_schedule_entries_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule_entries")),
        sa.UniqueConstraint("provider_id", "code", name="uq_fee_schedule_entries_provider_code"),
    )
    op.create_table(
        "service_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("infusion_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("modifiers", sa.String(length=11), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("pointers", sa.String(length=4), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge", sa.BigInteger(), nullable=False),
        sa.Column("ndc", sa.String(length=13), nullable=False),
        sa.Column("ndc_unit", sa.String(length=2), nullable=False),
        sa.Column("ndc_quantity", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("charge >= 0", name=op.f("ck_service_lines_charge_not_negative")),
        sa.CheckConstraint("units >= 1", name=op.f("ck_service_lines_units_positive")),
        sa.ForeignKeyConstraint(
            ["infusion_id"],
            ["infusions.id"],
            name=op.f("fk_service_lines_infusion_id_infusions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_lines")),
    )
    with op.batch_alter_table("service_lines", schema=None) as batch_op:
        batch_op.create_index("ix_service_lines_infusion_position", ["infusion_id", "position"], unique=False)

    op.create_table(
        "superbills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("coverage_id", sa.Integer(), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("total_charges", sa.BigInteger(), nullable=False),
        sa.Column("total_paid", sa.BigInteger(), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_superbills_version_positive")),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["providers.id"],
            name=op.f("fk_superbills_clinic_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"],
            ["coverages.id"],
            name=op.f("fk_superbills_coverage_id_coverages"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_superbills_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_superbills_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["superbills.id"],
            name=op.f("fk_superbills_superseded_by_id_superbills"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_superbills")),
        sa.UniqueConstraint("number", "version", name="uq_superbills_number_version"),
    )
    with op.batch_alter_table("superbills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_superbills_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_superbills_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "superbill_lines",
        sa.Column("superbill_id", sa.Integer(), nullable=False),
        sa.Column("service_line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_line_id"],
            ["service_lines.id"],
            name=op.f("fk_superbill_lines_service_line_id_service_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["superbill_id"],
            ["superbills.id"],
            name=op.f("fk_superbill_lines_superbill_id_superbills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("superbill_id", "service_line_id", name=op.f("pk_superbill_lines")),
    )
    with op.batch_alter_table("superbill_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_superbill_lines_service_line_id"), ["service_line_id"], unique=False
        )


def downgrade() -> None:
    # Not offered to users: restore the backup taken before the upgrade instead.
    raise NotImplementedError("restore the pre-upgrade backup instead of downgrading")
