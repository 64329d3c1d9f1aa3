"""Schema helpers for tests: migrate once, truncate between tests."""

from __future__ import annotations

import asyncpg


def plain_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


async def truncate_schema(database_url: str, schema: str) -> None:
    """Empty every table of `schema` except Alembic's version table."""
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'alembic_version'", schema
        )
        if tables:
            names = ", ".join(f'"{schema}"."{row["tablename"]}"' for row in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
