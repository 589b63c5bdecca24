"""Alembic environment: runs on the connection `storage.schema` hands over."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from storage.database import create_engine
from storage.models import Base
from storage.types import ProcedureType, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our TypeDecorators as the plain types they store, so migrations stay stable."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, ProcedureType):
        return "sa.String(length=32)"
    return False


def run_on(connection: Connection) -> None:
    """Configure the context on a live connection and run the migrations."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    """Used only by the plain `alembic` command line (e.g. `alembic revision`)."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url (storage.schema.alembic_config(url) does)")
    engine = create_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")

connection = config.attributes.get("connection")
if connection is None:
    asyncio.run(run_standalone())
else:
    run_on(connection)
