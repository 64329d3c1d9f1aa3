"""A service's consumer over its own freshly migrated schema, for tests that give the same batch
to a consumer running the batch handlers and to one running them one event at a time, and
compare what each left (`tests/integration/*/test_*_batches.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orderpulse.db.engine import create_engine, create_session_factory
from orderpulse.db.migrations import upgrade_async
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.consumer import Batched, Handler, IdempotentConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import KafkaPublisher, create_consumer, create_producer, ensure_topics
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn
from orderpulse.testing.kafka_probe import one_partition_batch

HandlerTable = Mapping[str, Handler | Batched]


class ConsumerStand:
    """`async with` a migrated schema `<prefix>_<random>`; `start(table)` runs an
    `IdempotentConsumer` over it (one attempt, dead letters to `dlq.<service>`), the table's
    batch handlers given one event at a time unless `batched`. `sizes` counts the lists the
    batch handlers were given."""

    def __init__(self, infrastructure: Any, topic: str, *, migrations: Path, prefix: str, service: str,
                 batched: bool) -> None:
        self.schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.infrastructure, self.topic, self.batched = infrastructure, topic, batched
        self._migrations, self._service = migrations, service
        self.sizes: list[int] = []

    async def __aenter__(self) -> ConsumerStand:
        await upgrade_async(self._migrations, self.infrastructure.database_url, self.schema)
        self.engine = create_engine(self.infrastructure.database_url, schema=self.schema, pool_size=2)
        self.sessions: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        self.producer = self.kafka_consumer = None
        return self

    async def start(self, table: HandlerTable) -> None:
        counted = {id(handler): self._counted(handler) for handler in table.values() if isinstance(handler, Batched)}
        table = {name: counted.get(id(handler), handler) for name, handler in table.items()}
        if not self.batched:  # the same handlers, given one event at a time
            table = {name: per_event(handler) for name, handler in table.items()}
        settings = PlatformSettings(kafka_bootstrap=self.infrastructure.kafka_bootstrap, service_name=self._service)
        self.producer = create_producer(settings)
        await self.producer.start()
        self.kafka_consumer = create_consumer(settings, self.topic, group_id=f"group-{self.schema}")
        self.consumer = IdempotentConsumer(
            consumer=self.kafka_consumer, session_factory=self.sessions, handlers=table,
            dead_letters=DeadLetterQueue(KafkaPublisher(self.producer), self._service), service=self._service,
            max_attempts=1, retry_backoff_s=0.0,
        )

    def _counted(self, handler: Batched) -> Batched:
        async def apply(session, envelopes) -> None:
            self.sizes.append(len(envelopes))
            await handler.apply(session, envelopes)

        return Batched(apply)

    async def __aexit__(self, *_exc: object) -> None:
        if self.kafka_consumer is not None:
            await self.kafka_consumer.stop()
        if self.producer is not None:
            await self.producer.stop()
        await self.engine.dispose()
        await self.query(lambda connection: connection.execute(f'DROP SCHEMA "{self.schema}" CASCADE'))

    async def rows(self, connection: asyncpg.Connection, columns_by_table: Mapping[str, str]) -> dict[str, list]:
        """Every table's `columns`, rows sorted, and the ids in `processed_events`."""
        tables = {
            table: sorted((tuple(row) for row in await connection.fetch(f'SELECT {columns} FROM "{self.schema}".{table}')),
                          key=repr)
            for table, columns in columns_by_table.items()
        }
        tables["processed_events"] = sorted(
            await connection.fetchval(f'SELECT array_agg(event_id) FROM "{self.schema}".processed_events') or [])
        return tables

    async def snapshot(self) -> Any:
        """What a test compares between the two stands (each test says what)."""
        raise NotImplementedError

    async def query(self, read: Callable[[asyncpg.Connection], Any]) -> Any:
        """`await read(connection)` on a plain connection to the database (names need the schema)."""
        connection = await asyncpg.connect(plain_dsn(self.infrastructure.database_url))
        try:
            return await read(connection)
        finally:
            await connection.close()


async def produced_batch(infrastructure: Any, topic: str, service: str, values: list[bytes]) -> list[ConsumerRecord]:
    """Make `topic` (and the dead-letter topic of `service`), produce `values` to its partition 0
    and read them back as a consumer would get them."""
    await ensure_topics(infrastructure.kafka_bootstrap, [topic, dlq_topic(service)], partitions=1)
    producer = create_producer(PlatformSettings(kafka_bootstrap=infrastructure.kafka_bootstrap))
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, partition=0)
    finally:
        await producer.stop()
    return (await one_partition_batch(infrastructure.kafka_bootstrap, topic))[TopicPartition(topic, 0)]


async def produced_in_two_batches(
    infrastructure: Any, topic: str, service: str, values: list[bytes], first: int
) -> tuple[dict, list[dict]]:
    """`produced_batch`, as the two batches a consumer could get (split after `first` records),
    and as one whole batch (for a replay of everything)."""
    records = await produced_batch(infrastructure, topic, service, values)
    partition = TopicPartition(topic, 0)
    return {partition: records}, [{partition: records[:first]}, {partition: records[first:]}]


async def same_in_both(one_by_one: ConsumerStand, batched: ConsumerStand, batch: Any, label: str) -> tuple:
    """Give `batch` to both stands; their outcomes and snapshots (`snapshot()`) must be equal.
    Returns the outcome."""
    expected = outcome(await one_by_one.consumer.process(batch))
    assert outcome(await batched.consumer.process(batch)) == expected, label
    assert await batched.snapshot() == await one_by_one.snapshot(), label
    return expected


def per_event(handler: Handler | Batched) -> Handler:
    """The handler as a per-event one: the consumer calls it with each event alone."""

    async def one(session: AsyncSession, envelope: Any) -> None:
        await handler(session, envelope)

    return one


def outcome(result: Any) -> tuple:
    """What a consumer's `process` did: applied, duplicates, ignored, and (offset, error) per dead letter."""
    return result.applied, result.duplicates, result.ignored, sorted(
        (letter.record.offset, letter.error) for letter in result.dead_lettered)
