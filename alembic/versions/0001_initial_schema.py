"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:58:19.958721
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column(
            "sex",
            sa.Enum(
                "female",
                "male",
                "other",
                "unknown",
                name="sex",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    op.create_table(
        "payers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "original_medicare",
                "medicare_advantage",
                "medicaid",
                "medicaid_managed_care",
                "va_community_care",
                "tricare",
                "commercial",
                "employer_plan",
                "other",
                name="payer_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("payer_code", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("claims_address", sa.Text(), nullable=False),
        sa.Column("appeals_address", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payers")),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "individual",
                "organization",
                name="provider_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials", sa.String(length=50), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("tin", sa.String(length=11), nullable=False),
        sa.Column("taxonomy", sa.String(length=10), nullable=False),
        sa.Column("license_number", sa.String(length=50), nullable=False),
        sa.Column("license_state", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["providers.id"],
            name=op.f("fk_providers_clinic_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
    )
    op.create_table(
        "coverages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=50), nullable=False),
        sa.Column("group_number", sa.String(length=50), nullable=False),
        sa.Column(
            "relationship",
            sa.Enum(
                "self",
                "spouse",
                "child",
                "other",
                name="relationship",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("policyholder_name", sa.String(length=200), nullable=False),
        sa.Column("policyholder_dob", sa.Date(), nullable=True),
        sa.Column(
            "rank",
            sa.Enum(
                "primary",
                "secondary",
                "tertiary",
                name="coverage_rank",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column(
            "network",
            sa.Enum(
                "in_network",
                "out_of_network",
                "unknown",
                name="network",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from",
            name=op.f("ck_coverages_effective_order"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_coverages_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_coverages_payer_id_payers"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverages")),
    )
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverages_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coverages_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "infusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column(
            "drug",
            sa.Enum(
                "ketamine", "esketamine", name="drug", native_enum=False, create_constraint=True, length=40
            ),
            nullable=False,
        ),
        sa.Column(
            "route",
            sa.Enum(
                "iv",
                "im",
                "intranasal",
                "oral",
                name="route",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("dose_mg", sa.BigInteger(), nullable=True),
        sa.Column("weight_kg", sa.BigInteger(), nullable=True),
        sa.Column("phq9_before", sa.Integer(), nullable=True),
        sa.Column("phq9_after", sa.Integer(), nullable=True),
        sa.Column("gad7_before", sa.Integer(), nullable=True),
        sa.Column("gad7_after", sa.Integer(), nullable=True),
        sa.Column("pain_before", sa.Integer(), nullable=True),
        sa.Column("pain_after", sa.Integer(), nullable=True),
        sa.Column("side_effects", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("diagnosis_summary", sa.String(length=120), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("dose_mg IS NULL OR dose_mg > 0", name=op.f("ck_infusions_dose_positive")),
        sa.CheckConstraint(
            "gad7_before BETWEEN 0 AND 21 AND gad7_after BETWEEN 0 AND 21",
            name=op.f("ck_infusions_gad7_range"),
        ),
        sa.CheckConstraint(
            "pain_before BETWEEN 0 AND 10 AND pain_after BETWEEN 0 AND 10",
            name=op.f("ck_infusions_pain_range"),
        ),
        sa.CheckConstraint(
            "phq9_before BETWEEN 0 AND 27 AND phq9_after BETWEEN 0 AND 27",
            name=op.f("ck_infusions_phq9_range"),
        ),
        sa.CheckConstraint("weight_kg IS NULL OR weight_kg > 0", name=op.f("ck_infusions_weight_positive")),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["providers.id"],
            name=op.f("fk_infusions_clinic_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_infusions_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_infusions_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infusions")),
    )
    with op.batch_alter_table("infusions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_infusions_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index("ix_infusions_patient_date", ["patient_id", "service_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_infusions_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_infusions_service_date"), ["service_date"], unique=False)

    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "medication",
                "psychotherapy",
                "tms",
                "ect",
                "other",
                name="treatment_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "no_response",
                "partial_response",
                "intolerable_side_effects",
                "relapse",
                "ongoing",
                "other",
                name="treatment_outcome",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_treatments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
    )
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatments_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "infusion_diagnoses",
        sa.Column("infusion_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.CheckConstraint("position BETWEEN 0 AND 11", name=op.f("ck_infusion_diagnoses_position_range")),
        sa.ForeignKeyConstraint(
            ["infusion_id"],
            ["infusions.id"],
            name=op.f("fk_infusion_diagnoses_infusion_id_infusions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("infusion_id", "position", name=op.f("pk_infusion_diagnoses")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("infusion_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "card",
                "cash",
                "check",
                "hsa_fsa",
                "bank_transfer",
                "other",
                name="payment_method",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["infusion_id"],
            ["infusions.id"],
            name=op.f("fk_payments_infusion_id_infusions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_infusion_id"), ["infusion_id"], unique=False)


def downgrade() -> None:
    # Not offered to users: restore the backup taken before the upgrade instead.
    raise NotImplementedError("restore the pre-upgrade backup instead of downgrading")
