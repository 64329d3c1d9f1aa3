"""kpi-svc against the real PostgreSQL and broker. Every test gets PRIVATE topics (a unique
prefix on the five topic names, via the `topic_prefix` setting) and its own consumer group, and
the kpi schema is emptied before it: figures are then exact, whatever other tests publish.

Expected figures come from a fresh in-memory KpiEngine fed the same events (the domain is unit
tested on its own); these tests check the wiring: Kafka -> engines -> checkpoint -> HTTP.
"""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from kpi_svc.manifest import MANIFEST
from kpi_svc.settings import KpiSettings
from orderpulse.db.migrations import upgrade
from orderpulse.events import topic_for
from orderpulse.events.topics import ALL_TOPICS
from orderpulse.messaging.kafka import create_producer, ensure_topics
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.infrastructure import Infrastructure
from orderpulse.testing.service import service_settings

SCHEMA = "kpi_svc"
PARTITIONS = 3


@pytest.fixture(scope="session")
def kpi_schema(infrastructure: Infrastructure, kafka_topics: tuple[str, ...]) -> str:
    upgrade(MANIFEST.migrations, infrastructure.database_url, SCHEMA)
    return SCHEMA


@pytest.fixture
async def settings(infrastructure: Infrastructure, kpi_schema: str) -> KpiSettings:
    """Settings with private topics (created here) and a private consumer group; state emptied."""
    await truncate_schema(infrastructure.database_url, kpi_schema)
    suffix = uuid.uuid4().hex[:8]
    prefix = f"t{suffix}."
    await ensure_topics(infrastructure.kafka_bootstrap, [prefix + t for t in ALL_TOPICS], partitions=PARTITIONS)
    return service_settings(
        KpiSettings, infrastructure, topic_prefix=prefix, consumer_group=f"kpi-svc-{suffix}", checkpoint_interval_s=0.2
    )


@pytest.fixture
async def publish(settings: KpiSettings):
    """Send parsed events (dicts) or raw bytes to the private topics, keyed by order id."""
    producer = create_producer(settings, client_id="kpi-test")
    await producer.start()

    async def send(events: list[dict], raw: list[tuple[str, bytes]] = ()) -> None:
        futures = []
        for event in events:
            topic = settings.topic_prefix + topic_for(event["type"])
            futures.append(await producer.send(topic, key=event["partitionkey"].encode(), value=orjson.dumps(event)))
        for topic, value in raw:
            futures.append(await producer.send(settings.topic_prefix + topic, key=b"poison", value=value))
        await asyncio.gather(*futures)

    try:
        yield send
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def stoppable_postgres(tmp_path_factory, kafka_topics):
    """A PostgreSQL of the kpi fault tests alone (the session's is shared): stop() and start() it at will."""
    from orderpulse.stack.postgres import EmbeddedPostgres, ensure_database
    from orderpulse.stack.processes import free_port

    server = EmbeddedPostgres(tmp_path_factory.mktemp("kpi-postgres"), port=free_port(), durable=False)
    server.start()
    try:
        asyncio.run(ensure_database(server.url(), "orderpulse"))
        upgrade(MANIFEST.migrations, server.url(), SCHEMA)
        yield server
    finally:
        server.stop()


@pytest.fixture
def stoppable_broker(tmp_path):
    """A Tansu broker of one test alone: stop() and start() it again on the same port, empty."""
    from orderpulse.stack.broker import EmbeddedBroker
    from orderpulse.stack.processes import free_port

    broker = EmbeddedBroker(port=free_port(), log_dir=tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
