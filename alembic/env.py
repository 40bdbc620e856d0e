"""Alembic environment for kettrack.

At run time kettrack's migration runner passes its own connection, already inside the one
transaction the upgrade runs in. For development (``alembic revision --autogenerate``) run
alembic with ``-x db=URL`` and it opens that database itself.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from kettrack.store.models import Base
from kettrack.store.types import FixedPoint, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Write kettrack's column types as their plain storage types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, FixedPoint):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _configure_and_run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database with: alembic -x db=sqlite:///path ...")
    engine = create_engine(url)
    with engine.begin() as own_connection:
        _configure_and_run(own_connection)
