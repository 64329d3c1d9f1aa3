"""A topic that came back with too few partitions gets the wanted count.

After the embedded broker restarts empty, a service that names a topic before the supervisor
makes it gets one made by the broker, with the broker's own count (Tansu: 4, not 12). Keys then
land on other partitions than before, and kpi-svc, which keeps its state per partition, split
orders' facts (the kill drill found it: 10 of 116 orders without their shipping facts).
"""

from __future__ import annotations

import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from orderpulse.messaging.kafka import ensure_topics


async def partition_count(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()


async def test_a_topic_with_too_few_partitions_ends_with_the_wanted_count(infrastructure):
    bootstrap = infrastructure.kafka_bootstrap
    short, missing = f"test.short.{uuid.uuid4().hex[:8]}", f"test.missing.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(short, num_partitions=4, replication_factor=1)])  # as the broker made it
    finally:
        await admin.close()

    made = await ensure_topics(bootstrap, [short, missing], partitions=12, remake_short=True)

    assert missing in made
    assert await partition_count(bootstrap, short) == 12
    assert await partition_count(bootstrap, missing) == 12
    assert await ensure_topics(bootstrap, [short, missing], partitions=12, remake_short=True) == []  # nothing left to do
