"""Kafka clients built from settings, and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Sequence
from typing import NamedTuple, Protocol

import aiokafka.admin.client
import aiokafka.client
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.structs import ConsumerRecord

from orderpulse.settings import PlatformSettings

log = logging.getLogger(__name__)


class OutgoingRecord(NamedTuple):
    """One record to publish: raw bytes, already serialised (a tuple: the relay makes many)."""

    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class Publisher(Protocol):
    """What the relay, the dead-letter queue and the redrive publish through (KafkaPublisher)."""

    async def publish(self, records: Sequence[OutgoingRecord]) -> None: ...

    async def enqueue(self, records: Sequence[OutgoingRecord]) -> Awaitable[None]: ...


def never_auto_create_topics() -> None:
    """Every metadata request this process sends says `allow_auto_topic_creation=false`.

    The Java clients' `allow.auto.create.topics=false`, which aiokafka lacks as an option. Topics
    are made only by `ensure_topics`, with the partition count every service's keys depend on. A
    broker that makes a topic when a client merely names it uses its own default count instead:
    Tansu always does (4 partitions), and a restarted, empty Tansu is asked by the services'
    clients before the supervisor has made the topics again, so keys landed on other partitions
    than before and kpi-svc split orders' facts (docs/reliability.md). A producer or consumer
    naming a missing topic now waits for it, as on a Kafka with `auto.create.topics.enable=false`.
    """
    if not isinstance(aiokafka.client.MetadataRequest, functools.partial):
        refusing = functools.partial(MetadataRequest, allow_auto_topic_creation=False)
        aiokafka.client.MetadataRequest = refusing
        aiokafka.admin.client.MetadataRequest = refusing


never_auto_create_topics()  # for every client of this process, ours or a test's, from the first import


def create_producer(settings: PlatformSettings, **overrides) -> AIOKafkaProducer:
    options = dict(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=settings.kafka_client_id or settings.service_name,
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        # every record goes through `KafkaPublisher`'s batches, built whole before they are handed over:
        # a linger would only hold each one back (2 ms was the setting before)
        linger_ms=0,
        max_batch_size=256 * 1024,
        request_timeout_ms=15_000,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


def create_consumer(settings: PlatformSettings, *topics: str, group_id: str | None, **overrides) -> AIOKafkaConsumer:
    options = dict(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=settings.kafka_client_id or settings.service_name,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.consumer_batch_size,
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms,
        rebalance_timeout_ms=max(settings.consumer_session_timeout_ms, 2_000),
    )
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


class KafkaPublisher:
    """Publishes a batch and returns when Kafka acknowledged every record of it.

    Records are grouped per partition into producer batches (aiokafka's batch API, several
    times faster than one `send` per record); within a partition they keep their order, so
    the events of one key are published in the order given.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._partition_counts: dict[str, int] = {}
        self._partition_cache: dict[tuple[str, bytes], int] = {}
        # base offset of the last batch Kafka acknowledged, per partition: a broker whose end
        # offset falls to or below it has lost what we published (see broker_reset.py)
        self.acknowledged: dict[tuple[str, int], int] = {}
        self.went_backwards = False

    def partition_count(self, topic: str) -> int | None:
        return self._partition_counts.get(topic)

    async def forget(self) -> None:
        """After a broker reset: partition counts (asked again) and acknowledged offsets start again."""
        await self.refresh_partitions()
        self.acknowledged.clear()
        self.went_backwards = False

    async def refresh_partitions(self) -> None:
        """Ask the broker again how many partitions each topic has. A topic made again may have
        another count (Tansu makes one with its default on a client's first request), and the
        producer's metadata from before can name partitions it lacks: Tansu acknowledges a record
        sent there, which then no reader can see."""
        self._partition_counts.clear()
        self._partition_cache.clear()
        if self._producer is not None:
            await self._producer.client.force_metadata_update()

    def _note_acknowledged(self, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        metadata = future.result()
        where = (metadata.topic, metadata.partition)
        if metadata.offset >= self.acknowledged.get(where, -1):
            self.acknowledged[where] = metadata.offset
        else:  # a partition's offsets only grow: it was made again under us, and lost what it had
            log.warning("broker reset: a partition acknowledged an offset below an earlier one",
                        extra={"topic": metadata.topic, "partition": metadata.partition, "offset": metadata.offset,
                               "acknowledged": self.acknowledged[where]})
            self.went_backwards = True

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        await (await self.enqueue(records))

    async def enqueue(self, records: Sequence[OutgoingRecord]) -> Awaitable[None]:
        """Hand the records to the producer in order; the returned awaitable completes on Kafka's acks.

        Two enqueues one after the other keep their relative order per partition even while the
        first is still being acknowledged, which lets the relay keep several batches in flight.
        """
        by_partition: dict[tuple[str, int], list[tuple[bytes, OutgoingRecord]]] = {}
        cache = self._partition_cache
        for record in records:
            key = record.key.encode()
            partition = cache.get((record.topic, key))
            if partition is None:  # the first record of a key since the cache was cleared
                partition = await self._partition_of(record.topic, key)
            by_partition.setdefault((record.topic, partition), []).append((key, record))
        futures = []
        for (topic, partition), group in by_partition.items():
            batch = self._producer.create_batch()
            for key, record in group:
                if batch.append(key=key, value=record.value, timestamp=None, headers=list(record.headers)) is None:
                    futures.append(await self._producer.send_batch(batch, topic, partition=partition))
                    batch = self._producer.create_batch()
                    batch.append(key=key, value=record.value, timestamp=None, headers=list(record.headers))
            futures.append(await self._producer.send_batch(batch, topic, partition=partition))
        for future in futures:
            future.add_done_callback(self._note_acknowledged)
        return asyncio.gather(*futures)

    async def _partition_of(self, topic: str, key: bytes) -> int:
        partitions = self._partition_counts.get(topic)
        if partitions is None:
            partitions = len(await self._producer.partitions_for(topic))
            self._partition_counts[topic] = partitions
            self._partition_cache.clear()
        cached = self._partition_cache.get((topic, key))
        if cached is None:
            cached = (murmur2(key) & 0x7FFFFFFF) % partitions  # Kafka's default partitioner
            if len(self._partition_cache) > 100_000:
                self._partition_cache.clear()
            self._partition_cache[(topic, key)] = cached
        return cached


async def read_to_end(consumer: AIOKafkaConsumer, timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Every record of the consumer's assigned partitions from its positions to the partitions' ends
    as they are now. Ends by positions, not by a quiet spell, so a slow broker cannot cut it short."""
    partitions = list(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    while not await _at_ends(consumer, ends):
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not read to the end within {timeout_s} s; read {len(records)} records")
        for batch in (await consumer.getmany(timeout_ms=200)).values():
            records.extend(batch)
    return records


async def _at_ends(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


async def ensure_topics(bootstrap: str, topics: Sequence[str], *, partitions: int, replication: int = 1) -> list[str]:
    """Create the topics that are missing; returns the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in topics if topic not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # made meanwhile by another process
                await admin.create_topics(
                    [NewTopic(topic, num_partitions=partitions, replication_factor=replication) for topic in missing]
                )
        return missing
    finally:
        await admin.close()


async def broker_reachable(bootstrap: str, timeout_s: float = 3.0) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
