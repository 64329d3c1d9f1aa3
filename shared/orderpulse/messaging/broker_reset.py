"""Noticing that the broker lost what was published to it (the embedded, in-memory Tansu restarted,
or a cluster rebuilt), so the relay can publish its retained outbox rows again.

A partition's end offset never decreases on a healthy broker, nor does the offset Kafka
acknowledges for a partition (KafkaPublisher notes one that does). We remember the base offset of the
last batch Kafka acknowledged on each partition; a topic that is gone, or an end offset at or
below that base, means the broker lost our records. (Tansu answers "latest" with the base offset
of the partition's last batch + 1, which is still above our last base while nothing was lost.)

Right after a restart, Tansu creates a topic on the first produce or metadata request that names
it, with its own default partition count, and it acknowledges records sent to a partition that
topic lacks, which no reader then sees (a producer whose metadata is from before the restart sends
there). So recovering asks the broker for partition counts again, and once the relay has
republished it reads the topics back (`missing_events`) and publishes again whatever is not there,
placed by counts asked again, until everything is.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from orderpulse.events.topics import DEFAULT_PARTITIONS
from orderpulse.messaging.kafka import KafkaPublisher, ensure_topics, read_to_end

log = logging.getLogger(__name__)


async def broker_lost_records(bootstrap: str, acknowledged: Mapping[tuple[str, int], int], *, timeout_ms: int = 5_000) -> bool:
    """True when a partition we published to is missing or ends at or below our last acknowledged batch.

    Raises when the broker cannot be asked (the caller asks again later).
    """
    if not acknowledged:
        return False
    snapshot = dict(acknowledged)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                request_timeout_ms=timeout_ms, metadata_max_age_ms=1_000)
    await consumer.start()
    try:
        topics = {topic for topic, _ in snapshot}
        existing = await consumer.topics()
        for topic in topics:
            partitions = consumer.partitions_for_topic(topic) if topic in existing else None
            if not partitions or any(p not in partitions for t, p in snapshot if t == topic):
                log.warning("broker reset: topic or partition missing", extra={"topic": topic})
                return True
        ends = await consumer.end_offsets([TopicPartition(t, p) for t, p in snapshot])
        for tp, end in ends.items():
            if end <= snapshot[(tp.topic, tp.partition)]:
                log.warning("broker reset: end offset below what was acknowledged",
                            extra={"topic": tp.topic, "partition": tp.partition, "end": end,
                                   "acknowledged": snapshot[(tp.topic, tp.partition)]})
                return True
        return False
    finally:
        await consumer.stop()


async def event_ids_on(bootstrap: str, topics: Collection[str], *, timeout_s: float = 60.0) -> set[str]:
    """The `ce_id` header of every record on `topics`, read from their beginning to their present end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", metadata_max_age_ms=1_000)
    await consumer.start()
    try:
        existing = await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in topics if topic in existing
                      for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return set()
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return {value.decode() for record in await read_to_end(consumer, timeout_s)
                for name, value in record.headers if name == "ce_id"}
    finally:
        await consumer.stop()


class BrokerWatch:
    """What the relay asks of the broker: did it lose our records, and making its topics again if so."""

    def __init__(self, publisher: KafkaPublisher, bootstrap: str, *, extra_topics: tuple[str, ...] = (),
                 default_partitions: int = DEFAULT_PARTITIONS) -> None:
        self._publisher = publisher
        self._bootstrap = bootstrap
        self._extra_topics = extra_topics
        self._default_partitions = default_partitions

    async def lost_records(self) -> bool:
        if self._publisher.went_backwards:
            return True
        return await broker_lost_records(self._bootstrap, self._publisher.acknowledged)

    def acknowledged(self) -> dict[tuple[str, int], int]:
        return dict(self._publisher.acknowledged)

    def remember(self, acknowledged: Mapping[tuple[str, int], int]) -> None:
        mine = self._publisher.acknowledged
        for where, offset in acknowledged.items():
            if offset > mine.get(where, -1):
                mine[where] = offset

    async def missing_events(self, retained: Mapping[str, Collection[str]]) -> set[str]:
        """Of the retained event ids per topic, those the broker does not hold."""
        on_broker = await event_ids_on(self._bootstrap, list(retained))
        missing = {event_id for ids in retained.values() for event_id in ids if event_id not in on_broker}
        if missing:  # perhaps sent to partitions the topic no longer has: place them anew
            await self._publisher.refresh_partitions()
        return missing

    async def recover(self) -> None:
        """Make the topics we published to again (same partition counts), then forget old offsets."""
        topics = sorted({topic for topic, _ in self._publisher.acknowledged} | set(self._extra_topics))
        by_count: dict[int, list[str]] = {}
        for topic in topics:
            by_count.setdefault(self._publisher.partition_count(topic) or self._default_partitions, []).append(topic)
        for partitions, names in by_count.items():
            created = await ensure_topics(self._bootstrap, names, partitions=partitions)
            if created:
                log.warning("broker reset: topics created again", extra={"topics": created})
        await self._publisher.forget()
