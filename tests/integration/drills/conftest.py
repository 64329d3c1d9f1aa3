"""A private PostgreSQL and Tansu broker for the drills that stop them, shared by the drills of a
session (each leaves them running and healthy), with order-svc and fulfillment-svc migrated."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from drill_support import PARTITIONS, DrillStack
from fulfillment_svc.manifest import MANIFEST as FULFILLMENT
from order_svc.manifest import MANIFEST as ORDERS
from orderpulse.db.migrations import upgrade
from orderpulse.events.topics import ALL_TOPICS, dlq_topic
from orderpulse.messaging.kafka import ensure_topics
from orderpulse.stack.broker import EmbeddedBroker
from orderpulse.stack.postgres import EmbeddedPostgres, ensure_database
from orderpulse.stack.processes import free_port
from orderpulse.testing.database import truncate_schema

TOPICS = [*ALL_TOPICS, dlq_topic("order-svc"), dlq_topic("fulfillment-svc")]


@pytest.fixture(scope="session")
def drill_stack() -> Iterator[DrillStack]:
    with tempfile.TemporaryDirectory(prefix="orderpulse-drill-") as state:
        postgres = EmbeddedPostgres(Path(state) / "postgres", port=free_port(), durable=False)
        broker = EmbeddedBroker(port=free_port(), log_dir=Path(state))
        postgres.start()
        try:
            broker.start()
            asyncio.run(ensure_database(postgres.url(), "orderpulse"))
            asyncio.run(ensure_topics(broker.bootstrap, TOPICS, partitions=PARTITIONS))
            for manifest in (ORDERS, FULFILLMENT):
                upgrade(manifest.migrations, postgres.url(), manifest.schema)
            yield DrillStack(postgres=postgres, broker=broker, topics=TOPICS)
        finally:
            broker.stop()
            postgres.stop()


@pytest.fixture
async def fresh_drill_stack(drill_stack: DrillStack) -> DrillStack:
    for manifest in (ORDERS, FULFILLMENT):
        await truncate_schema(drill_stack.postgres.url(), manifest.schema)
    return drill_stack
