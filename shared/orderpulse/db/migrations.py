"""Alembic, driven from code: one schema and one version table per service.

A service's `alembic/env.py` is two lines that call `run_migrations_in_env()`; the `orderpulse
migrate` command and the test fixtures call `upgrade()`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def upgrade(script_location: Path, database_url: str, schema: str, revision: str = "head") -> None:
    """Create the schema if needed and bring it to `revision` (blocking; call from a thread)."""
    command.upgrade(alembic_config(script_location, database_url, schema), revision)


async def upgrade_async(script_location: Path, database_url: str, schema: str) -> None:
    await asyncio.to_thread(upgrade, script_location, database_url, schema)


def run_migrations_in_env() -> None:
    """Body of every service's `alembic/env.py`."""
    config = context.config
    schema = config.attributes["schema"]
    url = config.get_main_option("sqlalchemy.url")

    def do_run(connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}", public'))
        context.configure(connection=connection, version_table_schema=schema, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                # one migrator at a time, even with several replicas starting together
                await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": schema})
                await connection.run_sync(do_run)
        finally:
            await engine.dispose()

    asyncio.run(run_async())
