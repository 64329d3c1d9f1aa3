"""Topics are made only by `ensure_topics`: a client that names a missing topic never makes it.

A restarted embedded broker is empty, and the services' clients ask for their topics before the
supervisor has made them again. Tansu makes a topic on its own, with 4 partitions, for any client
that names it and allows auto-creation, so keys would land on other partitions than before
(docs/reliability.md). These run against whichever broker the tests use.
"""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from orderpulse.messaging.kafka import create_consumer, create_producer, ensure_topics
from orderpulse.settings import PlatformSettings


async def _topics(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics()
        return {topic["topic"]: len(topic["partitions"]) for topic in described}
    finally:
        await admin.close()


async def test_a_producer_and_a_consumer_naming_a_missing_topic_do_not_make_it(kafka_bootstrap: str,
                                                                              unique_name: str):
    topic = f"orderpulse.test.missing-{unique_name}"
    settings = PlatformSettings(kafka_bootstrap=kafka_bootstrap)
    producer = create_producer(settings, request_timeout_ms=2_000)
    consumer = create_consumer(settings, topic, group_id=f"missing-{unique_name}", request_timeout_ms=2_000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.partitions_for(topic)
        with pytest.raises(UnknownTopicOrPartitionError):  # it waited for the topic, and gave up
            await consumer.start()
        assert topic not in await _topics(kafka_bootstrap)
    finally:
        await consumer.stop()
        await producer.stop()


async def test_a_topic_made_after_its_clients_asked_for_it_has_the_partitions_ensure_topics_gave(
        kafka_bootstrap: str, unique_name: str):
    topic = f"orderpulse.test.late-{unique_name}"
    settings = PlatformSettings(kafka_bootstrap=kafka_bootstrap)
    producer = create_producer(settings, request_timeout_ms=2_000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.partitions_for(topic)
        assert await ensure_topics(kafka_bootstrap, [topic], partitions=12) == [topic]
        assert len(await producer.partitions_for(topic)) == 12
        assert (await _topics(kafka_bootstrap))[topic] == 12
    finally:
        await producer.stop()
