"""line rules: NDC container types and the authorizations a superbill prints

``fee_schedule_entries.container`` records whether the NDC of a drug code is a single-dose or
multi-dose container (Medicare Part B wants JW or JZ on single-dose drugs); existing entries are
"unknown" until the user says. ``superbill_auths`` links an issued superbill to the prior
authorizations in force for its sessions, so that a claim made from it carries them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fee_schedule_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("container", sa.String(length=11), server_default="unknown", nullable=False)
        )
    op.create_table(
        "superbill_auths",
        sa.Column("superbill_id", sa.Integer(), nullable=False),
        sa.Column("auth_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["auth_id"],
            ["prior_auths.id"],
            name=op.f("fk_superbill_auths_auth_id_prior_auths"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["superbill_id"],
            ["superbills.id"],
            name=op.f("fk_superbill_auths_superbill_id_superbills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("superbill_id", "auth_id", name=op.f("pk_superbill_auths")),
    )
    with op.batch_alter_table("superbill_auths", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_superbill_auths_auth_id"), ["auth_id"], unique=False)


def downgrade() -> None:
    # Not offered to users: restore the backup taken before the upgrade instead.
    raise NotImplementedError("restore the pre-upgrade backup instead of downgrading")
