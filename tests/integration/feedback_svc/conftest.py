"""feedback-svc against the real PostgreSQL and broker: the schema is migrated once per session
and emptied before each test; the app runs in-process with its relay, consumer and due-work
loop live. Orders and deliveries come as real events on the orders, customers and fulfillment
topics, published as order-svc and fulfillment-svc would.

Every test gets its own names, so records an earlier test left on a topic cannot touch its state.
The service's tables can still hold rows made from them (its consumer group reads the shared
topics from their start; other test directories complete orders this service never sees placed,
and their surveys wait as `scheduled`), so a test asks the tables about its own names only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from feedback_stack import SCHEMA, Names, Upstream, feedback_settings
from feedback_svc.manifest import MANIFEST
from orderpulse.db.migrations import upgrade
from orderpulse.messaging.kafka import create_producer
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.infrastructure import Infrastructure
from sqlalchemy import text


@pytest.fixture(scope="session")
def feedback_schema(infrastructure: Infrastructure, kafka_topics: tuple[str, ...]) -> str:
    upgrade(MANIFEST.migrations, infrastructure.database_url, SCHEMA)
    return SCHEMA


@pytest.fixture
async def clean_schema(infrastructure: Infrastructure, feedback_schema: str) -> str:
    await truncate_schema(infrastructure.database_url, feedback_schema)
    return feedback_schema


@pytest.fixture
def names() -> Names:
    return Names()


@pytest.fixture
async def upstream(infrastructure: Infrastructure, names: Names) -> AsyncIterator[Upstream]:
    producer = create_producer(feedback_settings(infrastructure), client_id="upstream-stand-in")
    await producer.start()
    try:
        yield Upstream(producer, names)
    finally:
        await producer.stop()


@pytest.fixture
async def database(infrastructure: Infrastructure):
    """Read the service's tables directly, for what the API does not show (outbox)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(infrastructure.database_url, connect_args={"server_settings": {"search_path": SCHEMA}})

    async def query(sql: str, **params: Any) -> list[Any]:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    try:
        yield query
    finally:
        await engine.dispose()
