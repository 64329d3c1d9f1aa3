from __future__ import annotations

import contextlib

import asyncpg
import pytest
from orderpulse.db.engine import create_engine, create_session_factory
from orderpulse.db.platform_tables import PLATFORM_DDL
from orderpulse.messaging.kafka import KafkaPublisher, create_producer
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn


@contextlib.asynccontextmanager
async def schema_with_platform_tables(database_url: str, schema: str):
    """A fresh schema holding the platform tables plus an `applied` table test handlers write to."""
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        for statement in PLATFORM_DDL:
            await conn.execute(statement)
        await conn.execute("CREATE TABLE applied (event_id TEXT NOT NULL, order_id TEXT NOT NULL)")
    finally:
        await conn.close()
    try:
        yield schema
    finally:
        conn = await asyncpg.connect(plain_dsn(database_url))
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()


@pytest.fixture
async def platform_schema(database_url: str, unique_name: str):
    async with schema_with_platform_tables(database_url, f"pt_{unique_name}") as schema:
        yield schema


@pytest.fixture
async def engine(database_url: str, platform_schema: str):
    engine = create_engine(database_url, schema=platform_schema, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return create_session_factory(engine)


@pytest.fixture
async def other_sessions(database_url: str, unique_name: str):
    """Sessions on a second schema with the same tables, to compare two consumers' effects."""
    async with schema_with_platform_tables(database_url, f"pt2_{unique_name}") as schema:
        engine = create_engine(database_url, schema=schema, pool_size=5)
        try:
            yield create_session_factory(engine)
        finally:
            await engine.dispose()


@pytest.fixture
async def publisher(kafka_bootstrap: str):
    """A started producer's publisher on the test broker (the relay's tests)."""
    producer = create_producer(PlatformSettings(kafka_bootstrap=kafka_bootstrap))
    await producer.start()
    yield KafkaPublisher(producer)
    await producer.stop()
