"""Spravato REMS: the patient's enrolment, and when each session's Patient Monitoring Form was sent

``patients`` gains ``rems_enrolled`` (false for every patient on file: nobody is enrolled until the
person says so), ``rems_enrolled_on`` and ``rems_id``; ``infusions`` gains ``rems_form_sent_on`` (NULL:
the form is still owed, for an esketamine session). The deadline kinds kettrack knows gain
``rems_form``: the CHECK on ``claims.next_kind`` lists them all, so it is rebuilt to match the models.

A database that already holds sessions gets the setting ``rems_forms_from``: forms are tracked for
sessions from a week before the upgrade on. The forms of older sessions were due (and, one hopes, sent)
before kettrack tracked them; without it every past esketamine session would show as an overdue form,
and kettrack must not invent the dates they were sent.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KINDS = ("file_claim", "appeal", "follow_up", "decision_due", "auth_expires")


def _deadline_kind(*kinds: str) -> sa.Enum:
    return sa.Enum(*kinds, name="deadline_kind", native_enum=False, create_constraint=True, length=40)


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rems_enrolled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("rems_enrolled_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("rems_id", sa.String(length=50), server_default="", nullable=False))
    with op.batch_alter_table("infusions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rems_form_sent_on", sa.Date(), nullable=True))
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column(
            "next_kind",
            existing_type=_deadline_kind(*_KINDS),
            type_=_deadline_kind(*_KINDS, "rems_form"),
            existing_nullable=True,
        )
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM infusions")).scalar():
        start = (date.today() - timedelta(days=7)).isoformat()
        bind.execute(
            sa.text("INSERT INTO app_settings (key, value) VALUES ('rems_forms_from', :start)"),
            {"start": start},
        )


def downgrade() -> None:
    raise NotImplementedError("restore the pre-upgrade backup instead")
