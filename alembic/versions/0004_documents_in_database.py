"""documents in the database, audit seals

Issued superbills, appeal letters and claim attachments move from files beside the database into a
``documents`` table (content-addressed by SHA-256); the files already issued are moved in after the
upgrade by ``kettrack.store.documents.adopt_folder``, which checks each against its recorded hash.
``audit_seals`` holds each audit entry's HMAC under a key kept outside the database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _refuse(table: str, actions: tuple[str, ...]) -> None:
    """Database triggers that refuse ``actions`` on ``table``, whoever writes to it."""
    if op.get_bind().dialect.name == "postgresql":
        # kettrack_append_only() was created by 0003.
        op.execute(
            f"CREATE TRIGGER tr_{table}_{'_'.join(a.lower() for a in actions)} BEFORE {' OR '.join(actions)} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION kettrack_append_only()"
        )
        return
    for action in actions:
        op.execute(
            f"CREATE TRIGGER tr_{table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} cannot be changed'); END"
        )


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_documents_size_positive")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_documents")),
    )
    op.create_table(
        "audit_seals",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence"],
            ["audit_log.sequence"],
            name=op.f("fk_audit_seals_sequence_audit_log"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_seals")),
    )
    _refuse("documents", ("UPDATE",))
    _refuse("audit_seals", ("UPDATE", "DELETE"))


def downgrade() -> None:
    raise NotImplementedError("restore the pre-upgrade backup instead")
